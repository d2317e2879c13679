"""Checks of a network's gradient (:func:`spec.check_network`), of a descent step
and of an SGD epoch (:func:`spec.check_descent`, :func:`spec.check_sgd_epoch`),
in the network convention of :mod:`spec.check.network.convention`."""
