"""Home: what the app shows, the tutorial's two models, and links to every page."""

import streamlit as st

from fibdash.quoting import markdown_table
from streamlit_glue import navigation

st.markdown(
    """
A companion to the tutorial *Adding a Custom Attention Layer to Recurrent Neural Network in
Keras*. It trains the tutorial's two tiny networks to predict the next Fibonacci number from the
previous 20, and lets you look at everything the tutorial only prints:

- the data, and how MinMax scaling squashes nearly every target to zero;
- both models trained live, in seconds, with their loss curves;
- their test MSE next to one-line rules (repeat the last value, add the last two), predictions in
  Fibonacci units, and which time steps the attention layer looks at.

The tutorial concludes from one run that attention lowers the test MSE. The **Robustness** page
trains both models over many seeds at once and says what that comparison can, and cannot, tell;
the **Sweep** page asks it again across settings.
"""
)

st.subheader("The tutorial's two models")
# The diagrams run top to bottom, so that they fit a phone's width as well as a desktop column.
left, right = st.columns(2)
with left:
    st.markdown("**RNN** (11 parameters)")
    st.graphviz_chart(
        'digraph { rankdir=TB; node [shape=box, style=rounded]; "input (20, 1)" -> "SimpleRNN(2)\\n8 params"'
        ' -> "Dense(1)\\n3 params" }'
    )
with right:
    st.markdown("**RNN + attention** (33 parameters)")
    st.graphviz_chart(
        'digraph { rankdir=TB; node [shape=box, style=rounded]; "input (20, 1)" -> '
        '"SimpleRNN(2)\\nreturn_sequences\\n8 params" -> "Attention\\nW (2, 1), b (20, 1)\\n22 params"'
        ' -> "Dense(1)\\n3 params" }'
    )
ATTENTION_STEPS = (  # the attention layer's steps: what each computes, and its shape
    ("score each time step", "e = tanh(x W + b)", "(batch, 20, 1)"),
    ("weights over time", "alpha = softmax(e) over the 20 steps", "(batch, 20)"),
    ("context", "c = sum over t of alpha_t x_t", "(batch, 2)"),
)
COLUMNS = ("step", "formula", "shape")
# a plain table wraps its text on a phone, where a data grid would cut columns off
st.markdown(markdown_table([dict(zip(COLUMNS, row, strict=True)) for row in ATTENTION_STEPS]))

st.subheader("Pages")
for page in navigation.PAGES[1:]:
    st.page_link(page.path, label=f"{page.label}: {page.what}", icon=page.icon)
st.caption("The configuration you choose on one page carries over to the others.")
