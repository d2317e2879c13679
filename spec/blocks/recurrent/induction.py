"""The rows of backpropagation through time proven for every length T and every
width (``Sum`` over symbolic bounds, as :mod:`spec.general` does for depth), the
argued ones beside them, and :func:`prove_bptt`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import sympy

from spec.activations import tanh
from spec.blocks.recurrent.bptt import BPTT_VARIANTS
from spec.general.lemmas import INDEX, SLACK, Lemma, base, decide
from spec.symbols import sigma
from spec.validation import validate_choice

__all__ = ["BpttProof", "prove_bptt"]


i, j, k, p, q = (INDEX[name] for name in "ijkpq")
_H, _D = (sympy.Symbol(name, integer=True, positive=True) for name in ("H", "D"))
#: A second slack, for a parameter's row index in the range of another width.
_SLACK2 = sympy.Symbol("s'", integer=True, nonnegative=True)
_B = {
    name: base(name)
    for name in (
        "x",
        "h_{t-1}",
        "c_{t-1}",
        "W_x",
        "W_h",
        "b",
        r"\bar h_t",
        r"\bar c_t",
        r"\bar\ell_{t-1}",
        "u",
        "s",
    )
}
x_, hp, cp, Wx_, Wh_, b_ = (
    _B[n] for n in ("x", "h_{t-1}", "c_{t-1}", "W_x", "W_h", "b")
)
dh_, dc_, g_ = _B[r"\bar h_t"], _B[r"\bar c_t"], _B[r"\bar\ell_{t-1}"]
#: The LSTM's gate blocks: W_x^G, W_h^G, b^G for G in i, f, o, g.
_GATE_BASES = {
    gate: (base(f"W_x^{gate}"), base(f"W_h^{gate}"), base(f"b^{gate}"))
    for gate in "ifog"
}


def _pre(
    index: sympy.Expr, w_x: Any, w_h: Any, bias: Any, *, h_top: Any, x_top: Any
) -> Any:
    """:math:`a_{index} = \\sum_k x_k W_x[k, index] + \\sum_m h_m W_h[m, index] + b_{index}`."""
    m = sympy.Symbol("m", integer=True, nonnegative=True)
    return (
        sympy.Sum(x_[k] * w_x[k, index], (k, 0, x_top))
        + sympy.Sum(hp[m] * w_h[m, index], (m, 0, h_top))
        + bias[index]
    )


def _rnn_rows(variant: str) -> list[Lemma]:
    def h(index: Any, *, h_top: Any = _H - 1, x_top: Any = _D - 1) -> Any:
        return tanh(_pre(index, Wx_, Wh_, b_, h_top=h_top, x_top=x_top))

    dtanh = lambda index, **kw: 1 - h(index, **kw) ** 2  # noqa: E731
    rows = [
        decide(
            "RNN base",
            "t = T: C depends on h_T only through its own term, so dC/dh_T = dh_T",
            r"\frac{\partial}{\partial h_{T,j}} \sum_i \bar h_{T,i} h_{T,i}",
            lambda: sympy.diff(
                sympy.Sum(dh_[i] * hp[i], (i, 0, j + SLACK)), hp[j]
            ).doit(),
            dh_[j],
            small={SLACK: 1},
            method="sympy.diff of the symbolic sum, doit",
            uses=("chain rule",),
        ),
        decide(
            "RNN step",
            "dC/dh_{t-1,j} = dl_{t-1,j} + sum_i dC/dh_{t,i} dh_{t,i}/dh_{t-1,j} "
            "= dl_{t-1,j} + sum_i W_h[j,i] (1 - h_{t,i}^2) dC/dh_{t,i}",
            r"\bar\ell_{t-1,j} + \sum_i \bar h_{t,i} "
            r"\frac{\partial h_{t,i}}{\partial h_{t-1,j}}",
            lambda: (
                g_[j]
                + sympy.Sum(
                    dh_[i] * sympy.diff(h(i, h_top=j + SLACK), hp[j]).doit(),
                    (i, 0, _H - 1),
                )
            ),
            (0 if variant == "forget_upstream" else g_[j])
            + (
                0
                if variant == "forget_next"
                else sympy.Sum(
                    Wh_[j, i] * dtanh(i, h_top=j + SLACK) * dh_[i], (i, 0, _H - 1)
                )
            ),
            small={_H: 2, _D: 2, SLACK: 1, j: 0},
            method="chain rule on the step's derivative (sympy.diff, doit)",
            uses=("chain rule",),
        ),
    ]
    shares: tuple[tuple[str, Any, dict[str, Any], Any], ...] = (
        ("RNN dWh", Wh_[p, q], {"h_top": p + _SLACK2}, hp[p]),
        ("RNN dWx", Wx_[p, q], {"x_top": p + _SLACK2}, x_[p]),
        ("RNN db", b_[q], {}, sympy.S.One),
    )
    for name, var, tops, factor in shares:

        def share(var: Any = var, tops: dict[str, Any] = tops) -> Any:
            return sympy.Sum(
                dh_[i] * sympy.diff(h(i, **tops), var).doit(), (i, 0, q + SLACK)
            ).doit()

        rows.append(
            decide(
                name,
                f"the step's share of dC/d{var}: sum_i dC/dh_(t,i) dh_(t,i)/d{var} "
                f"= (1 - h_(t,q)^2) dC/dh_(t,q) {factor}",
                rf"\sum_i \bar h_{{t,i}} \frac{{\partial h_{{t,i}}}}"
                rf"{{\partial {sympy.latex(var)}}}",
                share,
                dtanh(q, **tops) * dh_[q] * factor,
                small={SLACK: 1, _SLACK2: 1, _H: 2, _D: 2},
                method="chain rule on the step's derivative (sympy.diff, doit)",
                uses=("chain rule",),
            )
        )
    rows.append(
        decide(
            "RNN dx",
            "dC/dx_{t,j} = sum_i W_x[j,i] (1 - h_{t,i}^2) dC/dh_{t,i}",
            r"\sum_i \bar h_{t,i} \frac{\partial h_{t,i}}{\partial x_{t,j}}",
            lambda: sympy.Sum(
                dh_[i] * sympy.diff(h(i, x_top=j + SLACK), x_[j]).doit(), (i, 0, _H - 1)
            ),
            sympy.Sum(Wx_[j, i] * dtanh(i, x_top=j + SLACK) * dh_[i], (i, 0, _H - 1)),
            small={_H: 2, _D: 2, SLACK: 1, j: 0},
            method="chain rule on the step's derivative (sympy.diff, doit)",
            uses=("chain rule",),
        )
    )
    return rows


def _lstm_input_rows(cell: Any, bars: Any) -> list[Lemma]:
    """The LSTM step's shares of W_x^G and b^G, and its dx, each gate a block."""
    top_h, top_x = _H - 1, _D - 1
    method = "chain rule on the step's derivative (sympy.diff, doit)"

    def through(index: Any, var: Any, x_top: Any) -> Any:
        h_i, c_i = cell(index, top_h, x_top)[5], cell(index, top_h, x_top)[4]
        return dh_[index] * sympy.diff(h_i, var) + dc_[index] * sympy.diff(c_i, var)

    rows = []
    for name, var_of, x_top, factor in (
        ("LSTM gates dWx", lambda gate: _GATE_BASES[gate][0][p, q], p + _SLACK2, x_[p]),
        ("LSTM gates db", lambda gate: _GATE_BASES[gate][2][q], top_x, sympy.S.One),
    ):

        def derive(var_of: Any = var_of, x_top: Any = x_top) -> Any:
            return sympy.ImmutableMatrix(
                [
                    sympy.Sum(through(i, var_of(gate), x_top), (i, 0, q + SLACK)).doit()
                    for gate in "ifog"
                ]
            )

        rows.append(
            decide(
                name,
                f"the step's share of {name.split()[-1]}^G: "
                f"{'x_{t,p} ' if factor != 1 else ''}abar^G_q for each gate G",
                r"\sum_i \bar h_{t,i} \frac{\partial h_{t,i}}{\partial \theta^G} + "
                r"\bar c_{t,i} \frac{\partial c_{t,i}}{\partial \theta^G}",
                derive,
                sympy.ImmutableMatrix(
                    [factor * bars(q, top_h, x_top)[gate] for gate in "ifog"]
                ),
                small={SLACK: 1, _SLACK2: 1, _H: 2, _D: 2},
                method=method,
                uses=("chain rule",),
            )
        )
    rows.append(
        decide(
            "LSTM dx",
            "dC/dx_{t,j} = sum_i sum_G W_x^G[j,i] abar^G_i",
            r"\sum_i \bar h_{t,i} \frac{\partial h_{t,i}}{\partial x_{t,j}} + "
            r"\bar c_{t,i} \frac{\partial c_{t,i}}{\partial x_{t,j}}",
            lambda: sympy.Sum(
                sympy.diff(cell(i, top_h, j + SLACK)[5], x_[j]).doit() * dh_[i]
                + sympy.diff(cell(i, top_h, j + SLACK)[4], x_[j]).doit() * dc_[i],
                (i, 0, top_h),
            ),
            sympy.Sum(
                sum(
                    _GATE_BASES[gate][0][j, i] * bars(i, top_h, j + SLACK)[gate]
                    for gate in "ifog"
                ),
                (i, 0, top_h),
            ),
            small={_H: 2, _D: 2, SLACK: 1, j: 0},
            method=method,
            uses=("chain rule",),
        )
    )
    return rows


