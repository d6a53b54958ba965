"""OSC over UDP: the socket every OSC listener shares (:mod:`.endpoint`) and the OSC input
type (:mod:`.input`), whose addresses bind like MIDI controls."""
