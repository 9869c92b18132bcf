"""fibdash: `streamlit run app.py`. The pages are declared in streamlit_glue.navigation.

Imports neither TensorFlow nor the training code, so the first page renders at once.
"""

from streamlit_glue import navigation

navigation.run()
