"""Bad calls of the derivative checks: each error names the function (by its role
and ``__name__``), what it returned, and what was expected.

Every row of ``BAD_CALLS`` is one mistake a user makes with ``spec.gradcheck``,
``spec.check_jacobian``, ``check_vjp``, ``check_jvp``, ``check_hvp``,
``check_hessian``, ``taylor_test`` or ``check_network``: a function returning
``None``, a string, a ragged list, an object or complex array, a value of the
wrong shape, a tree with missing or extra keys or the wrong length, a NaN; an
argument that is not callable, or not an array. A claimed derivative of the
wrong shape or structure is a failed check (``GradcheckError``); a value that is
no array of real numbers, or an argument of the wrong kind, is a ``TypeError`` or
``ValueError``.
"""

from __future__ import annotations

import numpy as np
import pytest

import backprop
import spec

pytestmark = pytest.mark.usefixtures("single_threaded_blas")

X = np.array([0.3, -1.2, 2.0])


def tree_point():
    return {"W": np.array([[0.5, -0.2], [0.1, 0.9]]), "b": np.array([0.3, -0.7])}


def squares(x):
    return np.sum(x**2)


def double(x):
    return 2 * x


def tree_squares(p):
    return np.sum(p["W"] ** 2) + np.sum(p["b"] ** 2)


def tree_double(p):
    return {"W": 2 * p["W"], "b": 2 * p["b"]}


def elementwise_sin(x):
    return np.sin(x)


def returns_none(*args):
    return None


def returns_text(*args):
    return "abc"


def returns_ragged(*args):
    return [[1.0, 2.0], [3.0]]


def returns_objects(*args):
    return np.array([object(), object(), object()])


def returns_nan(*args):
    return np.nan


def returns_complex(*args):
    return np.ones(3) * 1j


def grad_too_short(x):
    return np.ones(2)


def grad_as_list(p):
    return [2 * p["W"], 2 * p["b"]]


def grad_missing_b(p):
    return {"W": 2 * p["W"]}


def grad_extra_c(p):
    return {**tree_double(p), "c": np.zeros(1)}


def grad_short_w(p):
    return {"W": np.ones(2), "b": 2 * p["b"]}


def grad_b_as_dict(p):
    return {"W": 2 * p["W"], "b": {"bias": 2 * p["b"]}}


def grad_one_item(p):
    return (2 * p[0],)


def pair_squares(p):
    return np.sum(p[0] ** 2) + np.sum(p[1] ** 2)


def jac_of_sin_wrong_shape(x):
    return np.cos(x)


def vjp_missing_b(p, v):
    return {"W": np.outer(v, p["b"])}


def matvec(p):
    return p["W"] @ p["b"]


def jvp_too_short(x, u):
    return np.ones(2)


def hvp_extra_c(p, v):
    return {"W": 2 * v["W"], "b": 2 * v["b"], "c": 1.0}


NETWORK = backprop.init_params([2, 3, 2], rng=0)
BATCH = np.random.default_rng(1).random((4, 2)), np.eye(2)[[0, 1, 1, 0]]


def network(**kwargs):
    return spec.check_network(*NETWORK, *BATCH, **kwargs)


def grads_none(weights, biases, x, y, **network):
    return None


def grads_one_layer_short(weights, biases, x, y, **network):
    grad_w, grad_b = backprop.gradients(weights, biases, x, y, **network)
    return grad_w[:1], grad_b


def grads_with_none(weights, biases, x, y, **network):
    grad_w, grad_b = backprop.gradients(weights, biases, x, y, **network)
    return [None, *grad_w[1:]], grad_b


GradcheckError = spec.GradcheckError

