"""The network API: what lets the rest of a studio drive ptzmapd and see it.

:mod:`.remote` is the one facade every front end calls (HTTP, WebSocket, OSC, MQTT);
:mod:`.state` turns the runtime's status into the JSON state those front ends publish.
Nothing here listens unless the config's ``api:`` (or ``mqtt:``) asks for it.
"""
