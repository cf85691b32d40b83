"""Calibration: fit hardware-profile quantities and scenario behaviours to measured data.

- :mod:`sim.calibration.data` reads measured samples (CSV, Parquet, a twin folder).
- :mod:`sim.calibration.families` holds the candidate families and their (censored)
  log-likelihoods; :mod:`sim.calibration.fit` finds maximum-likelihood estimates, intervals
  and the AIC choice; :mod:`sim.calibration.gof` tests goodness of fit.
- :mod:`sim.calibration.profile_fit` turns a fit into a new profile version
  (:mod:`sim.calibration.versioning` writes it with its provenance).
- :mod:`sim.calibration.zipf` and :mod:`sim.calibration.demand` calibrate behaviours that are
  only seen in aggregate (channel popularity, hourly demand).

Nothing here plots: the figures are drawn by ``dashboards.calibration_plots``.
"""
