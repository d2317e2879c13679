"""The cases a recurrent layer is checked on (T = 1 and T > 1, N = 1 and N > 1,
H != D, repeated word indices, masks with zeros, float32 and float64), and the
tolerance of each precision."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CASES",
    "TOLERANCE",
    "Case",
    "recurrent_cases",
]


@dataclass(frozen=True)
class Case:
    """One case: sizes, dtype, the upstream gradient's scale, and why it exists."""

    N: int
    T: int
    D: int
    H: int
    V: int
    dtype: str
    scale: float
    why: str


#: The cases of every kind (steps use only N, D, H).
CASES = (
    Case(2, 3, 4, 5, 6, "float64", 1.0, "N > 1, T > 1, H != D"),
    Case(
        1,
        1,
        3,
        2,
        4,
        "float64",
        1.0,
        "N = 1, T = 1: no step receives a gradient from the next",
    ),
    Case(3, 4, 2, 3, 5, "float64", 1.0, "longer sequences, D < H"),
    Case(2, 3, 3, 4, 5, "float64", 40.0, "large upstream gradients: clipping shows"),
    Case(2, 3, 4, 5, 6, "float32", 1.0, "float32 kept: no false alarm from rounding"),
)


#: Largest relative error (to the largest reference entry) accepted: float64
#: layers differ from the derivation by rounding only (~1e-15 times a few
#: hundred operations); float32 ones by ~1e-7 times the same, grown through T
#: steps of saturating gates.
TOLERANCE = {"float64": 1e-8, "float32": 2e-3}


def recurrent_cases(
    kind: str, rng: int | np.random.Generator = 0
) -> list[tuple[Case, dict[str, NDArray], Any]]:
    """``(case, inputs, dout)`` for every case of ``kind``: inputs by CS231n's names."""
    gen = np.random.default_rng(rng)
    out = []
    for case in CASES:
        dtype = np.dtype(case.dtype)
        n, t, d, h, v = case.N, case.T, case.D, case.H, case.V

        def normal(*shape: int, s: float = 1.0, dtype: np.dtype = dtype) -> NDArray:
            return (s * gen.standard_normal(shape)).astype(dtype)

        gates = 4 if kind.startswith("lstm") else 1
        inputs: dict[str, NDArray]
        if kind in ("rnn_step", "lstm_step"):
            inputs = {"x": normal(n, d), "prev_h": normal(n, h)}
            if kind == "lstm_step":
                inputs["prev_c"] = normal(n, h)
            inputs |= {
                "Wx": normal(d, gates * h, s=0.5),
                "Wh": normal(h, gates * h, s=0.5),
                "b": normal(gates * h, s=0.5),
            }
            dout: Any = normal(n, h, s=case.scale)
            if kind == "lstm_step":
                dout = (dout, normal(n, h, s=case.scale))
        elif kind in ("rnn", "lstm"):
            inputs = {
                "x": normal(n, t, d),
                "h0": normal(n, h),
                "Wx": normal(d, gates * h, s=0.5),
                "Wh": normal(h, gates * h, s=0.5),
                "b": normal(gates * h, s=0.5),
            }
            dout = normal(n, t, h, s=case.scale)
        elif kind == "word_embedding":
            x = gen.integers(0, v, size=(n, t))
            x.flat[-1] = x.flat[0]  # a repeated word
            inputs = {"x": x, "W": normal(v, d)}
            dout = normal(n, t, d, s=case.scale)
        elif kind == "temporal_affine":
            inputs = {"x": normal(n, t, d), "w": normal(d, h), "b": normal(h)}
            dout = normal(n, t, h, s=case.scale)
        else:
            mask = gen.random((n, t)) < 0.7
            mask.flat[0] = True
            if mask.size > 1:
                mask.flat[-1] = False  # a masked step
            scores = normal(n, t, v, s=case.scale)
            inputs = {"x": scores, "y": gen.integers(0, v, size=(n, t)), "mask": mask}
            dout = None
        out.append((case, inputs, dout))
    return out
