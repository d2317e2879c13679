r"""The trajectories a learner's rule is driven along: :data:`STEPS` calls each,
the learning rate decaying by :data:`DECAY` per call, the gradients of one regime
of :data:`REGIMES`, in float64 and float32, and the tolerance :data:`RTOL` of
each precision."""

from __future__ import annotations

import dataclasses

import numpy as np
from numpy.typing import NDArray

from spec.check.conformance.optimizers.mistakes import HYPER

__all__ = [
    "DECAY",
    "REGIMES",
    "RTOL",
    "SHAPE",
    "STEPS",
    "Trajectory",
    "draw_trajectories",
    "gradients",
]


#: Calls per trajectory: enough for Adam's bias correction to fade
#: (:math:`\beta_2^{60} \approx 0.55` at :math:`\beta_2 = 0.99`) and for a
#: state not carried, or a late ``t``, to show at every step.
STEPS = 60


#: The learning rate is multiplied by this between calls (0.96^60 ≈ 0.09): the
#: decay the momentum conventions disagree on.
DECAY = 0.96


#: The gradient regimes, each with why it is there.
REGIMES: dict[str, str] = {
    "random": "standard normal gradients: the common case",
    "tiny": "gradients of size 1e-5: the root of the second moment near epsilon, "
    "where inside and outside differ",
    "huge": "gradients of size 1e5: a rule that clips or overflows shows",
    "alternating": "the sign alternates at every step: momentum's memory shows",
    "sparse": "zero gradients for the first steps and 30 % zeros after: 0/0 where "
    "epsilon is missing",
    "constant": "one gradient repeated: Adam's corrected moments are exact, so a "
    "missing or misplaced bias correction shows from the first step",
}


#: Relative tolerance of a step, by the learner's dtype, against the largest
#: parameter of the step. Measured over 20 seeds with correct rules in every
#: convention (``tests/test_check_optimizer.py``): at most 1.9e-15 in float64 (60
#: steps of a few roundings each) and 1.1e-6 in float32 (the parameters round at
#: 6e-8 per step). Any two alternatives differ by at least 5.4e-5 on some float64
#: trajectory (AdamW against its decay applied after the step; every other pair by
#: more than 5e-3, in float32 too), so 1e-9 in float64 and 1e-4 in float32 leave
#: a margin of 10^5 and 90 above a correct rule's error.
RTOL = {"float64": 1e-9, "float32": 1e-4}


#: The shape of the parameter array: non-square, so a transposed array fails.
SHAPE = (4, 5)


@dataclasses.dataclass(frozen=True)
class Trajectory:
    regime: str
    dtype: str
    w0: NDArray
    grads: NDArray  # (STEPS, *SHAPE), in ``dtype``
    lrs: tuple[float, ...]

    @property
    def label(self) -> str:
        return f"{self.regime} {self.dtype}"


def gradients(regime: str, rng: np.random.Generator) -> NDArray:
    shape = (STEPS, *SHAPE)
    if regime == "random":
        return rng.standard_normal(shape)
    if regime == "tiny":
        return 1e-5 * rng.standard_normal(shape)
    if regime == "huge":
        return 1e5 * rng.standard_normal(shape)
    if regime == "alternating":
        signs = (-1.0) ** np.arange(STEPS)
        base = np.abs(rng.standard_normal(SHAPE)) + 0.1
        return signs[:, None, None] * base + 0.05 * rng.standard_normal(shape)
    if regime == "sparse":
        g = rng.standard_normal(shape)
        g[rng.random(shape) < 0.3] = 0.0
        g[:3] = 0.0
        return g
    if regime == "constant":
        return np.broadcast_to(rng.standard_normal(SHAPE), shape).copy()
    raise ValueError(f"regime must be one of {list(REGIMES)}, got {regime!r}")


def draw_trajectories(kind: str, rng: np.random.Generator) -> list[Trajectory]:
    lr0 = HYPER[kind]["learning_rate"]
    lrs = tuple(lr0 * DECAY**k for k in range(STEPS))
    out = []
    for regime in REGIMES:
        for dtype in ("float64", "float32"):
            w0 = rng.standard_normal(SHAPE).astype(dtype)
            grads = gradients(regime, rng).astype(dtype)
            out.append(Trajectory(regime, dtype, w0, grads, lrs))
    return out
