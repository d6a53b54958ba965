"""The demo's simulated studio: which of its cameras speaks which protocol (the README's
example, a VISCA-over-IP camera on the stage and a raw VISCA on TCP one at the pulpit).

Kept with the simulators so that nothing outside ``protocols/`` and ``simulators/`` names a
protocol."""

#: Camera name → the protocol its simulator speaks (every one a :mod:`.visca` simulator).
DEMO_CAMERAS: dict[str, str] = {"stage": "visca-ip", "pulpit": "visca-tcp"}
