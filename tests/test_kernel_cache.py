"""Compiled kernels are not loaded from a cache older than a kernel source
(realpolitik.kernel_cache).

numba itself is the reference for the hazard: a cached function that calls a
function of another file keeps the old callee after that file changes. The
end-to-end test builds two such modules in a temporary directory and runs
them in fresh processes, before and after changing the callee.
"""

from __future__ import annotations

import ast
import hashlib
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

from realpolitik import kernel_cache

PACKAGE = Path(kernel_cache.__file__).resolve().parent


def _modules_with_cached_kernels() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if re.search(r"numba\.njit\([^)]*cache=True", path.read_text(encoding="utf-8")):
            parts = path.relative_to(PACKAGE).with_suffix("").parts
            found.add(".".join(("realpolitik", *parts)))
    return found


def _registers(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:  # a module-level call, after the kernels
        if (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value) == "kernel_cache.register(globals())"
        ):
            return True
    return False


def test_every_kernel_module_is_listed_and_registers() -> None:
    assert set(kernel_cache.KERNEL_MODULES) == _modules_with_cached_kernels()
    for module in kernel_cache.KERNEL_MODULES:
        assert _registers(kernel_cache.module_path(module)), module


def test_the_stamp_follows_every_kernel_source() -> None:
    digest = hashlib.sha256()
    for module in kernel_cache.KERNEL_MODULES:
        source = (PACKAGE.joinpath(*module.split(".")[1:]).with_suffix(".py")).read_bytes()
        digest.update(module.encode() + b"\0" + source + b"\0")
    assert kernel_cache.sources_stamp() == digest.hexdigest()


def test_refresh_deletes_only_our_stale_kernels(tmp_path: Path) -> None:
    ours = ["lanes.solve-12.py311.nbi", "lanes.solve-12.py311.1.nbc", "reach.f-3.py311.2.nbc"]
    others = ["other.g-1.py311.nbi", "reachable.h-2.py311.nbi", "lanes.cpython-311.pyc"]
    for name in ours + others:
        (tmp_path / name).write_bytes(b"x")
    assert kernel_cache.refresh_directory(tmp_path, "a" * 64, ["lanes", "reach"])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*others, kernel_cache.STAMP])
    assert (tmp_path / kernel_cache.STAMP).read_text(encoding="ascii") == "a" * 64 + "\n"
    # the same stamp: nothing deleted, even kernels cached since
    (tmp_path / ours[0]).write_bytes(b"x")
    assert not kernel_cache.refresh_directory(tmp_path, "a" * 64, ["lanes", "reach"])
    assert (tmp_path / ours[0]).exists()
    # sources changed again: deleted again
    assert kernel_cache.refresh_directory(tmp_path, "b" * 64, ["lanes", "reach"])
    assert not (tmp_path / ours[0]).exists()


CALLEE = """\
import numba

@numba.njit(cache=True)
def value():
    return {value}
"""

CALLER = """\
import numba
from callee import value

@numba.njit(cache=True)
def twice():
    return 2 * value()
"""

RUN = """\
import hashlib, sys
from pathlib import Path
from realpolitik import kernel_cache
import caller
if sys.argv[1] == "refresh":
    here = Path(__file__).parent
    stamp = hashlib.sha256(
        (here / "callee.py").read_bytes() + (here / "caller.py").read_bytes()
    ).hexdigest()
    for directory in kernel_cache.cache_directories(vars(caller)):
        kernel_cache.refresh_directory(directory, stamp, ["callee", "caller"])
print(caller.twice())
"""


def _run(folder: Path, mode: str) -> int:
    done = subprocess.run(
        [sys.executable, str(folder / "run.py"), mode],
        capture_output=True,
        text=True,
        cwd=folder,
        check=True,
    )
    return int(done.stdout.strip())


def test_a_changed_callee_is_compiled_again(tmp_path: Path) -> None:
    (tmp_path / "callee.py").write_text(CALLEE.format(value=1), encoding="utf-8")
    (tmp_path / "caller.py").write_text(CALLER, encoding="utf-8")
    (tmp_path / "run.py").write_text(textwrap.dedent(RUN), encoding="utf-8")
    assert _run(tmp_path, "refresh") == 2  # compiled and cached
    (tmp_path / "callee.py").write_text(CALLEE.format(value=5), encoding="utf-8")
    # (numba alone, "plain" here, would still print 2: the caller's cache holds the old callee)
    assert _run(tmp_path, "refresh") == 10
    assert _run(tmp_path, "plain") == 10  # and cached again, fresh


COLD = """\
import importlib, sys
from realpolitik import kernel_cache
for module in kernel_cache.KERNEL_MODULES:
    importlib.import_module(module)
print(len(kernel_cache.cold_modules()))
if sys.argv[1] == "solved":
    kernel_cache.mark_warm()
"""


def test_kernels_are_cold_until_a_command_has_solved(tmp_path: Path) -> None:
    """In fresh processes on a cache directory of their own: every kernel
    module is cold until a process that solved marks the caches warm (one
    that only imported the kernels, as ``validate`` does, marks nothing);
    then none is, until the sources change (the mark is of other sources)."""
    cache = tmp_path / "numba-cache"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}

    def cold(how: str) -> int:
        done = subprocess.run(
            [sys.executable, "-c", COLD, how], capture_output=True, text=True, env=env, check=True
        )
        return int(done.stdout.strip())

    every = len(kernel_cache.KERNEL_MODULES)
    assert cold("imported") == every
    assert cold("imported") == every
    assert cold("solved") == every  # counted before it marked
    assert cold("imported") == 0
    marks = sorted(cache.rglob(kernel_cache.WARM))
    assert len(marks) == 4  # analysis, compiler, run, solve
    solve = next(m for m in marks if m.parent.name.startswith("solve"))
    solve.write_text("0" * 64 + "\n", encoding="ascii")  # as after an update
    in_solve = [m for m in kernel_cache.KERNEL_MODULES if m.startswith("realpolitik.solve.")]
    assert cold("imported") == len(in_solve)
