"""The per-camera controller and what it publishes: the rules of the road between motion
and the wire (:mod:`.controller`), with its parts — the latest-wins motion slots
(:mod:`.slots`), replies paired with their commands and refusals acted on (:mod:`.replies`),
online/offline and the probe backoff (:mod:`.liveness`), its settings (:mod:`.settings`) and
trace words (:mod:`.trace`) — what became of each command (:mod:`.outcomes`), and the
camera's normalised state (:mod:`.state`)."""
