"""The run layer: what every analysis does with a scenario before it analyses.

Run settings (concept, precision, draws, seed, sampling method, values held
by hand), the parameter sampler built from a scenario, and one chain that
evaluates a block of draws: parameters -> game -> solution -> metrics ->
per-draw outcomes. Forecasts, explanations, sensitivity and discovery runs,
bargaining over draws and the web API all go through it, so a forecast and
its explanation can never disagree about what was solved.
"""
