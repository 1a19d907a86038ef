"""The decade-long exit scenario (kazakhstan-exit): the exit model, its calibration to the
emigration figures, the 2020-2024 projection and the exit-voice experiment."""