def _lstm_rows(variant: str, inputs: bool) -> list[Lemma]:
    u = _B["u"]  # the part of a pre-activation that does not depend on h_{t-1}

    def a(gate: str, index: Any, h_top: Any, x_top: Any = None) -> Any:
        # x_top None: the input's part and the bias stand as one symbol u.
        w_x, w_h, bias = _GATE_BASES[gate]
        m = sympy.Symbol("m", integer=True, nonnegative=True)
        recurrent = sympy.Sum(hp[m] * w_h[m, index], (m, 0, h_top))
        if x_top is None:
            return recurrent + u[index, "ifog".index(gate)]
        return sympy.Sum(x_[k] * w_x[k, index], (k, 0, x_top)) + recurrent + bias[index]

    def cell(
        index: Any, h_top: Any, x_top: Any = None
    ) -> tuple[Any, Any, Any, Any, Any, Any]:
        i_, f_, o_ = (sigma(a(gate, index, h_top, x_top)) for gate in "ifo")
        g = tanh(a("g", index, h_top, x_top))
        c = f_ * cp[index] + i_ * g
        return i_, f_, o_, g, c, o_ * tanh(c)

    def bars(index: Any, h_top: Any, x_top: Any = None) -> dict[str, Any]:
        i_, f_, o_, g, c, _ = cell(index, h_top, x_top)
        dc = dc_[index] + dh_[index] * o_ * (1 - tanh(c) ** 2)
        return {
            "i": dc * g * i_ * (1 - i_),
            "f": dc * cp[index] * f_ * (1 - f_),
            "o": dh_[index] * tanh(c) * o_ * (1 - o_),
            "g": dc * i_ * (1 - g**2),
            "c": dc * f_,
            "c without f": dc,
        }

    top = _H - 1
    return [
        decide(
            "LSTM cell step",
            "dC/dc_{t-1,j} = sum_i (dC/dh_{t,i} dh_{t,i}/dc_{t-1,j} + dC/dc_{t,i} "
            "dc_{t,i}/dc_{t-1,j}) = (dc_t + dh_t o tanh'(c_t))_j f_j",
            r"\sum_i \bar h_{t,i} \frac{\partial h_{t,i}}{\partial c_{t-1,j}} + "
            r"\bar c_{t,i} \frac{\partial c_{t,i}}{\partial c_{t-1,j}}",
            lambda: sympy.Sum(
                dh_[i] * sympy.diff(cell(i, top)[5], cp[j])
                + dc_[i] * sympy.diff(cell(i, top)[4], cp[j]),
                (i, 0, j + SLACK),
            ).doit(),
            bars(j, top)["c without f" if variant == "dprev_c_without_f" else "c"],
            small={SLACK: 1, _H: 2, _D: 2},
            method="chain rule on the step's derivative (sympy.diff, doit)",
            uses=("chain rule",),
        ),
        decide(
            "LSTM hidden step",
            "dC/dh_{t-1,j} = dl_{t-1,j} + sum_i sum_G W_h^G[j,i] abar^G_i, the gate "
            "gradients abar^G of the textbook backward",
            r"\bar\ell_{t-1,j} + \sum_i \bar h_{t,i} \frac{\partial h_{t,i}}"
            r"{\partial h_{t-1,j}} + \bar c_{t,i} \frac{\partial c_{t,i}}{\partial h_{t-1,j}}",
            lambda: (
                g_[j]
                + sympy.Sum(
                    dh_[i] * sympy.diff(cell(i, j + SLACK)[5], hp[j]).doit()
                    + dc_[i] * sympy.diff(cell(i, j + SLACK)[4], hp[j]).doit(),
                    (i, 0, top),
                )
            ),
            g_[j]
            + sympy.Sum(
                sum(
                    _GATE_BASES[gate][1][j, i] * bars(i, j + SLACK)[gate]
                    for gate in "ifog"
                ),
                (i, 0, top),
            ),
            small={_H: 2, _D: 2, SLACK: 1, j: 0},
            method="chain rule on the step's derivative (sympy.diff, doit)",
            uses=("chain rule",),
        ),
        decide(
            "LSTM gates dWh",
            "the step's share of dC/dW_h^G[p,q] = h_{t-1,p} abar^G_q for each gate G",
            r"\sum_i \bar h_{t,i} \frac{\partial h_{t,i}}{\partial W^G_{h,pq}} + "
            r"\bar c_{t,i} \frac{\partial c_{t,i}}{\partial W^G_{h,pq}}",
            lambda: sympy.ImmutableMatrix(
                [
                    sympy.Sum(
                        dh_[i]
                        * sympy.diff(
                            cell(i, p + _SLACK2)[5], _GATE_BASES[gate][1][p, q]
                        )
                        + dc_[i]
                        * sympy.diff(
                            cell(i, p + _SLACK2)[4], _GATE_BASES[gate][1][p, q]
                        ),
                        (i, 0, q + SLACK),
                    ).doit()
                    for gate in "ifog"
                ]
            ),
            sympy.ImmutableMatrix(
                [hp[p] * bars(q, p + _SLACK2)[gate] for gate in "ifog"]
            ),
            small={SLACK: 1, _SLACK2: 1, _H: 2, _D: 2},
            method="chain rule on the step's derivative (sympy.diff, doit)",
            uses=("chain rule",),
        ),
        *(_lstm_input_rows(cell, bars) if inputs else []),
    ]


