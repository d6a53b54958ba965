"""MIDI inputs through rtmidi: the input (:mod:`.input`), raw-message parsing (:mod:`.parse`),
choosing the API and reading port lists (:mod:`.api`), following a port as it comes and goes
(:mod:`.ports`, with the APIs' own port news in :mod:`.jack_ports` and :mod:`.alsa_ports`), and
the demo's sender (:mod:`.sender`).

Importing this package imports nothing: rtmidi loads with the module that needs it.
"""
