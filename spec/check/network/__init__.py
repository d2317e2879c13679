"""Checks of a network's gradient (:func:`spec.check_network`), of a descent step
and of an SGD epoch (:func:`spec.check_descent`, :func:`spec.check_sgd_epoch`), in
the network convention of :mod:`backprop`: parameters packed ``W^1, b^1, …, W^L,
b^L`` (:func:`~spec.check.network.gradient.network_blocks`,
:func:`~spec.check.network.gradient.interleave`) and ``activations=``, ``l2=``
passed only where not the defaults
(:func:`~spec.check.network.gradient.network_keywords`)."""
