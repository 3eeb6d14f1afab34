"""Analyses of a scenario: the forecast (its summaries, stored runs and
resume), the explanation, and the sensitivity and discovery runs; beside them
the model-agnostic methods they use (Sobol' indices, Morris screening,
tornado, PRIM, flip thresholds), which take vectorised callables and plain
arrays and return pandas DataFrames. Everything here reads solutions through
the run layer (:mod:`realpolitik.run`), never a scenario's internals."""
