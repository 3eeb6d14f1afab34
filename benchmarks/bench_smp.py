"""Benchmark: KTAB's spatial model of politics, vectorised vs per pair.

Times full runs of ``realpolitik.bargaining.smp.run_smp`` (default, KTAB's
configuration) on

* ``SOE-Pol-Comp.csv`` (13 actors, 2 dimensions, 27 rounds; KTAB's official
  log reports 1.21 s for its C++ build with SQLite logging), and
* ``dummyData-a160.csv`` (160 actors, 1 dimension),

against a straightforward per-pair implementation of the same model written
below in plain Python (loops over initiators, targets, third parties and
voters, as in KTAB's C++), in the same process, and checks that both give the
same positions and win probabilities. Optionally also times KTAB's own C++
``smpc`` binary (built outside the repository) on the same file.

A second table times ensembles of problems (one per parameter draw):
``run_smp_batch`` on all draws at once against ``run_smp`` draw by draw in a
Python loop (what ``scenario_issues`` did before), on 2000 random 10-actor,
1-dimension problems and on 2000 draws of the flagship scenario's issue
(4 actors), and checks that the forecasts are bit for bit the same.

Usage::

    python benchmarks/bench_smp.py [--ktab-smpc /tmp/ktab/smpc [--ktab-a160]] [--skip-pairwise-a160]
    python benchmarks/bench_smp.py --batch-only   # the ensemble table only, nothing written

Prints markdown tables and writes ``benchmarks/results/smp.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from realpolitik.bargaining.ktab_io import read_ktab_csv
from realpolitik.bargaining.smp import run_smp
from realpolitik.bargaining.smp_batch import run_smp_batch
from realpolitik.bargaining.types import BargainingProblem

#: The flagship as it was before its rebuild (issue 14), kept as a test fixture: the
#: scenario these benchmarks measured and keep measuring (BENCHMARKS.md).
LEGACY_FLAGSHIP = str(
    Path(__file__).resolve().parents[1] / "tests" / "scenarios" / "legacy-flagship.yaml"
)

HERE = Path(__file__).resolve().parent
# the vendored copy (tests/reference); $REALPOLITIK_SHARED/reference when set
REFERENCE = (
    (
        (Path(os.environ["REALPOLITIK_SHARED"]) if "REALPOLITIK_SHARED" in os.environ else None)
        or HERE.parent / "tests"
    )
    / "reference"
    / "bargaining"
    / "ktab_smp"
)

# --------------------------------------------------------------------------- per pair

Matrix = list[list[float]]


def _bv_diff(ideal: list[float], pos: list[float], sal: list[float]) -> float:
    ds2 = 0.0
    ss2 = 0.0
    for k in range(len(sal)):
        ds = (ideal[k] - pos[k]) * sal[k]
        ds2 += ds * ds
        ss2 += sal[k] * sal[k]
    return math.sqrt(ds2 / ss2)


def _bs_util(d: float, r: float) -> float:
    return (1 - d) * (1 + d * r) if d <= 1 else (1 - d) * (1 + r)


def _scalar_pce(u: Matrix, w: list[float]) -> list[float]:
    """Conditional PCE with proportional votes, one voter at a time."""
    m = len(u[0])
    c = [[1e-8] * m for _ in range(m)]
    for i in range(m):
        for j in range(i):
            cij = 1e-8
            cji = 1e-8
            for k in range(len(w)):
                v = w[k] * (u[k][i] - u[k][j])
                if v > 0:
                    cij += v
                if v < 0:
                    cji -= v
            c[i][j] = cij
            c[j][i] = cji
    p = []
    for i in range(m):
        pi = 1.0
        for j in range(m):
            pi *= 0.5 if i == j else c[i][j] / (c[i][j] + c[j][i])
        p.append(pi)
    total = sum(p)
    return [x / total for x in p]


def _round4(x: float) -> float:
    return int(0.5 + x * 10000.0) / 10000.0


def pairwise_smp(
    cap: list[float], pos0: Matrix, sal: Matrix, max_turns: int = 100
) -> tuple[list[Matrix], list[list[float]]]:
    """KTAB's default SMP, one pair (and one third party) at a time.

    Returns the positions of every state (0-1 scale) and the win probability
    of every actor's position in every state.
    """
    n, nd = len(cap), len(pos0[0])
    tot = [sum(s) for s in sal]
    wgt = [tot[i] * cap[i] for i in range(n)]

    def setup(x: Matrix) -> tuple[list[float], list[Matrix]]:
        d = [[_bv_diff(x[i], x[j], sal[i]) for j in range(n)] for i in range(n)]
        p = _scalar_pce([[_bs_util(d[i][j], 0.0) for j in range(n)] for i in range(n)], cap)
        pmin, pmax = min(p), max(p)
        r = [(3 * pi - (pmax + 2 * pmin)) / (2 * (pmax - pmin)) for pi in p]
        util = [
            [[_bs_util(d[i][j], ((2.0 * r[h]) + r[i]) / 3.0) for j in range(n)] for i in range(n)]
            for h in range(n)
        ]
        return r, util

    def prob_edu(util: list[Matrix], h: int, k: int, i: int, j: int) -> tuple[float, float]:
        a = util[h]
        ci = wgt[i] * (a[i][i] - a[i][j])
        cj = wgt[j] * (a[j][i] - a[j][j])
        chij = 1e-10
        chji = 1e-10
        if ci > 0:
            chij += ci
        if ci < 0:
            chji -= ci
        if cj > 0:
            chij += cj
        if cj < 0:
            chji -= cj
        c_i, c_j = chij, chji
        for t in range(n):
            if t in (i, j):
                continue
            uni, unj, unn = a[t][i], a[t][j], a[t][t]
            v0 = wgt[t] * (uni - unj)
            cni = c_i + v0 if v0 > 0 else c_i
            cnj = c_j - v0 if v0 < 0 else c_j
            pin = cni / (cni + cnj)
            pjn = 1.0 - pin
            u_ik_j = pin * (uni + uni + unn) + pjn * (unj + unj + unj)
            u_i_jk = pin * (uni + uni + uni) + pjn * (unj + unj + unn)
            vn = wgt[t] * (u_ik_j - u_i_jk)
            if vn > 0:
                chij += vn
            if vn < 0:
                chji -= vn
        phij = chij / (chij + chji)
        phji = chji / (chij + chji)
        uki, ukj = a[k][i], a[k][j]
        win, loss = uki + uki, ukj + ukj
        eu = (1 - tot[j]) * win + tot[j] * (phij * win + phji * loss)
        return phij, eu - (uki + ukj)

    def win_probability(x: Matrix, util: list[Matrix]) -> list[float]:
        def close(a: int, b: int) -> bool:
            return math.sqrt(sum((x[a][k] - x[b][k]) ** 2 for k in range(nd))) < 1e-3

        uniq: list[int] = []
        for a in range(n):
            if not any(close(a, b) for b in uniq):
                uniq.append(a)
        p = _scalar_pce([[util[a][a][b] for b in uniq] for a in range(n)], cap)
        out = []
        for a in range(n):
            last = max(m for m, b in enumerate(uniq) if close(a, b))
            out.append(p[last])
        return out

    x = [list(row) for row in pos0]
    risk, util = setup(x)
    history, probs = [x], [win_probability(x, util)]
    first = 0.0
    for turn in range(1, max_turns + 1):
        # each actor's best challenge and its bargain (initiator's view, S2P2)
        queues: list[list[tuple[int, int, list[float], list[float]]]] = [
            [(k, k, x[k], x[k])] for k in range(n)
        ]
        for i in range(n):
            best_j, best_p, best_eu = -1, 0.0, -1.0
            for j in range(n):
                if j == i:
                    continue
                p, eu = prob_edu(util, i, i, i, j)
                if eu > 1e-5 and eu > best_eu:
                    best_j, best_p, best_eu = j, p, eu
            if best_j < 0:
                continue
            j = best_j
            b_i, b_j = [], []
            for k in range(nd):
                wi = sal[i][k] ** 2 * best_p**2
                wj = sal[j][k] ** 2 * (1 - best_p) ** 2
                t = wi + 1e-6 + wj
                b_i.append(_round4(((wi + 1e-6) * x[i][k] + wj * x[j][k]) / t))
                b_j.append(_round4((wi * x[i][k] + (1e-6 + wj) * x[j][k]) / t))
            queues[i].append((i, j, b_i, b_j))
            queues[j].append((i, j, b_i, b_j))
        # each queue: utilities of the resulting states, PCE, most probable
        new = []
        for k in range(n):
            u_im = []
            for a in range(n):
                row = []
                for bi, bj, p_i, p_j in queues[k]:
                    if bi == bj:
                        v = sum(util[a][a][m] for m in range(n))
                    else:
                        v = _bs_util(_bv_diff(x[a], p_i, sal[a]), risk[a])
                        v += _bs_util(_bv_diff(x[a], p_j, sal[a]), risk[a])
                        v += sum(util[a][a][m] for m in range(n) if m not in (bi, bj))
                    row.append(v / n)
                u_im.append(row)
            prob = _scalar_pce(u_im, cap)
            chosen = queues[k][prob.index(max(prob))]
            new.append(list(chosen[2] if chosen[0] == k else chosen[3]))
        dist = sum(math.sqrt(sum((new[a][k] - x[a][k]) ** 2 for k in range(nd))) for a in range(n))
        if turn == 1:
            first = dist
        x = new
        risk, util = setup(x)
        history.append(x)
        probs.append(win_probability(x, util))
        if turn >= 2 and dist / (first + 1e-4) < 0.02:
            break
    return history, probs


# --------------------------------------------------------------------------- timing


def _best(fn: Any, repeats: int) -> tuple[float, Any]:
    best = math.inf
    out = None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


_LOGGER_CONF = """* GLOBAL:
    FORMAT = %msg
    FILENAME = "smpc_log.txt"
    ENABLED = true
    TO_FILE = true
    TO_STANDARD_OUTPUT = false
