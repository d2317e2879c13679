"""The layers of stage three, forward and backward, in NumPy: convolution,
pooling, normalisation, dropout, the losses, and the recurrent layers
(:mod:`~backprop.blocks.recurrent`, :mod:`~backprop.blocks.temporal`).

Every forward returns ``(out, cache)`` and every backward takes ``(dout, cache)``
and returns the vector-Jacobian product: ``dx`` and the parameters' gradients,
the calling shape of CS231n's ``layers.py``. Hyper-parameters are keywords;
arrays keep their dtype (float32 in, float32 out).
"""

from backprop.blocks.affine import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
)
from backprop.blocks.convolution import (
    convolution_backward,
    convolution_backward_weights,
    convolution_forward,
)
from backprop.blocks.dropout import dropout_backward, dropout_forward
from backprop.blocks.losses import hinge_loss, softmax_loss
from backprop.blocks.normalisation import (
    batchnorm_backward,
    batchnorm_forward,
    groupnorm_backward,
    groupnorm_forward,
    layernorm_backward,
    layernorm_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)
from backprop.blocks.pooling import (
    average_pool_backward,
    average_pool_forward,
    max_pool_backward,
    max_pool_forward,
)
from backprop.blocks.recurrent import (
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
)
from backprop.blocks.temporal import (
    clip_gradients,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
    word_embedding_backward,
    word_embedding_forward,
)

__all__ = [
    "affine_backward",
    "affine_forward",
    "average_pool_backward",
    "average_pool_forward",
    "batchnorm_backward",
    "batchnorm_forward",
    "clip_gradients",
    "convolution_backward",
    "convolution_backward_weights",
    "convolution_forward",
    "dropout_backward",
    "dropout_forward",
    "groupnorm_backward",
    "groupnorm_forward",
    "hinge_loss",
    "layernorm_backward",
    "layernorm_forward",
    "lstm_backward",
    "lstm_forward",
    "lstm_step_backward",
    "lstm_step_forward",
    "max_pool_backward",
    "max_pool_forward",
    "relu_backward",
    "relu_forward",
    "rnn_backward",
    "rnn_forward",
    "rnn_step_backward",
    "rnn_step_forward",
    "softmax_loss",
    "spatial_batchnorm_backward",
    "spatial_batchnorm_forward",
    "temporal_affine_backward",
    "temporal_affine_forward",
    "temporal_softmax_loss",
    "word_embedding_backward",
    "word_embedding_forward",
]
