"""The neutrino side: nu e -> N e cross sections through a transition magnetic moment, solar fluxes and
oscillations, xenon detector responses, XENON1T/XENONnT likelihoods and the dated limits on mu_nu.

Units at every public boundary: keV for recoil and neutrino energies and M_N in this sub-package's
detector-facing functions (stated per function), Bohr magnetons for moments."""
