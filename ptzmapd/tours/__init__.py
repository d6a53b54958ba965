"""Programs the daemon runs on a camera by itself: tours (a camera walking a list of presets,
:mod:`.tour`) and traces (a move recorded and played back, :mod:`.trace`, kept as files by
:mod:`.store`); :mod:`.programs` is what the pipeline drives them through."""