def _layer_rows() -> list[Lemma]:
    """The embedding, the temporal affine layer and the loss, for symbolic N, T, V."""
    n, t = (sympy.Symbol(name, integer=True, nonnegative=True) for name in "nt")
    big_n, big_t = (sympy.Symbol(name, integer=True, positive=True) for name in "NT")
    v, y = (sympy.Symbol(name, integer=True, nonnegative=True) for name in "vy")
    W, words, g = base("W"), base("x"), base(r"\bar{out}")
    x3, w, scores = base("x"), base("w"), base("s")
    mask, loss = base("m"), base(r"\ell")
    d = sympy.Symbol("d", integer=True, nonnegative=True)
    over_batch = ((n, 0, big_n - 1), (t, 0, big_t - 1))
    method = "sympy.diff of the symbolic sums, doit"
    log_z = sympy.log(sympy.Sum(sympy.exp(scores[k]), (k, 0, j + SLACK)))
    examples = p + SLACK + 1  # N, with the example p in range
    return [
        decide(
            "embedding dW",
            "dW_v = sum_{n,t} [x_{n,t} = v] dout_{n,t}: a repeated word's gradients add up",
            r"\frac{\partial}{\partial W_{v}} \sum_{n,t} \bar{out}_{n,t} W_{x_{n,t}}",
            lambda: sympy.diff(
                sympy.Sum(g[n, t] * W[words[n, t]], *over_batch), W[v]
            ).doit(),
            sympy.Sum(g[n, t] * sympy.KroneckerDelta(words[n, t], v), *over_batch),
            small={big_n: 2, big_t: 2},
            method=method,
            uses=("chain rule",),
        ),
        decide(
            "temporal affine dw",
            "each step's share of dw_pq is x_{n,t,p} dout_{n,t,q} (summed over n, t "
            "by weight sharing)",
            r"\frac{\partial}{\partial w_{pq}} \sum_{i} \bar{out}_{i} "
            r"\sum_d x_{d} w_{d i}",
            lambda: sympy.diff(
                sympy.Sum(
                    g[i] * sympy.Sum(x3[d] * w[d, i], (d, 0, p + SLACK)),
                    (i, 0, q + _SLACK2),
                ),
                w[p, q],
            ).doit(),
            x3[p] * g[q],
            small={SLACK: 1, _SLACK2: 1},
            method=method,
            uses=("chain rule",),
        ),
        decide(
            "loss dx",
            "d/ds_j (ln sum_k e^(s_k) - s_y) = softmax(s)_j - [j = y], for every V",
            r"\frac{\partial}{\partial s_{j}} \Bigl(\ln \sum_k e^{s_k} - s_y\Bigr)",
            lambda: sympy.diff(log_z - scores[y], scores[j]).doit(),
            sympy.exp(scores[j]) / log_z.args[0] - sympy.KroneckerDelta(j, y),
            small={SLACK: 1},
            method=method,
            uses=("chain rule",),
        ),
        decide(
            "loss weight",
            "L = (1/N) sum_{n,t} m_{n,t} l_{n,t}: dL/dl_{n,t} = m_{n,t}/N "
            "(summed over time, divided by N)",
            r"\frac{\partial}{\partial \ell_{pq}} \frac1N \sum_{n,t} m_{n,t} \ell_{n,t}",
            lambda: sympy.diff(
                sympy.Sum(
                    mask[n, t] * loss[n, t], (n, 0, p + SLACK), (t, 0, q + _SLACK2)
                )
                / examples,
                loss[p, q],
            ).doit(),
            mask[p, q] / examples,
            small={SLACK: 1, _SLACK2: 1},
            method=method,
            uses=("chain rule",),
        ),
    ]


