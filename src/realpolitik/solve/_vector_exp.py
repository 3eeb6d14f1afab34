"""``exp`` in plain arithmetic, so that the compiler vectorises the loops that
call it: the logit responses of the belief iteration
(:mod:`realpolitik.solve._belief_lanes`, :mod:`realpolitik.solve._belief_kernels`).

Why our own: numba compiles ``math.exp`` to a call of the C library's scalar
``exp``. Without Intel's SVML (the llvmlite wheels on PyPI are built without
its patch: ``numba -s`` reports "SVML State: False") LLVM cannot vectorise a
loop that contains the call, so a row of 32 lanes became 32 calls and the
loop around them stayed scalar. Written in additions, multiplications,
``floor`` and a table read, the same loop runs on AVX-512 vectors: 1.8 ns
an exp in a loop against the C library's 4.3 ns, and the loops around it
vectorise as well.

The method is the classic one (Cody and Waite's range reduction, as in
fdlibm's ``e_exp.c``, Sun Microsystems 1993): ``x = k ln 2 + r`` with
``|r| <= ln 2 / 2``, ``ln 2`` split in a high part of 32 significant bits
(so ``k * LN2_HI`` is exact for ``|k| <= 1075``) and a low part; ``exp(r)``
by its Taylor series to degree 13 (the first term left out is ``r^14 / 14!
< 4.2e-18``, under half an ulp of 1) in Horner's form; then times ``2^k``
read from a table of the exact powers of two (no bit casts, which numba
cannot vectorise). Measured against the C library over 10^7 points in five
ranges of ``[-746, 709.7]`` when it was written: within one ulp everywhere,
the same bits in 90% of them; the tests check 2 x 10^6 of them and 3000
against exact values (``tests/solve/test_vector_exp.py``). The polynomial
is written out step by step rather than as a loop over its coefficients,
so that each step is plainly one multiplication and one addition in the
fixed order the bits depend on. NaN gives NaN, below -745.2 it is 0
(as the C library's, which rounds to 0 there), above 709.79 infinity.

Every belief-iteration path uses this function, so the lanes and the
one-draw path still agree bit for bit; the solvers checked against pygambit
and the path follower agree with them to their tolerances, as before.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from realpolitik import kernel_cache

LOG2E = 1.4426950408889634
#: ln 2 in two parts (fdlibm's ``ln2HI`` and ``ln2LO``)
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
#: 2^j for j in [-1074, 1023], exact (subnormals included)
POW2 = np.ldexp(1.0, np.arange(-1074, 1024))
_C = [1.0 / math.factorial(i) for i in range(14)]
C0, C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13 = _C


@numba.njit(cache=True, inline="always", nogil=True, error_model="numpy")
def vexp(x: float) -> float:  # pragma: no cover - compiled
    """``exp(x)`` to within one ulp, in arithmetic a loop can vectorise."""
    k: float = np.floor(x * LOG2E + 0.5)  # a float (math.floor gives an int)
    # in [-1074, 1024]; NaN fails the first test and becomes -1074 (its r is
    # NaN), so the table index is always in range
    k = k if k >= -1074.0 else -1074.0
    k = k if k <= 1024.0 else 1024.0
    r = (x - k * LN2_HI) - k * LN2_LO
    p = C13
    p = p * r + C12
    p = p * r + C11
    p = p * r + C10
    p = p * r + C9
    p = p * r + C8
    p = p * r + C7
    p = p * r + C6
    p = p * r + C5
    p = p * r + C4
    p = p * r + C3
    p = p * r + C2
    p = p * r + C1
    p = p * r + C0
    # 2^1024 is not a double: k = 1024 scales by 2 and 2^1023 (no branch)
    top = min(k, 1023.0)
    y: float = (p * (1.0 + (k - top))) * POW2[int(top) + 1074]
    if x < -745.2:
        y = 0.0
    if x > 709.79:
        y = math.inf
    return y


# cached kernels compiled from older sources are not loaded (realpolitik.kernel_cache)
kernel_cache.register(globals())
