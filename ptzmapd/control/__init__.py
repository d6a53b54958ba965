"""The per-camera controller and what it publishes: the rules of the road between motion
and the wire (:mod:`.controller`), what became of each command (:mod:`.outcomes`), and the
camera's state (:mod:`.state`)."""
