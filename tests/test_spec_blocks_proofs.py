"""The proofs of the layers' backward formulas: every row, the trap, refutations."""

from __future__ import annotations

import pytest
import sympy

from spec.activations import step
from spec.blocks import convolution, losses, normalisation, pooling, prove_blocks
from spec.blocks.evaluate import Formula
from spec.blocks.fixed import expand_sums, instantiate, vjp_case
from spec.blocks.proofs import sum_over

SYMBOLIC = {
    ("affine", "dx"),
    ("affine", "dw"),
    ("affine", "db"),
    ("relu", "dx"),
    ("convolution", "dx"),
    ("convolution", "dx (zero-inserted, flipped)"),
    ("convolution", "dw"),
    ("convolution", "db"),
    ("max_pool", "dx"),
    ("average_pool", "dx"),
    ("dropout", "dx"),
    *(
        (kind, f"{name} (test mode)")
        for kind in ("batchnorm", "spatial_batchnorm")
        for name in ("dx", "dgamma", "dbeta")
    ),
}
FIXED = {
    ("max_pool", "dx (Max at tie-free points)"),
    *(
        (kind, name)
        for kind in normalisation.KINDS
        for name in ("dx", "dgamma", "dbeta")
    ),
    ("softmax_loss", "dscores"),
    ("hinge_loss", "dscores"),
}


@pytest.fixture(scope="module")
def table():
    return prove_blocks()


def test_every_backward_is_proven(table):
    assert table.proven, table.table()
    assert {(r.kind, r.gradient) for r in table.rows} == SYMBOLIC | FIXED


def test_each_row_says_symbolic_or_which_fixed_sizes(table):
    for row in table.rows:
        if (row.kind, row.gradient) in SYMBOLIC:
            assert row.scope == "symbolic"
            assert row.sizes == ()
        else:
            assert row.scope == "fixed sizes"
            assert len(row.sizes) >= 2, row
        assert row.method
        assert row.residual is None
    data = table.data()
    assert data[0]["kind"] == "affine"
    assert "proven" in str(table.row("convolution", "dw"))


# -- the trap: SymPy's delta summation with a strided index ------------------------


def test_sympy_delta_summation_drops_divisibility():
    # The trap a strided proof must not rely on: the sum is 0 at odd n, SymPy
    # answers g[n/2] for every n.
    g, i, n = (
        sympy.IndexedBase("g"),
        sympy.Symbol("i", integer=True),
        sympy.Symbol("n", integer=True),
    )
    strided = sympy.Sum(g[i] * sympy.KroneckerDelta(n, 2 * i), (i, 0, 5))
    answer = strided.doit()  # Piecewise((g[n/2], 0 <= n <= 10), (0, True))
    assert g[n / 2] in answer.atoms(sympy.Indexed)
    assert answer.subs(n, 3) == g[sympy.Rational(3, 2)]  # not 0
    assert expand_sums(strided.subs(n, 3)) == 0  # the true value
    with pytest.raises(ValueError, match="coefficient"):
        sum_over(strided.function, i, 0, 5)


@pytest.mark.parametrize(
    ("stride", "padding", "height", "kernel"),
    [(2, 1, 7, 3), (3, 0, 8, 2), (2, 2, 6, 3)],
)
def test_strided_convolution_dx_is_right_at_odd_and_even_rows(
    stride, padding, height, kernel
):
    # The symbolic dx (derived for every size) at numbers, entry by entry, equals
    # sympy.diff of the instantiated definition: odd rows included, where the
    # trap would put a fractional index.
    symbols = convolution.SYMBOLS
    out_rows = 1 + (height + 2 * padding - kernel) // stride
    numbers = {
        symbols["N"]: 1,
        symbols["C"]: 2,
        symbols["F"]: 2,
        symbols["H"]: height,
        symbols["W"]: 2,
        symbols["H_K"]: kernel,
        symbols["W_K"]: 2,
        symbols["H'"]: out_rows,
        symbols["W'"]: 1,
        symbols["s_h"]: stride,
        symbols["s_w"]: 1,
        symbols["p_h"]: padding,
        symbols["p_w"]: 0,
    }
    block = convolution.block()
    dx = next(f for f in block.backward if f.name == "dx")
    build = vjp_case(block.forward, convolution.g, [(convolution.x, dx)], numbers)
    direct, formula = build()
    assert len(direct) == 2 * height * 2  # every row q, odd and even
    for d, f in zip(direct, formula, strict=True):
        assert sympy.expand(d - f) == 0
    # And the zero-inserted, flipped form at the same numbers.
    zero_inserted = convolution.textbook()["dx (zero-inserted, flipped)"]
    for position, value in instantiate(zero_inserted, numbers).items():
        k = ((position[1] * height) + position[2]) * 2 + position[3]
        assert sympy.expand(value.xreplace(_plain(value)) - formula[k]) == 0


