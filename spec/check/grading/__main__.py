"""``python -m spec.check.grading``: the same as ``backprop grade``."""

from spec.check.grading.cli import main

raise SystemExit(main())
