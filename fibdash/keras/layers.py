"""The tutorial's attention layer, rewritten for Keras 3 with `keras.ops`.

The other heads of the attention model (`fibdash.config.ATTENTIONS`) are Keras' own layers, put together
in `fibdash.keras.models`; this one is the tutorial's own, kept as it is (its registered name,
"fibdash>Attention", is what older `.keras` files name).
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="fibdash")
class Attention(keras.layers.Layer):
    """Attention over the time steps of an RNN's output sequence, as in the tutorial: feed-forward
    attention with a positional bias (Raffel & Ellis 2015, "Feed-Forward Networks with Attention Can
    Solve Some Long-Term Memory Problems"), not Bahdanau's additive attention, which the tutorial
    names.

    For an input `x` of shape `(batch_size, time_steps, features)` the layer:
    1. scores each time step: `e = tanh(x @ W + b)`, with `W` of shape `(features, 1)`
       and `b` of shape `(time_steps, 1)`, giving `(batch_size, time_steps, 1)`;
    2. drops the last axis and takes a softmax over time:
       `alpha = softmax(e)`, shape `(batch_size, time_steps)`, each row summing to 1;
    3. returns the context, the attention-weighted sum over time:
       `sum_t alpha[:, t] * x[:, t, :]`, shape `(batch_size, features)`.

    Unlike Bahdanau's attention (Keras' `AdditiveAttention`) there is no query: each step's score
    looks at that step's own features alone, and its bias `b_t` is a learned preference for
    position t whatever the content, so `time_steps` is fixed at build time. As tanh bounds the
    scores to [-1, 1], no weight can exceed e^2 / (e^2 + T - 1): 0.28 at T = 20, where uniform
    weights are 0.05.

    Args:
        kernel_initializer: initializer for `W`; the tutorial's `"random_normal"` by default.
        bias_initializer: initializer for `b`; `"zeros"` by default.
        **kwargs: standard layer arguments, such as `name`.

    Call Args:
        inputs: tensor of shape `(batch_size, time_steps, features)`.
        return_attention_scores: bool, if `True` also return `alpha`.

    Output:
        Context tensor of shape `(batch_size, features)`, and with
        `return_attention_scores=True` also the weights `(batch_size, time_steps)`.
    """

    def __init__(self, kernel_initializer="random_normal", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)

    def build(self, input_shape):
        _, time_steps, features = input_shape
        if time_steps is None:
            raise ValueError("Attention needs a fixed number of time steps: its bias has one per step")
        self.W = self.add_weight(
            name="attention_weight", shape=(features, 1), initializer=self.kernel_initializer
        )
        self.b = self.add_weight(
            name="attention_bias", shape=(time_steps, 1), initializer=self.bias_initializer
        )

    def call(self, inputs, return_attention_scores=False):
        scores = ops.tanh(ops.matmul(inputs, self.W) + self.b)  # (batch, time_steps, 1)
        alpha = ops.softmax(ops.squeeze(scores, axis=-1), axis=-1)  # (batch, time_steps)
        context = ops.sum(inputs * ops.expand_dims(alpha, -1), axis=1)  # (batch, features)
        if return_attention_scores:
            return context, alpha
        return context

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1])

    def compute_output_spec(self, inputs, return_attention_scores=False):
        context = keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.compute_dtype)
        if return_attention_scores:
            return context, keras.KerasTensor(inputs.shape[:2], dtype=self.compute_dtype)
        return context

    def get_config(self):
        return {
            **super().get_config(),
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