def _plain(expr):
    return {a: sympy.Symbol(str(a), real=True) for a in expr.atoms(sympy.Indexed)}


# -- wrong formulas are refuted ----------------------------------------------------


def _with(formula: Formula, expr) -> Formula:
    return Formula(formula.name, formula.indices, formula.shape, expr)


def test_convolution_wrong_formulas_are_not_proven():
    right = convolution.textbook()
    flipped = right["dx (zero-inserted, flipped)"]
    w, hk, wk = convolution.w, convolution.HK, convolution.WK
    f, c1, a, e = (convolution.f, convolution.c1, convolution.a, convolution.e)
    unflipped = flipped.expr.xreplace(
        {w[f, c1, hk - 1 - a, wk - 1 - e]: w[f, c1, a, e]}
    )
    g, f1, i, k = convolution.g, convolution.f1, convolution.i, convolution.k
    no_batch_sum = sympy.Sum(
        g[0, f1, i, k], (i, 0, convolution.OH - 1), (k, 0, convolution.OW - 1)
    )
    stride_ignored = right["dx"].expr.xreplace({convolution.S_H: 1})
    rows = convolution.prove_convolution(
        {
            "dx (zero-inserted, flipped)": _with(flipped, unflipped),
            "db": _with(right["db"], no_batch_sum),
            "dx": _with(right["dx"], stride_ignored),
        }
    )
    assert [row.proven for row in rows] == [False, False, False]
    assert all(row.residual for row in rows)


def test_pooling_wrong_formulas_are_not_proven():
    average = pooling.textbook("average_pool")
    not_divided = average.expr * pooling.HP * pooling.WP
    every_position = pooling.textbook("average_pool").expr * pooling.HP * pooling.WP
    rows = pooling.prove_pooling(
        {
            "average_pool": _with(average, not_divided),
            "max_pool": _with(average, every_position),
        }
    )
    assert [row.proven for row in rows] == [False, False]


def test_normalisation_wrong_formulas_are_not_proven():
    right = normalisation.textbook("batchnorm")
    # Backward without the mean terms: dx = g gamma / sigma.
    n1, d1 = right["dx"].indices
    gamma, g = normalisation.gamma, normalisation.g
    _, sigma = sympy.fraction(right["dx"].expr)
    no_mean_terms = g[n1, d1] * gamma[d1] * normalisation.size("N") / sigma
    (row,) = normalisation.prove_normalisation(
        "batchnorm", {"dx": _with(right["dx"], no_mean_terms)}
    )
    assert not row.proven
    # Layer norm's statistics taken over the batch axis (batch norm's formula).
    (row,) = normalisation.prove_normalisation("layernorm", {"dx": right["dx"]})
    assert not row.proven


def test_loss_wrong_formulas_are_not_proven():
    softmax = losses.textbook("softmax_loss")
    hinge = losses.textbook("hinge_loss")
    s, y, n1, j1 = losses.s, losses.y, losses.n1, losses.j1
    # Not divided by N; the correct class's count of violated margins dropped.
    not_mean = _with(softmax, softmax.expr * losses.N)
    margin = s[n1, j1] - s[n1, y[n1]] + losses.MARGIN
    others_only = (
        losses.UPSTREAM
        / losses.N
        * (1 - sympy.KroneckerDelta(j1, y[n1]))
        * step(margin)
    )
    rows = losses.prove_losses(
        {"softmax_loss": not_mean, "hinge_loss": _with(hinge, others_only)}
    )
    assert [row.proven for row in rows] == [False, False]
    assert "N=" in rows[0].residual


def test_the_table_renders_as_text_and_rst(table):
    text, rst = table.table(), table.rst()
    assert len(text.splitlines()) == len(table.rows) + 1
    assert rst.count("   * - ") == len(table.rows) + 1
    assert "every size" in rst
    assert "N=2, D=3" in rst


def test_every_formula_prints_as_latex():
    formulas = [
        *convolution.textbook().values(),
        convolution.forward(),
        pooling.textbook("max_pool"),
        *normalisation.textbook("groupnorm").values(),
        losses.textbook("hinge_loss"),
        losses.forward("softmax_loss"),
    ]
    for formula in formulas:
        text = formula.latex()
        assert text.startswith(r"\mathrm{")
        assert "=" in text
