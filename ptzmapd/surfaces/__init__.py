"""Surfaces: what ptzmapd sends back to a control surface — LED feedback (:mod:`.feedback`)
through a MIDI output kept connected (:mod:`.midi_out`). Surfaces may import inputs, never the
reverse."""
