"""Global and local sensitivity of a vectorised model: Sobol' indices, Morris
screening and a one-at-a-time tornado.

Why this module exists: ``realpolitik sensitivity`` must say which uncertain
parameters drive a forecast. The methods are SALib's (Herman and Usher 2017,
"SALib: an open-source Python library for sensitivity analysis", JOSS 2(9)),
wrapped in its own pipeline shape, *problem -> sample -> evaluate -> analyze*,
with plain arrays in and DataFrames out:

- a **parameter space** is a tuple of names plus a vectorised inverse CDF
  ``ppf(u) -> X`` mapping uniforms ``u[draw, parameter]`` in (0, 1) to values
  column by column (each column through its own marginal distribution);
- a **model** is a vectorised callable ``f(X[draw, parameter]) -> y[draw]`` or
  ``y[draw, output]`` (say, the probability of each action).

Every design is drawn in the unit cube (SALib bounds ``[0, 1]``) and mapped
through ``ppf``, so any marginal distribution works, including unbounded ones
(uniforms are kept ``U_EPS`` inside (0, 1)).

Sobol' indices (Sobol' 2001; estimators of Saltelli et al. 2010 as SALib
implements them) decompose the output variance *assuming independent inputs*;
with correlated inputs they are not defined in this form (see Saltelli et al.
2008, ch. 4), and this module does not try to model dependence.

Degenerate cases have documented results instead of NaN:

- a **fixed parameter** (``ppf`` constant in its column) is left out of the
  design, so it costs no model evaluations, and gets every index equal to 0
  with a zero-width interval: it cannot explain any variance;
- a **constant output** (range at most ``CONSTANT_RTOL`` times its largest
  magnitude) gets every index equal to 0 with a zero-width interval: there is
  no variance to explain. (SALib alone would divide by a zero standard
  deviation and return NaN.)

References
----------
Sobol', I. M. (2001). Global sensitivity indices for nonlinear mathematical
models and their Monte Carlo estimates. Mathematics and Computers in
Simulation 55:271-280.
Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., Tarantola, S.
(2010). Variance based sensitivity analysis of model output. Design and
estimator for the total sensitivity index. Computer Physics Communications
181:259-270.
Saltelli, A. et al. (2008). Global Sensitivity Analysis: The Primer. Wiley.
Morris, M. D. (1991). Factorial sampling plans for preliminary computational
experiments. Technometrics 33:161-174.
Campolongo, F., Cariboni, J., Saltelli, A. (2007). An effective screening
design for sensitivity analysis of large models. Environmental Modelling &
Software 22:1509-1518.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, Literal, overload

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as sobol_sample

from realpolitik.errors import InputError
from realpolitik.limits import require_bytes

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

#: Vectorised inverse CDF: uniforms ``(n, k)`` in (0, 1) to values ``(n, k)``.
Ppf = Callable[[FloatArray], ArrayLike]
#: Vectorised model: values ``(n, k)`` to outputs ``(n,)`` or ``(n, m)``.
Model = Callable[[FloatArray], ArrayLike]

#: Uniforms are clipped to ``[U_EPS, 1 - U_EPS]`` before ``ppf`` so that
#: unbounded distributions map to finite values.
U_EPS = 1e-12

#: An output whose range is at most this fraction of its largest magnitude
#: (or of 1, if larger) counts as constant.
CONSTANT_RTOL = 1e-12

#: Uniforms at which ``ppf`` is probed to detect fixed parameters.
_PROBES = np.array([U_EPS, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0 - U_EPS])


# --------------------------------------------------------------------------
# The parameter space and the model: validation shared by every method
# --------------------------------------------------------------------------


def check_names(names: Sequence[str], what: str = "parameter") -> tuple[str, ...]:
    """Validate a list of names: at least one, all distinct non-empty strings.

    Parameters
    ----------
    names : the names.
    what : what they name, for the error message.

    Returns
    -------
    The names as a tuple.
    """
    found = tuple(names)
    if not found:
        raise InputError(f"no {what} names given; pass at least one {what} name")
    for name in found:
        if not isinstance(name, str) or not name:
            raise InputError(f"{what} names must be non-empty strings, got {name!r}")
    if len(set(found)) != len(found):
        dup = sorted({n for n in found if found.count(n) > 1})
        raise InputError(f"{what} names must be distinct; repeated: {', '.join(dup)}")
    return found


def map_uniforms(ppf: Ppf, u: ArrayLike, names: Sequence[str]) -> FloatArray:
    """Map uniforms through the space's inverse CDF, checking the result.

    Parameters
    ----------
    ppf : vectorised inverse CDF, ``(n, k) -> (n, k)``, column by column.
    u : ``(n, k)`` uniforms; clipped to ``[U_EPS, 1 - U_EPS]``.
    names : the ``k`` parameter names (for messages).

    Returns
    -------
    ``(n, k)`` float values.

    Raises
    ------
    InputError
        If ``ppf`` returns another shape or non-finite values.
    """
    u_arr = np.clip(np.asarray(u, dtype=np.float64), U_EPS, 1.0 - U_EPS)
    X = np.asarray(ppf(u_arr), dtype=np.float64)
    if X.shape != u_arr.shape:
        raise InputError(
            f"ppf returned shape {X.shape} for uniforms of shape {u_arr.shape}; it must map "
            "(n, k) uniforms to (n, k) values, one column per parameter"
        )
    bad = ~np.isfinite(X)
    if bad.any():
        cols = [names[int(j)] for j in np.flatnonzero(bad.any(axis=0))]
        raise InputError(
            f"ppf returned non-finite values for {', '.join(cols)}; check those "
            "parameters' distributions"
        )
    return X


def evaluate_model(
    f: Model, X: FloatArray, output_names: Sequence[str] | None = None
) -> tuple[FloatArray, tuple[str, ...]]:
    """Evaluate a vectorised model and check its outputs.

    Parameters
    ----------
    f : vectorised model, ``(n, k) -> (n,)`` or ``(n, m)``.
    X : ``(n, k)`` parameter values.
    output_names : names of the ``m`` outputs; default ``"y"`` for a single
        output and ``"y0", "y1", ...`` for several.

    Returns
    -------
    outputs : ``(n, m)`` float array.
    names : the ``m`` output names.

    Raises
    ------
    InputError
        If the model returns the wrong shape or non-finite values, or the
        output names do not match.
    """
    n = X.shape[0]
    Y = np.asarray(f(X), dtype=np.float64)
    if Y.ndim == 1:
        Y = Y[:, np.newaxis]
    if Y.ndim != 2 or Y.shape[0] != n:
        raise InputError(
            f"the model returned shape {Y.shape} for {n} draws; it must return (n,) or "
            "(n, outputs), one row per draw"
        )
    m = Y.shape[1]
    if output_names is None:
        outs: tuple[str, ...] = ("y",) if m == 1 else tuple(f"y{i}" for i in range(m))
    else:
        outs = check_names(output_names, "output")
        if len(outs) != m:
            raise InputError(
                f"{len(outs)} output names given for a model with {m} outputs; give one per output"
            )
    bad = ~np.isfinite(Y)
    if bad.any():
        rows = int(bad.any(axis=1).sum())
        raise InputError(
            f"the model returned non-finite outputs for {rows} of {n} draws; "
            "check the model at those parameter values"
        )
    return Y, outs


def fixed_parameters(ppf: Ppf, names: Sequence[str]) -> BoolArray:
    """Which parameters are fixed: ``ppf`` returns one value across (0, 1).

    The inverse CDF is probed at a few uniforms (the extremes ``U_EPS`` and
    ``1 - U_EPS`` among them); a column whose values all coincide is fixed.

    Parameters
    ----------
    ppf : vectorised inverse CDF.
    names : the ``k`` parameter names.

    Returns
    -------
    ``(k,)`` booleans.
    """
    k = len(names)
    probe = np.repeat(_PROBES[:, np.newaxis], k, axis=1)
    values = map_uniforms(ppf, probe, names)
    fixed: BoolArray = np.ptp(values, axis=0) == 0.0
    return fixed


def _is_constant(y: FloatArray) -> bool:
    scale = max(1.0, float(np.max(np.abs(y))))
    return float(np.ptp(y)) <= CONSTANT_RTOL * scale


def _seeds(seed: int | None) -> tuple[int, int]:
    """Two independent non-zero seeds (sampling, bootstrap) from one.

    SALib's analyzers treat a seed of 0 as "no seed", hence the ``+ 1``.
    """
    state = np.random.SeedSequence(seed).generate_state(2)
    return int(state[0]) + 1, int(state[1]) + 1


def _check_conf_level(conf_level: float) -> None:
    if not 0.0 < conf_level < 1.0:
        raise InputError(f"conf_level must lie strictly between 0 and 1, got {conf_level}")


def _problem(names: Sequence[str]) -> dict[str, Any]:
    return {"num_vars": len(names), "names": list(names), "bounds": [[0.0, 1.0]] * len(names)}


# --------------------------------------------------------------------------
# Sobol' indices
# --------------------------------------------------------------------------


@overload
def sobol_indices(
    f: Model,
    names: Sequence[str],
    ppf: Ppf,
    n_base: int,
    *,
    seed: int | None = ...,
    calc_second_order: Literal[False] = ...,
    conf_level: float = ...,
    num_resamples: int = ...,
    output_names: Sequence[str] | None = ...,
) -> pd.DataFrame: ...


@overload
def sobol_indices(
    f: Model,
    names: Sequence[str],
    ppf: Ppf,
    n_base: int,
    *,
    seed: int | None = ...,
    calc_second_order: Literal[True],
    conf_level: float = ...,
    num_resamples: int = ...,
    output_names: Sequence[str] | None = ...,
) -> tuple[pd.DataFrame, pd.DataFrame]: ...


@overload
def sobol_indices(
    f: Model,
    names: Sequence[str],
    ppf: Ppf,
    n_base: int,
    *,
    seed: int | None = ...,
    calc_second_order: bool,
    conf_level: float = ...,
    num_resamples: int = ...,
    output_names: Sequence[str] | None = ...,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]: ...


def sobol_indices(
    f: Model,
    names: Sequence[str],
    ppf: Ppf,
    n_base: int,
    *,
    seed: int | None = None,
    calc_second_order: bool = False,
    conf_level: float = 0.95,
    num_resamples: int = 100,
    output_names: Sequence[str] | None = None,
) -> pd.DataFrame | tuple[pd.DataFrame, pd.DataFrame]:
    """First-order and total Sobol' indices with bootstrap confidence intervals.

    Draws SALib's Saltelli design from a scrambled Sobol' sequence in the unit
    cube (``SALib.sample.sobol``), maps it through ``ppf``, evaluates ``f``
    once on the whole design, and estimates the indices of every output with
    ``SALib.analyze.sobol`` (Saltelli et al. 2010 estimators, bootstrap
    intervals). Indices assume independent inputs.

    Cost: ``n_base * (d + 2)`` model evaluations (``n_base * (2 d + 2)`` with
    second order), ``d`` being the number of non-fixed parameters.

    Parameters
    ----------
    f : vectorised model, ``(n, k) -> (n,)`` or ``(n, m)``.
    names : the ``k`` parameter names, in ``ppf``'s column order.
    ppf : vectorised inverse CDF, ``(n, k) -> (n, k)``.
    n_base : base sample size N, a power of two (the Sobol' sequence's
        balance properties hold at powers of two).
    seed : seed of the scrambling and of the bootstrap.
    calc_second_order : also estimate second-order indices.
    conf_level : level of the confidence intervals, in (0, 1).
    num_resamples : bootstrap resamples for the intervals.
    output_names : names of the outputs (see :func:`evaluate_model`).

    Returns
    -------
    indices : DataFrame with columns ``output, parameter, S1, S1_conf, ST,
        ST_conf``, one row per output and parameter in the given orders.
        ``*_conf`` is the half-width of the interval at ``conf_level``
        (SALib's normal approximation to the bootstrap). Estimates may fall
        slightly below 0 or above 1 by sampling error.
    second_order : only with ``calc_second_order=True``: DataFrame with columns
        ``output, parameter_1, parameter_2, S2, S2_conf``, one row per output
        and unordered pair.

    Examples
    --------
    >>> import numpy as np
    >>> ppf = lambda u: 2.0 * u - 1.0  # three uniforms on [-1, 1]
    >>> f = lambda X: X[:, 0] + 2.0 * X[:, 1]  # x3 does nothing
    >>> df = sobol_indices(f, ["x1", "x2", "x3"], ppf, 1024, seed=1)
    >>> df["S1"].round(1).tolist()  # 1/5, 4/5, 0
    [0.2, 0.8, 0.0]
    """
    names_t = check_names(names)
    k = len(names_t)
    if not isinstance(n_base, int | np.integer) or n_base < 2 or n_base & (n_base - 1):
        raise InputError(f"n_base must be a power of two of at least 2 (e.g. 1024), got {n_base}")
    _check_conf_level(conf_level)
    if num_resamples < 2:
        raise InputError(f"num_resamples must be at least 2, got {num_resamples}")

    fixed = fixed_parameters(ppf, names_t)
    free = np.flatnonzero(~fixed)
    d = int(free.size)
    rows = int(n_base) * ((2 * d + 2) if calc_second_order else (d + 2))
    require_bytes("Sobol' design", (rows, k), hint="use a smaller n_base")
    sample_seed, analyze_seed = _seeds(seed)

    if d == 0:
        # Nothing varies: evaluate once to learn the outputs; every index is 0.
        Y, outs = evaluate_model(f, map_uniforms(ppf, np.full((1, k), 0.5), names_t), output_names)
        results: list[dict[str, Any]] = []
    else:
        free_names = [names_t[j] for j in free]
        problem = _problem(free_names)
        u_free = sobol_sample.sample(
            problem,
            int(n_base),
            calc_second_order=calc_second_order,
            scramble=True,
            seed=sample_seed,
        )
        U = np.full((u_free.shape[0], k), 0.5)
        U[:, free] = u_free
        Y, outs = evaluate_model(f, map_uniforms(ppf, U, names_t), output_names)
        results = []
        for o in range(Y.shape[1]):
            y = np.ascontiguousarray(Y[:, o])
            if _is_constant(y):
                results.append({})
                continue
            with warnings.catch_warnings():
                # Bootstrap resamples of a nearly constant output: SALib returns 0 and warns.
                warnings.filterwarnings("ignore", message="Constant values encountered")
                si = sobol_analyze.analyze(
                    problem,
                    y,
                    calc_second_order=calc_second_order,
                    num_resamples=num_resamples,
                    conf_level=conf_level,
                    seed=analyze_seed,
                )
            results.append(dict(si))

    m = len(outs)
    table = {key: np.zeros((m, k)) for key in ("S1", "S1_conf", "ST", "ST_conf")}
    s2 = np.zeros((m, k, k))
    s2_conf = np.zeros((m, k, k))
    for o, si in enumerate(results):
        if not si:
            continue
        for key in table:
            table[key][o, free] = np.asarray(si[key], dtype=np.float64)
        if calc_second_order:
            s2[o][np.ix_(free, free)] = np.nan_to_num(np.asarray(si["S2"], dtype=np.float64))
            s2_conf[o][np.ix_(free, free)] = np.nan_to_num(
                np.asarray(si["S2_conf"], dtype=np.float64)
            )

    frame = pd.DataFrame(
        {
            "output": np.repeat(np.array(outs, dtype=object), k),
            "parameter": np.tile(np.array(names_t, dtype=object), m),
            **{key: value.ravel() for key, value in table.items()},
        }
    )
    if not calc_second_order:
        return frame
    i_idx, j_idx = np.triu_indices(k, 1)
    second = pd.DataFrame(
        {
            "output": np.repeat(np.array(outs, dtype=object), i_idx.size),
            "parameter_1": np.tile(np.array(names_t, dtype=object)[i_idx], m),
            "parameter_2": np.tile(np.array(names_t, dtype=object)[j_idx], m),
            "S2": s2[:, i_idx, j_idx].ravel(),
            "S2_conf": s2_conf[:, i_idx, j_idx].ravel(),
        }
    )
    return frame, second


# --------------------------------------------------------------------------
# Morris screening
# --------------------------------------------------------------------------


def morris_screening(
    f: Model,
    names: Sequence[str],
    ppf: Ppf,
    *,
    n_trajectories: int = 50,
    num_levels: int = 4,
    seed: int | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    output_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Morris elementary-effects screening, for many parameters at low cost.

    SALib's Morris design (``SALib.sample.morris``, one-at-a-time trajectories
    over a grid of ``num_levels`` levels per parameter) and analysis
    (``SALib.analyze.morris``: mu, mu* of Campolongo et al. 2007, sigma, and a
    bootstrap interval for mu*). The levels sit at the centres of
    ``num_levels`` equal-probability strata of each parameter's distribution
    (quantiles ``(i + 1/2) / num_levels``), so unbounded distributions work,
    and the elementary effects are reported **per unit of quantile**: an
    effect of 2 means moving a parameter from its q-quantile to its
    (q + 0.1)-quantile changes the output by about 0.2. Effects are thus
    comparable across parameters with different units.

    Cost: ``n_trajectories * (d + 1)`` model evaluations, ``d`` being the
    number of non-fixed parameters. Fixed parameters get all statistics 0.

    Parameters
    ----------
    f : vectorised model, ``(n, k) -> (n,)`` or ``(n, m)``.
    names : the ``k`` parameter names, in ``ppf``'s column order.
    ppf : vectorised inverse CDF, ``(n, k) -> (n, k)``.
    n_trajectories : number of trajectories r (10 to 50 is usual).
    num_levels : grid levels p per parameter, an even number (4 is usual).
    seed : seed of the design and of the bootstrap.
    conf_level : level of the interval for mu*.
    num_resamples : bootstrap resamples for that interval.
    output_names : names of the outputs (see :func:`evaluate_model`).

    Returns
    -------
    DataFrame with columns ``output, parameter, mu, mu_star, mu_star_conf,
    sigma``, one row per output and parameter in the given orders;
    ``mu_star_conf`` is the interval's half-width.
    """
    names_t = check_names(names)
    k = len(names_t)
    if n_trajectories < 2:
        raise InputError(f"n_trajectories must be at least 2, got {n_trajectories}")
    if num_levels < 2 or num_levels % 2:
        raise InputError(f"num_levels must be an even number of at least 2, got {num_levels}")
    _check_conf_level(conf_level)

    fixed = fixed_parameters(ppf, names_t)
    free = np.flatnonzero(~fixed)
    d = int(free.size)
    require_bytes("Morris design", (n_trajectories * (d + 1), k), hint="use fewer trajectories")
    sample_seed, analyze_seed = _seeds(seed)
    stats = ("mu", "mu_star", "mu_star_conf", "sigma")

    if d == 0:
        Y, outs = evaluate_model(f, map_uniforms(ppf, np.full((1, k), 0.5), names_t), output_names)
        results: list[dict[str, Any]] = [{} for _ in outs]
    else:
        problem = _problem([names_t[j] for j in free])
        grid = morris_sample.sample(
            problem, n_trajectories, num_levels=num_levels, seed=sample_seed
        )
        U = np.full((grid.shape[0], k), 0.5)
        # Grid levels 0, 1/(p-1), ..., 1 -> strata centres 1/(2p), ..., 1 - 1/(2p).
        U[:, free] = (grid * (num_levels - 1) + 0.5) / num_levels
        Y, outs = evaluate_model(f, map_uniforms(ppf, U, names_t), output_names)
        # SALib divides by the grid step; the quantile step is (p - 1)/p of it.
        per_quantile = num_levels / (num_levels - 1)
        results = []
        for o in range(Y.shape[1]):
            y = np.ascontiguousarray(Y[:, o])
            if _is_constant(y):
                results.append({})
                continue
            si = morris_analyze.analyze(
                problem,
                grid,
                y,
                num_resamples=num_resamples,
                conf_level=conf_level,
                num_levels=num_levels,
                seed=analyze_seed,
            )
            results.append({s: per_quantile * np.asarray(si[s], dtype=np.float64) for s in stats})

    m = len(outs)
    table = {s: np.zeros((m, k)) for s in stats}
    for o, si in enumerate(results):
        for s, values in si.items():
            table[s][o, free] = values
    return pd.DataFrame(
        {
            "output": np.repeat(np.array(outs, dtype=object), k),
            "parameter": np.tile(np.array(names_t, dtype=object), m),
            **{s: value.ravel() for s, value in table.items()},
        }
    )


# --------------------------------------------------------------------------
# Tornado
# --------------------------------------------------------------------------


def central_values(ppf: Ppf, names: Sequence[str], central: ArrayLike | None = None) -> FloatArray:
    """The central point of a space: given values, checked, or the medians.

    Parameters
    ----------
    ppf : vectorised inverse CDF.
    names : the ``k`` parameter names.
    central : ``(k,)`` values, or None for the medians ``ppf(0.5)``.

    Returns
    -------
    ``(k,)`` finite floats.
    """
    k = len(names)
    if central is None:
        medians: FloatArray = map_uniforms(ppf, np.full((1, k), 0.5), names)[0]
        return medians
    values = np.asarray(central, dtype=np.float64)
    if values.shape != (k,):
        raise InputError(
            f"central values have shape {values.shape}; give one value per parameter ({k})"
        )
    if not np.isfinite(values).all():
        bad = [names[int(j)] for j in np.flatnonzero(~np.isfinite(values))]
        raise InputError(f"central values must be finite; not so for {', '.join(bad)}")
    return values


def tornado(
    f: Model,
    names: Sequence[str],
    ppf: Ppf,
    central: ArrayLike | None = None,
    *,
    low_q: float = 0.05,
    high_q: float = 0.95,
    output_names: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One-at-a-time swings around the central values (a tornado diagram).

    Each parameter in turn is set to its ``low_q`` and ``high_q`` quantiles
    while the others stay at their central values; the model is evaluated on
    all ``2 k + 1`` points in one call. The swing is ``|y_high - y_low|``; a
    non-monotone effect that peaks between the two quantiles is not seen
    (use :func:`sobol_indices` for that). Fixed parameters have swing 0.

    Parameters
    ----------
    f : vectorised model, ``(n, k) -> (n,)`` or ``(n, m)``.
    names : the ``k`` parameter names, in ``ppf``'s column order.
    ppf : vectorised inverse CDF, ``(n, k) -> (n, k)``.
    central : ``(k,)`` central values; default the medians.
    low_q, high_q : quantiles of the low and high settings, ``0 < low_q <
        high_q < 1``.
    output_names : names of the outputs (see :func:`evaluate_model`).

    Returns
    -------
    DataFrame with columns ``output, parameter, low_value, high_value,
    y_low, y_high, y_central, swing``, outputs in the model's order and,
    within each output, parameters by decreasing swing (ties in the given
    order).

    Examples
    --------
    >>> import numpy as np
    >>> f = lambda X: 3.0 * X[:, 0] - X[:, 1]
    >>> df = tornado(f, ["a", "b"], lambda u: u, [0.5, 0.5], low_q=0.1, high_q=0.9)
    >>> df[["parameter", "swing"]].round(2).values.tolist()
    [['a', 2.4], ['b', 0.8]]
    """
    names_t = check_names(names)
    k = len(names_t)
    if not 0.0 < low_q < high_q < 1.0:
        raise InputError(f"need 0 < low_q < high_q < 1, got low_q={low_q}, high_q={high_q}")
    center = central_values(ppf, names_t, central)
    settings = map_uniforms(ppf, np.array([[low_q] * k, [high_q] * k]), names_t)
    lows, highs = settings[0], settings[1]

    X = np.tile(center, (2 * k + 1, 1))
    diag = np.arange(k)
    X[1 + diag, diag] = lows
    X[1 + k + diag, diag] = highs
    Y, outs = evaluate_model(f, X, output_names)
    y_central = Y[0]
    y_low = Y[1 : k + 1]
    y_high = Y[k + 1 :]
    m = len(outs)

    frame = pd.DataFrame(
        {
            "output": np.repeat(np.array(outs, dtype=object), k),
            "parameter": np.tile(np.array(names_t, dtype=object), m),
            "low_value": np.tile(lows, m),
            "high_value": np.tile(highs, m),
            "y_low": y_low.T.ravel(),
            "y_high": y_high.T.ravel(),
            "y_central": np.repeat(y_central, k),
            "swing": np.abs(y_high - y_low).T.ravel(),
        }
    )
    order = np.lexsort((np.tile(diag, m), -frame["swing"].to_numpy(), np.repeat(np.arange(m), k)))
    return frame.iloc[order].reset_index(drop=True)
