"""Plots: coupling maps (:mod:`lqmodel.plotting.maps`) and direct-detection spectra
(:mod:`lqmodel.plotting.spectra`). matplotlib is imported lazily inside the functions."""
