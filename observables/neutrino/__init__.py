"""The neutrino side: nu e -> N e cross sections through a transition magnetic moment, solar fluxes and
oscillations, xenon detector responses, XENON1T/XENONnT likelihoods and the dated limits on mu_nu.

Modules (neutrino physics):

* :mod:`~observables.neutrino.kinematics` -- two-body kinematics, thresholds, recoil-energy limits (GeV).
* :mod:`~observables.neutrino.cross_sections` -- d sigma/d E_r: transition moment (full M_N), SM nu e.
* :mod:`~observables.neutrino.decays` -- N -> nu gamma and plasmon-decay widths (Dirac/Majorana, mu vs d).
* :mod:`~observables.neutrino.solar` -- B16 (GS98 / AGSS09met) fluxes, spectra, production profiles.
* :mod:`~observables.neutrino.oscillations` -- adiabatic MSW-LMA flavour composition at the Earth (NuFIT 6.0).
* :mod:`~observables.neutrino.xenon` -- xenon atomic binding (step approximation), targets per tonne.
* :mod:`~observables.neutrino.rates` -- ``unit_spectra`` / ``sm_spectrum``: recoil spectra in xenon.

Units at every public boundary: keV for recoil energies and M_N in the detector-facing functions of
``rates``; GeV in ``kinematics``, ``cross_sections`` and ``decays``; MeV for solar-neutrino energies in
``solar`` and ``oscillations`` (stated per function); Bohr magnetons for moments. Importing this package
is light (sub-modules load their data files on first use)."""