def _argued(
    name: str,
    claim: str,
    statement: str,
    method: str,
    uses: tuple[str, ...],
    proven: bool,
) -> Lemma:
    return Lemma(
        name=name,
        claim=claim,
        statement=statement,
        kind="induction",
        proven=proven,
        method=method,
        uses=uses,
    )


@dataclass(frozen=True)
class BpttProof:
    """Outcome of :func:`prove_bptt`: the lemma table for every T and width.

    Attributes
    ----------
    lemmas : tuple of Lemma
    seconds : float
    """

    lemmas: tuple[Lemma, ...]
    seconds: float

    @property
    def proven(self) -> bool:
        """Whether every row holds (the chain rule taken as given)."""
        return all(lemma.proven for lemma in self.lemmas)

    def lemma(self, name: str) -> Lemma:
        """The row called ``name``."""
        for lemma in self.lemmas:
            if lemma.name == name:
                return lemma
        raise KeyError(f"no lemma {name!r}; rows: {[x.name for x in self.lemmas]}")

    def table(self) -> str:
        """The rows as text: name, status (assumed, proven, argued, FAILS), how."""
        width = max(len(lemma.name) for lemma in self.lemmas)
        lines = ["BPTT for every T and every width", f"{'row':{width}}  status   how"]
        for lemma in self.lemmas:
            status = {"assumption": "assumed", "induction": "argued"}.get(
                lemma.kind, "proven"
            )
            if not lemma.proven:
                status = "FAILS"
            lines.append(f"{lemma.name:{width}}  {status:7}  {lemma.method}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def prove_bptt(
    *, lstm: bool = True, lstm_inputs: bool = True, variant: str = "correct"
) -> BpttProof:
    r"""Prove the step of BPTT for symbolic widths and argue the induction on t.

    Rows (``decide`` of :mod:`spec.general.lemmas`: SymPy differentiates the step
    written with ``Sum`` over symbolic :math:`D, H`, and the difference with the
    recursion's formula simplifies to 0):

    - *RNN base*: :math:`\partial C / \partial h_T = \bar h_T`;
    - *RNN step*: :math:`\partial C/\partial h_{t-1} = \bar\ell_{t-1} +
      ((\partial C/\partial h_t) \odot (1 - h_t^2)) W_h^T`;
    - *RNN dWh, dWx, db, dx*: each step's share of the parameter gradients;
    - *LSTM cell step*, *LSTM hidden step*, *LSTM gates dWh*, *dWx*, *db*,
      *LSTM dx*: the same for the LSTM, each gate's weights a separate block (the layout of the blocks in
      the 4H-wide arrays, i.e. the gate order, is proven at fixed sizes by
      :func:`prove_recurrent`);
    - *embedding dW*, *temporal affine dw*, *loss dx*, *loss weight*: the other
      layers for symbolic :math:`N, T, V` (repeated words add up; the loss is
      summed over time and divided by :math:`N`);
    - *weight sharing* (argued): a parameter used at every step gets the sum of
      the steps' shares (the chain rule through the copies :math:`\theta_t =
      \theta`);
    - *induction* (argued, not machine-checked): for every :math:`T` and
      :math:`t = T, \dots, 1`, the recursion's :math:`\bar h_t` is
      :math:`\partial C / \partial h_t` — base *RNN base*, step *RNN step*
      (:math:`C` depends on :math:`h_{t-1}` through its own term and otherwise
      only through :math:`h_t`, and for the LSTM through :math:`(h_t, c_t)`).

    Parameters
    ----------
    lstm : bool, default True
        Include the LSTM rows (slower: about a minute).
    lstm_inputs : bool, default True
        Include the LSTM's rows for W_x, b and x (the slowest; they follow the
        pattern of the W_h row).
    variant : str, default "correct"
        A wrong recursion to refute (:data:`BPTT_VARIANTS`): ``"forget_next"``
        and ``"forget_upstream"`` drop one of the two terms of the RNN step,
        ``"dprev_c_without_f"`` the forget gate of the LSTM's cell step; the row
        it breaks then FAILS.

    Returns
    -------
    BpttProof
    """
    start = time.perf_counter()
    chain = Lemma(
        name="chain rule",
        claim="dC/du_j = sum_i dC/dv_i dv_i/du_j if C depends on u only through v",
        statement=r"\frac{\partial C}{\partial u_j} = \sum_i \frac{\partial C}"
        r"{\partial v_i} \frac{\partial v_i}{\partial u_j}",
        kind="assumption",
        proven=True,
        method="assumed, not proven here",
    )
    validate_choice("variant", variant, BPTT_VARIANTS)
    rows = [chain, *_rnn_rows(variant)]
    if lstm:
        rows += _lstm_rows(variant, lstm_inputs)
    rows += _layer_rows()
    proven = {lemma.name: lemma.proven for lemma in rows}
    step_rows = ("RNN base", "RNN step") + (
        ("LSTM cell step", "LSTM hidden step") if lstm else ()
    )
    share_rows = tuple(
        name
        for name in proven
        if name.startswith(("RNN d", "LSTM gates")) or name == "LSTM dx"
    )
    rows.append(
        _argued(
            "weight sharing",
            "dC/dtheta = sum_t (step t's share), theta used by every step",
            r"\frac{\partial C}{\partial \theta} = \sum_t \frac{\partial C}"
            r"{\partial \theta_t}\Big|_{\theta_t = \theta}",
            "argued from the chain rule through the copies theta_t = theta",
            ("chain rule",),
            True,
        )
    )
    rows.append(
        _argued(
            "induction",
            "for every T and t = T, ..., 1 the recursion's dh_t (and dc_t) equal "
            "dC/dh_t (dC/dc_t); with weight sharing, the parameter gradients too",
            r"\forall T\ \forall t \le T:\ \bar h_t = \frac{\partial C}{\partial h_t}",
            "induction on T - t, argued from the rows (not machine-checked)",
            (*step_rows, *share_rows, "weight sharing"),
            all(proven[name] for name in (*step_rows, *share_rows)),
        )
    )
    return BpttProof(tuple(rows), time.perf_counter() - start)
