"""An independent implementation of the third-state fragment's likelihood
(notes/TEMPLATE.md; ``scenario/library/fits/third-state.yaml``), by hand in
NumPy, to check realpolitik's scenario estimation on the case library.

Nothing here uses realpolitik's compiler, solvers or estimation: the game is
written out directly.

- The third state picks a joint action ``a`` (un_stance, sanctions,
  military_aid, mediation) among those the allow rule keeps, with
  probability ``exp(U(a)) / sum exp(U)`` (logit QRE at lambda = 1).
- Nature signals evidence with probability
  ``1 - (1-p_false)(1-p_det_evade [evade])(1 - p_det_dual [dual] - p_det_lethal [lethal])``.
- On evidence the coalition replies (no_action, listings, secondary) at an
  information set that sees only the UN stance and the mediation offer; its
  belief over the hidden dimensions is Bayes' rule on the third state's
  choice probabilities times the evidence probability, and it replies with
  probabilities ``exp(EU(r))`` normalised (agent QRE).
- ``U(a) = terms(a) - c_punish * threat * P(evidence | a) * (rho_L + k rho_S)``.

The agent QRE is the fixed point of these two best responses, found by damped
iteration (the coalition's reply is a contraction here: its payoffs move
little with its belief); a decision's likelihood is the probability of the
joint actions that agree with the dimensions it reports.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
import yaml
from numpy.typing import NDArray
from scipy.optimize import minimize

FloatArray = NDArray[np.float64]

STANCES = ("condemn", "abstain", "back_target")
SANCTIONS = ("join", "abide", "help_evade")
AID = ("none", "dual_use", "lethal")
MEDIATION = ("none", "offer")
DIMENSIONS = ("un_stance", "sanctions", "military_aid", "mediation")
LEVELS = (STANCES, SANCTIONS, AID, MEDIATION)

#: The coefficients, in the order realpolitik names them (parameters in file
#: order, terms in formula order).
NAMES = (
    "v_condemn:(Intercept)",
    "v_condemn:pact_us",
    "v_back:(Intercept)",
    "v_back:pact_target",
    "v_join:(Intercept)",
    "v_evade:(Intercept)",
    "v_evade:tie_target",
    "v_arms:(Intercept)",
    "v_arms:pact_target",
    "v_mediate:(Intercept)",
    "c_punish:(Intercept)",
)


def _allowed(s: str, sanction: str, aid: str) -> bool:
    if sanction == "join" and (aid != "none" or s == "back_target"):
        return False
    return not (s == "condemn" and (sanction == "help_evade" or aid == "lethal"))


#: The joint actions the allow rule keeps.
JOINT = [a for a in itertools.product(*LEVELS) if _allowed(a[0], a[1], a[2])]


def judgement_values(fragment_yaml: str) -> dict[str, float]:
    """The fixed (judgement) numbers of the fragment, read as plain YAML."""
    data: Any = yaml.safe_load(fragment_yaml)
    return {
        k: float(v["value"])
        for k, v in data["parameters"].items()
        if isinstance(v, dict) and v.get("dist") == "fixed"
    }


class FragmentLikelihood:
    """The log-likelihood of the fragment on a table of decisions."""

    def __init__(self, data: pd.DataFrame, values: dict[str, float]) -> None:
        kept = data.dropna(subset=["pact_us", "pact_target", "tie_target", "threat"])
        self.n = len(kept)
        self.x = {c: kept[c].to_numpy(float) for c in ("pact_us", "pact_target", "tie_target")}
        self.threat = kept["threat"].to_numpy(float)
        v = values
        act = np.array(JOINT, dtype=object)
        self.condemn = (act[:, 0] == "condemn").astype(float)
        self.back = (act[:, 0] == "back_target").astype(float)
        self.join = (act[:, 1] == "join").astype(float)
        self.evade = (act[:, 1] == "help_evade").astype(float)
        self.arms = (act[:, 2] != "none").astype(float)
        self.lethal = (act[:, 2] == "lethal").astype(float)
        self.dual = (act[:, 2] == "dual_use").astype(float)
        self.mediate = (act[:, 3] == "offer").astype(float)
        self.p_ev = 1 - (1 - v["p_false"]) * (1 - v["p_det_evade"] * self.evade) * (
            1 - v["p_det_dual"] * self.dual - v["p_det_lethal"] * self.lethal
        )
        helped = np.maximum(self.evade, self.arms)
        self.k = v["k_secondary"]
        weight = np.array([0.0, 1.0, self.k])  # no_action, listings, secondary
        cost = np.array([0.0, v["cost_listings"], v["cost_secondary"]])
        # the coalition's payoff of each reply at each joint action
        self.coalition = v["gain_punish"] * helped[:, None] * weight[None, :] - cost[None, :]
        visible = [(a[0], a[3]) for a in JOINT]
        sets = sorted(set(visible))
        self.info = np.array([sets.index(s) for s in visible])
        self.n_sets = len(sets)
        # which joint actions agree with each decision's reports
        agree = np.ones((self.n, len(JOINT)), dtype=bool)
        for d, dim in enumerate(DIMENSIONS):
            column = kept[f"alignment.{dim}"].to_numpy(object)
            for i, level in enumerate(column):
                if level:
                    agree[i] &= act[:, d] == level
        self.agree = agree

    def terms(self, beta: FloatArray) -> tuple[FloatArray, FloatArray]:
        """``(n, actions)`` utilities before punishment, and ``(n,)`` c_punish * threat."""
        b = dict(zip(NAMES, beta, strict=True))
        x = self.x
        vc = b["v_condemn:(Intercept)"] + b["v_condemn:pact_us"] * x["pact_us"]
        vb = b["v_back:(Intercept)"] + b["v_back:pact_target"] * x["pact_target"]
        ve = b["v_evade:(Intercept)"] + b["v_evade:tie_target"] * x["tie_target"]
        va = b["v_arms:(Intercept)"] + b["v_arms:pact_target"] * x["pact_target"]
        u = (
            vc[:, None] * self.condemn
            + vb[:, None] * self.back
            + b["v_join:(Intercept)"] * self.join
            + ve[:, None] * self.evade
            + va[:, None] * self.arms
            + b["v_mediate:(Intercept)"] * self.mediate
        )
        return u, b["c_punish:(Intercept)"] * self.threat

    def solve(self, beta: FloatArray, tol: float = 1e-14) -> tuple[FloatArray, FloatArray]:
        """The agent QRE: the third state's ``(n, actions)`` and the
        coalition's ``(n, sets, 3)`` choice probabilities."""
        base, punish = self.terms(beta)
        rho = np.full((self.n, self.n_sets, 3), 1.0 / 3.0)
        sigma = np.zeros_like(base)
        for _ in range(10_000):
            r = rho[:, self.info, :]  # (n, actions, 3)
            u = base - punish[:, None] * self.p_ev * (r[..., 1] + self.k * r[..., 2])
            u = u - u.max(axis=1, keepdims=True)
            sigma = np.exp(u) / np.exp(u).sum(axis=1, keepdims=True)
            w = sigma * self.p_ev  # reach of each node of the coalition's sets
            eu = np.zeros((self.n, self.n_sets, 3))
            for s in range(self.n_sets):
                nodes = self.info == s
                belief = w[:, nodes] / w[:, nodes].sum(axis=1, keepdims=True)
                eu[:, s] = belief @ self.coalition[nodes]
            eu -= eu.max(axis=2, keepdims=True)
            new = np.exp(eu) / np.exp(eu).sum(axis=2, keepdims=True)
            step = np.abs(new - rho).max()
            rho = 0.5 * rho + 0.5 * new
            if step < tol:
                break
        return sigma, rho

    def loglik(self, beta: FloatArray) -> FloatArray:
        """Each decision's log-likelihood."""
        sigma, _ = self.solve(beta)
        return np.asarray(np.log((sigma * self.agree).sum(axis=1)), dtype=np.float64)

    def fit(self) -> tuple[FloatArray, float, FloatArray]:
        """Maximum likelihood from 0 (BFGS, numerical gradient): estimates,
        maximised log-likelihood and standard errors (inverse of a central
        finite-difference Hessian)."""
        result = minimize(
            lambda b: -self.loglik(b).sum(),
            np.zeros(len(NAMES)),
            method="BFGS",
            options={"gtol": 1e-8, "maxiter": 5000},
        )
        beta = np.asarray(result.x, dtype=np.float64)
        return beta, -float(result.fun), self.standard_errors(beta)

    def standard_errors(self, beta: FloatArray, h: float = 1e-4) -> FloatArray:
        """From the central-difference Hessian of the log-likelihood."""
        return np.asarray(np.sqrt(np.diag(self.covariance(beta, h))), dtype=np.float64)

    def covariance(self, beta: FloatArray, h: float = 1e-4) -> FloatArray:
        """The inverse of the negative central-difference Hessian."""
        m = beta.size
        hess = np.zeros((m, m))

        def f(b: FloatArray) -> float:
            return float(self.loglik(b).sum())

        for i in range(m):
            for j in range(i, m):
                ei = np.zeros(m)
                ej = np.zeros(m)
                ei[i] = h
                ej[j] = h
                val = (
                    f(beta + ei + ej) - f(beta + ei - ej) - f(beta - ei + ej) + f(beta - ei - ej)
                ) / (4 * h * h)
                hess[i, j] = hess[j, i] = val
        return np.asarray(np.linalg.inv(-hess), dtype=np.float64)
