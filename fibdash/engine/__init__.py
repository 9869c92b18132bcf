"""The training engine: plain NumPy and Numba, no TensorFlow or Keras."""
