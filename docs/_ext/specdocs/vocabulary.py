"""How the pages name things, with no Sphinx import (tests reach it)."""

from __future__ import annotations

#: How the pages name the costs.
COST_NAMES = {
    "cross_entropy": "cross-entropy",
    "quadratic": "quadratic",
    "log_likelihood": "log-likelihood",
}