#: (call, error, what the message must say: the function, what came, what was
#: expected).
BAD_CALLS = [
    # -- the user's f ----------------------------------------------------------
    pytest.param(
        lambda: spec.gradcheck(returns_none, double, X),
        TypeError,
        ["f (returns_none)", "returned None", "expected a real array or number"],
        id="gradcheck-f-None",
    ),
    pytest.param(
        lambda: spec.gradcheck(returns_text, double, X),
        TypeError,
        ["f (returns_text)", "returned str 'abc'", "expected a real array or number"],
        id="gradcheck-f-str",
    ),
    pytest.param(
        lambda: spec.gradcheck(returns_ragged, double, X),
        TypeError,
        ["f (returns_ragged)", "a ragged list of 2 items", "expected a real array"],
        id="gradcheck-f-ragged",
    ),
    pytest.param(
        lambda: spec.gradcheck(returns_objects, double, X),
        TypeError,
        ["f (returns_objects)", "an object array of shape (3,)", "expected a real"],
        id="gradcheck-f-object-array",
    ),
    pytest.param(
        lambda: spec.gradcheck(elementwise_sin, double, X),
        ValueError,
        ["f (elementwise_sin)", "float64 array of shape (3,)", "must return a scalar"],
        id="gradcheck-f-not-scalar",
    ),
    pytest.param(
        lambda: spec.gradcheck(returns_nan, double, X),
        ValueError,
        ["f (returns_nan)", "returned nan", "expected finite real values"],
        id="gradcheck-f-NaN",
    ),
    pytest.param(
        lambda: spec.gradcheck(returns_none, double, X, method="auto"),
        TypeError,
        ["f (returns_none)", "returned None", "expected a real array or number"],
        id="gradcheck-auto-f-None",
    ),
    pytest.param(
        lambda: spec.check_jacobian(returns_text, lambda x: np.eye(3), X),
        TypeError,
        ["f (returns_text)", "returned str 'abc'", "expected a real array or number"],
        id="check_jacobian-f-str",
    ),
    pytest.param(
        lambda: spec.check_jvp(returns_complex, lambda x, u: u, X),
        TypeError,
        ["f (returns_complex)", "complex128 array of shape (3,)", "expected a real"],
        id="check_jvp-f-complex",
    ),
    pytest.param(
        lambda: spec.taylor_test(returns_text, double, X),
        TypeError,
        ["f (returns_text)", "returned str 'abc'", "expected a real array or number"],
        id="taylor_test-f-str",
    ),
    # -- the claimed gradient ---------------------------------------------------
    pytest.param(
        lambda: spec.gradcheck(squares, returns_none, X),
        TypeError,
        ["grad (returns_none)", "returned None", "shape (3,), the shape of theta"],
        id="gradcheck-grad-None",
    ),
    pytest.param(
        lambda: spec.gradcheck(squares, returns_ragged, X),
        TypeError,
        ["grad (returns_ragged)", "a ragged list of 2 items", "the shape of theta"],
        id="gradcheck-grad-ragged",
    ),
    pytest.param(
        lambda: spec.gradcheck(squares, returns_objects, X),
        TypeError,
        ["grad (returns_objects)", "an object array", "expected a real array"],
        id="gradcheck-grad-object-array",
    ),
    pytest.param(
        lambda: spec.gradcheck(squares, returns_complex, X),
        TypeError,
        ["grad (returns_complex)", "complex128 array", "expected a real array"],
        id="gradcheck-grad-complex",
    ),
    pytest.param(
        lambda: spec.gradcheck(squares, grad_too_short, X),
        GradcheckError,
        ["grad (grad_too_short)", "shape (2,)", "expected (3,), the shape of theta"],
        id="gradcheck-grad-wrong-shape",
    ),
    pytest.param(
        lambda: spec.gradcheck(tree_squares, returns_none, tree_point()),
        TypeError,
        ["grad (returns_none)", "returned None", "a dict with keys ['W', 'b']"],
        id="gradcheck-tree-grad-None",
    ),
    pytest.param(
        lambda: spec.gradcheck(tree_squares, grad_as_list, tree_point()),
        GradcheckError,
        ["grad (grad_as_list)", "a list of 2 items", "a dict with keys ['W', 'b']"],
        id="gradcheck-tree-list-for-dict",
    ),
    pytest.param(
        lambda: spec.gradcheck(tree_squares, grad_missing_b, tree_point()),
        GradcheckError,
        ["grad (grad_missing_b)", "a dict with keys ['W']", "missing key 'b'"],
        id="gradcheck-tree-missing-key",
    ),
    pytest.param(
        lambda: spec.gradcheck(tree_squares, grad_extra_c, tree_point()),
        GradcheckError,
        ["grad (grad_extra_c)", "extra key 'c'", "a dict with keys ['W', 'b']"],
        id="gradcheck-tree-extra-key",
    ),
    pytest.param(
        lambda: spec.gradcheck(tree_squares, grad_short_w, tree_point()),
        GradcheckError,
        ["grad (grad_short_w)", "got (2,)", 'grad(theta)["W"] must have shape (2, 2)'],
        id="gradcheck-tree-leaf-shape",
    ),
    pytest.param(
        lambda: spec.gradcheck(tree_squares, grad_b_as_dict, tree_point()),
        GradcheckError,
        ["grad (grad_b_as_dict)", "a dict with keys ['bias']", "expected an array"],
        id="gradcheck-tree-dict-for-leaf",
    ),
    pytest.param(
        lambda: spec.gradcheck(pair_squares, grad_one_item, (X, X)),
        GradcheckError,
        ["grad (grad_one_item)", "a tuple of 1 item", "a tuple of 2 items"],
        id="gradcheck-tuple-length",
    ),
    # -- Jacobians, VJPs, JVPs ---------------------------------------------------
    pytest.param(
        lambda: spec.check_jacobian(elementwise_sin, returns_none, X),
        TypeError,
        ["jac (returns_none)", "returned None", "(3, 3), f(x).shape + the shape"],
        id="check_jacobian-jac-None",
    ),
    pytest.param(
        lambda: spec.check_jacobian(elementwise_sin, jac_of_sin_wrong_shape, X),
        GradcheckError,
        ["jac (jac_of_sin_wrong_shape)", "got (3,)", "must have shape (3, 3)"],
        id="check_jacobian-jac-wrong-shape",
    ),
    pytest.param(
        lambda: spec.check_vjp(elementwise_sin, returns_none, X),
        TypeError,
        ["vjp (returns_none)", "returned None", "shape (3,), the shape of x"],
        id="check_vjp-vjp-None",
    ),
    pytest.param(
        lambda: spec.check_vjp(elementwise_sin, returns_text, X),
        TypeError,
        ["vjp (returns_text)", "returned str 'abc'", "shape (3,), the shape of x"],
        id="check_vjp-vjp-str",
    ),
    pytest.param(
        lambda: spec.check_vjp(matvec, vjp_missing_b, tree_point()),
        GradcheckError,
        ["vjp (vjp_missing_b)", "a dict with keys ['W']", "missing key 'b'"],
        id="check_vjp-tree-missing-key",
    ),
    pytest.param(
        lambda: spec.check_vjp(
            elementwise_sin, lambda x, v: v, X, v=[[1.0], [1.0, 2.0]]
        ),
        TypeError,
        ["v must be an array or a real number", "a ragged list of 2 items", "v "],
        id="check_vjp-v-ragged",
    ),
    pytest.param(
        lambda: spec.check_jvp(elementwise_sin, returns_none, X),
        TypeError,
        ["jvp (returns_none)", "returned None", "shape (3,), the shape of f(x)"],
        id="check_jvp-jvp-None",
    ),
    pytest.param(
        lambda: spec.check_jvp(elementwise_sin, returns_ragged, X),
        TypeError,
        ["jvp (returns_ragged)", "a ragged list of 2 items", "the shape of f(x)"],
        id="check_jvp-jvp-ragged",
    ),
    pytest.param(
        lambda: spec.check_jvp(elementwise_sin, jvp_too_short, X),
        GradcheckError,
        ["jvp (jvp_too_short)", "shape (2,)", "expected (3,), the shape of f(x)"],
        id="check_jvp-jvp-wrong-shape",
    ),
    pytest.param(
        lambda: spec.check_jvp(elementwise_sin, lambda x, u: u, X, u={"a": X}),
        TypeError,
        ["u is a dict with keys ['a']", "expected a real array of shape (3,)", "u "],
        id="check_jvp-u-dict-for-array",
    ),
    # -- second order and the Taylor test ----------------------------------------
    pytest.param(
        lambda: spec.check_hvp(squares, returns_text, X),
        TypeError,
        ["hvp (returns_text)", "returned str 'abc'", "shape (3,), the shape of x"],
        id="check_hvp-hvp-str",
    ),
    pytest.param(
        lambda: spec.check_hvp(squares, lambda x, v: 2 * v, X, grad=returns_none),
        TypeError,
        ["grad (returns_none)", "returned None", "shape (3,), the shape of x"],
        id="check_hvp-grad-None",
    ),
    pytest.param(
        lambda: spec.check_hvp(tree_squares, hvp_extra_c, tree_point()),
        GradcheckError,
        ["hvp (hvp_extra_c)", "extra key 'c'", "a dict with keys ['W', 'b']"],
        id="check_hvp-tree-extra-key",
    ),
    pytest.param(
        lambda: spec.check_hessian(squares, returns_none, X),
        TypeError,
        ["hess (returns_none)", "returned None", "(3, 3) over the entries of x"],
        id="check_hessian-hess-None",
    ),
    pytest.param(
        lambda: spec.check_hessian(squares, returns_ragged, X),
        TypeError,
        ["hess (returns_ragged)", "a ragged list", "(3, 3) over the entries of x"],
        id="check_hessian-hess-ragged",
    ),
    pytest.param(
        lambda: spec.taylor_test(squares, returns_none, X),
        TypeError,
        ["grad (returns_none)", "returned None", "shape (3,), the shape of x"],
        id="taylor_test-grad-None",
    ),
    pytest.param(
        lambda: spec.taylor_test(tree_squares, grad_missing_b, tree_point()),
        ValueError,
        ["grad (grad_missing_b)", "a dict with keys ['W']", "missing key 'b'"],
        id="taylor_test-tree-missing-key",
    ),
    pytest.param(
        lambda: spec.taylor_test(squares, double, X, hvp=returns_ragged),
        TypeError,
        ["hvp (returns_ragged)", "a ragged list", "shape (3,), the shape of x"],
        id="taylor_test-hvp-ragged",
    ),
    pytest.param(
        lambda: spec.taylor_test(tree_squares, tree_double, tree_point(), d=[X]),
        ValueError,
        ["d must have the structure of x", "a list of 1 item", "a dict with keys"],
        id="taylor_test-d-wrong-structure",
    ),
    # -- arguments that are not functions, or not arrays -------------------------
    pytest.param(
        lambda: spec.gradcheck(3.0, double, X),
        TypeError,
        ["f must be callable", "float 3.0", "callable"],
        id="gradcheck-f-not-callable",
    ),
    pytest.param(
        lambda: spec.check_vjp(elementwise_sin, X, X),
        TypeError,
        ["vjp must be callable", "float64 array of shape (3,)", "callable"],
        id="check_vjp-vjp-not-callable",
    ),
    pytest.param(
        lambda: spec.gradcheck(squares, double, ["a", "b"]),
        TypeError,
        ["theta[0]", "str 'a'", "must be an array or a real number"],
        id="gradcheck-theta-of-strings",
    ),
    pytest.param(
        lambda: spec.check_jvp(elementwise_sin, lambda x, u: u, {"W": "a"}),
        TypeError,
        ['x["W"]', "str 'a'", "must be an array or a real number"],
        id="check_jvp-tree-of-strings",
    ),
    # -- a network's gradient function -------------------------------------------
    pytest.param(
        lambda: network(gradients=grads_none),
        TypeError,
        ["gradients (grads_none)", "returned None", "a pair (grad_w, grad_b)"],
        id="check_network-gradients-None",
    ),
    pytest.param(
        lambda: network(gradients=grads_with_none),
        TypeError,
        ["gradients (grads_with_none)", "None for the gradient of W^1", "(3, 2)"],
        id="check_network-gradient-None",
    ),
    pytest.param(
        lambda: network(gradients=grads_one_layer_short),
        GradcheckError,
        ["gradients (grads_one_layer_short)", "1 weight and 2 bias", "2 layers"],
        id="check_network-gradients-missing-layer",
    ),
    pytest.param(
        lambda: network(gradients=3),
        TypeError,
        ["gradients must be callable", "int 3", "callable"],
        id="check_network-gradients-not-callable",
    ),
]