"""


def _time_ktab(binary: Path, csv: Path, repeats: int) -> dict[str, Any]:
    """Wall time of KTAB's smpc (``--logmin``, SQLite), best of ``repeats``,
    and its "prob :" lines for comparison."""
    best = math.inf
    log = ""
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "smpc-logger.conf").write_text(_LOGGER_CONF)
            cmd = [
                str(binary),
                "--logmin",
                "--csv",
                str(csv),
                "--connstr",
                "Driver=QSQLITE;Database=bench",
            ]
            t0 = time.perf_counter()
            subprocess.run(cmd, cwd=tmp, check=True, capture_output=True)
            best = min(best, time.perf_counter() - t0)
            log = (Path(tmp) / "smpc_log.txt").read_text()
    probs = {
        m.group(1): [float(v) for v in m.group(2).split()]
        for m in re.finditer(r"^(\S+), prob : (.*)$", log, flags=re.M)
    }
    return {"seconds": best, "command": " ".join(cmd), "probs": probs}


def bench_case(
    name: str, repeats: int, pairwise: bool, ktab: Path | None, ktab_repeats: int
) -> dict[str, Any]:
    csv = REFERENCE / f"{name}.csv"
    problem: BargainingProblem = read_ktab_csv(csv)
    run_smp(problem, max_turns=2)  # warm-up
    ours_s, run = _best(lambda: run_smp(problem), repeats)
    row: dict[str, Any] = {
        "case": name,
        "actors": problem.n_actors,
        "dimensions": problem.n_dimensions,
        "states": int(run.positions.shape[0]),
        "ours_s": ours_s,
        "ours_repeats": repeats,
    }
    if pairwise:
        x0 = (problem.position / 100.0).tolist()
        t0 = time.perf_counter()
        hist, probs = pairwise_smp(problem.capability.tolist(), x0, problem.salience.tolist())
        row["pairwise_s"] = time.perf_counter() - t0
        row["ratio_pairwise"] = row["pairwise_s"] / ours_s
        same_len = len(hist) == run.positions.shape[0]
        row["pairwise_agrees"] = bool(
            same_len
            and np.allclose(100.0 * np.asarray(hist), run.positions, atol=1e-9)
            and np.allclose(np.asarray(probs), run.extra["win_probability"], atol=1e-9)
        )
    if ktab is not None:
        res = _time_ktab(ktab, csv, ktab_repeats)
        row["ktab_cpp_s"] = res["seconds"]
        row["ktab_command"] = res["command"]
        row["ratio_ktab_cpp"] = res["seconds"] / ours_s
        win = run.extra["win_probability"]
        row["ktab_prob_lines_agree"] = all(
            [f"{p:.4f}" for p in res["probs"][actor]]
            == [f"{p:.4f}" for p in win[:, problem.actors.index(actor)]]
            for actor in problem.actors
        )
    return row


def _loop(cap: np.ndarray, pos: np.ndarray, sal: np.ndarray, scale: tuple[float, float]) -> Any:
    """run_smp draw by draw, as scenario_issues ran the SMP before batching."""
    names = tuple(f"a{k}" for k in range(cap.shape[1]))
    return np.array(
        [
            run_smp(
                BargainingProblem(
                    actors=names,
                    capability=cap[d],
                    position=pos[d],
                    salience=sal[d],
                    scale=scale,
                )
            ).forecast
            for d in range(cap.shape[0])
        ]
    )


def bench_batch(case: str, draws: int, repeats: int) -> dict[str, Any]:
    """Time ``draws`` problems batched and in a per-draw loop; check equality."""
    if case == "flagship":
        import realpolitik as rp
        from realpolitik.bargaining.scenario_issues import find_issue, issue_draws
        from realpolitik.run.sampling import settings_sampler as sampler_for
        from realpolitik.run.settings import Settings

        scenario = rp.load(LEGACY_FLAGSHIP)
        settings = Settings.resolve(scenario, draws=draws, seed=1)
        values = sampler_for(scenario, settings).draws(0, draws)
        params = {n: values[:, k : k + 1] for k, n in enumerate(scenario.parameter_ids)}
        issue = find_issue(scenario, None)
        stances = issue_draws(scenario, issue, params)
        cap = stances.capability
        pos, sal = stances.position[:, :, None], stances.salience[:, :, None]
        scale = issue.scale
    else:  # random 10 x 1 problems
        rng = np.random.default_rng(2024)
        cap = rng.uniform(0.5, 5.0, size=(draws, 10))
        pos = rng.uniform(0.0, 100.0, size=(draws, 10, 1))
        sal = rng.uniform(0.05, 1.0, size=(draws, 10, 1))
        scale = (0.0, 100.0)
    run_smp_batch(cap[:10], pos[:10], sal[:10], scale=scale)  # warm-up
    batch_s, batch = _best(lambda: run_smp_batch(cap, pos, sal, scale=scale), repeats)
    t0 = time.perf_counter()
    loop = _loop(cap, pos, sal, scale)
    loop_s = time.perf_counter() - t0
    return {
        "case": case,
        "draws": draws,
        "actors": int(cap.shape[1]),
        "dimensions": int(pos.shape[2]),
        "mean_states": float(batch.states.mean()),
        "batch_s": batch_s,
        "batch_repeats": repeats,
        "loop_s": loop_s,
        "ratio_loop": loop_s / batch_s,
        "bit_for_bit": bool(np.array_equal(batch.forecast, loop)),
    }


def _print_batch(rows: list[dict[str, Any]]) -> None:
    print(
        "\n| ensemble | draws | N x D | mean states | batched (s) | per-draw loop (s) "
        "| ratio | same |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['case']} | {r['draws']} | {r['actors']} x {r['dimensions']} | "
            f"{r['mean_states']:.1f} | {r['batch_s']:.3f} | {r['loop_s']:.2f} | "
            f"{r['ratio_loop']:.0f}x | {r['bit_for_bit']} |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ktab-smpc", type=Path, default=None, help="KTAB's smpc binary")
    parser.add_argument(
        "--skip-pairwise-a160",
        action="store_true",
        help="skip the per-pair run on dummyData-a160 (it takes minutes)",
    )
    parser.add_argument(
        "--ktab-a160",
        action="store_true",
        help="also time KTAB's C++ on dummyData-a160 (O(N^4): most of an hour)",
    )
    parser.add_argument(
        "--batch-only",
        action="store_true",
        help="only the ensemble table (batched vs per-draw loop); writes nothing",
    )
    args = parser.parse_args()
    batch_rows = [bench_batch("random", 2000, 3), bench_batch("flagship", 2000, 3)]
    if args.batch_only:
        _print_batch(batch_rows)
        return
    ktab = args.ktab_smpc
    if ktab is not None and not ktab.exists():
        sys.exit(f"{ktab}: not found")

    rows = [
        bench_case("SOE-Pol-Comp", repeats=20, pairwise=True, ktab=ktab, ktab_repeats=3),
        bench_case(
            "dummyData-a160",
            repeats=3,
            pairwise=not args.skip_pairwise_a160,
            ktab=ktab if args.ktab_a160 else None,
            ktab_repeats=1,
        ),
    ]
    meta = json.loads((REFERENCE / "reference_runs" / "SOE-Pol-Comp_meta.json").read_text())
    reported = float(re.findall(r"[\d.]+", meta["elapsed"])[0])

    print(
        "| case | N x D | states | ours (s) | per-pair Python (s) | ratio | agree |"
        " KTAB C++ here (s) | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        pw = f"{r['pairwise_s']:.2f}" if "pairwise_s" in r else "-"
        pr = f"{r['ratio_pairwise']:.0f}x" if "ratio_pairwise" in r else "-"
        ag = str(r.get("pairwise_agrees", "-"))
        kt = f"{r['ktab_cpp_s']:.2f}" if "ktab_cpp_s" in r else "-"
        kr = f"{r['ratio_ktab_cpp']:.0f}x" if "ratio_ktab_cpp" in r else "-"
        print(
            f"| {r['case']} | {r['actors']} x {r['dimensions']} | {r['states']} | "
            f"{r['ours_s']:.4f} | {pw} | {pr} | {ag} | {kt} | {kr} |"
        )
    print(
        f"\nKTAB's official log reports {reported:.2f} s for SOE-Pol-Comp "
        f"(ratio to ours: {reported / rows[0]['ours_s']:.0f}x)."
    )
    _print_batch(batch_rows)

    out = {
        "benchmark": "smp",
        "machine": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
        },
        "ktab_official_log_seconds_soe_pol_comp": reported,
        "cases": rows,
        "batches": batch_rows,
    }
    results = HERE / "results"
    results.mkdir(exist_ok=True)
    (results / "smp.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {results / 'smp.json'}")


if __name__ == "__main__":
    main()
