"""Analysis of solved ensembles: which parameters drive a forecast (Sobol
indices, Morris screening, tornado), the conditions under which a choice flips
(PRIM scenario discovery, one-at-a-time thresholds). The functions here are
model-agnostic: they take vectorised callables and plain arrays, and return
pandas DataFrames."""
