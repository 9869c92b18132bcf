"""Where Keras is the product: the tutorial's models, the `.keras` files, the reference `fit` loop.

The only part of fibdash that imports TensorFlow and Keras. The server never imports it; the
engine (`fibdash.engine`) is held to it by the tests.
"""