@pytest.mark.parametrize(("call", "error", "says"), BAD_CALLS)
def test_gradcheck_errors_name_the_function_what_came_and_what_was_expected(
    call, error, says
):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert "__dlpack__" not in message
    for part in says:
        assert part in message, message


def test_gradcheck_errors_cover_every_check():
    tried = {p.id.split("-")[0] for p in BAD_CALLS}
    assert tried == {
        "gradcheck",
        "check_jacobian",
        "check_vjp",
        "check_jvp",
        "check_hvp",
        "check_hessian",
        "taylor_test",
        "check_network",
    }
    assert len(BAD_CALLS) >= 25


def test_gradcheck_errors_nan_in_a_claimed_gradient_fails_by_entry():
    def grad_with_nan(x):
        g = 2 * x
        g[1] = np.nan
        return g

    report = spec.gradcheck(squares, grad_with_nan, X, raise_on_failure=False)
    assert not report.passed
    assert [e.name for e in report.worst] == ["theta[1]"]
    assert np.isnan(report.worst[0].claimed)


def test_gradcheck_errors_dict_keys_match_in_any_order():
    def reordered(p):
        return {"b": 2 * p["b"], "W": 2 * p["W"]}

    report = spec.gradcheck(tree_squares, reordered, tree_point())
    assert report.passed
    assert [b.name for b in report.blocks] == ['theta["W"]', 'theta["b"]']
