"""Shared test settings: hypothesis profiles and the tolerances of the gradient checks.

Hypothesis profiles, chosen by the environment variable ``HYPOTHESIS_PROFILE``:

- ``dev`` (the default): few examples, for the inner loop of ``pytest -k gradcheck``;
- ``ci``: many more examples (set by ``.ci/run``), still within the CI budget.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings
from threadpoolctl import threadpool_limits

settings.register_profile(
    "dev",
    max_examples=25,
    deadline=None,  # the first example pays for BLAS warm-up
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    max_examples=200,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
settings.load_profile(PROFILE)
#: The ``ci`` profile also runs the longer seed sweeps in full.
THOROUGH = PROFILE == "ci"


@pytest.fixture(scope="module")
def single_threaded_blas():
    """One BLAS thread while a module runs.

    The gradient checks multiply small matrices (10 x 784 at most). OpenBLAS's
    threads do not pay for themselves there, and on a busy 2-core machine they
    spin: a complex 10x784 @ 784x200 product measured 80 ms threaded, 2 ms on one
    thread, making a fast check of 784-200-10 take 1 s instead of 40 ms.
    """
    with threadpool_limits(limits=1, user_api="blas"):
        yield


# -- tolerances of the gradient checks (tests/test_gradcheck_*.py) ----------------
# Measured in float64 on sigmoid networks up to 4 layers with weights up to 100:
# vectorised backprop vs the 50-digit oracle ~1e-15 relative, complex step
# ~2e-15, Richardson ~1e-11, central differences ~1e-9 (relative to the largest
# gradient entry plus |C|). Each tolerance leaves a factor of 100 or more.

#: backprop against the exact oracle: the two differ by float64 rounding only.
ORACLE_RTOL = 1e-10
#: backprop against the complex step: no cancellation on either side.
COMPLEX_RTOL = 1e-10
#: backprop against central differences, whose error is ~ε^(2/3) ≈ 4e-11 times the
#: size of the cost and its third derivative.
CENTRAL_RTOL = 1e-6
#: float32 backprop against a float64 reference: measured at most 11 ulps of
#: float32 relative to the largest entry (784-200-10, quadratic); 2^10 ulps leaves
#: two orders of magnitude.
FLOAT32_RTOL = 2**10 * float(np.finfo(np.float32).eps)
#: One descent step, extrapolated in the learning rate (lr = 1e-3): the remainder is
#: O(lr^2); measured at most 2e-7 relative. The bugs it targets are off by 100 %.
DESCENT_RTOL = 1e-4
#: Per-example weights recovered from one SGD epoch at lr = 1e-7, relative to
#: 1/batch_size: measured ~2e-5 (O(lr) drift and least-squares conditioning); a
#: dropped or repeated example is off by 100 %.
EPOCH_TOL = 1e-3

#: The costs of a sigmoid output layer (log-likelihood needs a softmax output).
SIGMOID_OUTPUT_COSTS = ("quadratic", "cross_entropy")
