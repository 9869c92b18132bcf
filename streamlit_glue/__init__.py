"""Everything Streamlit-specific the pages share; fibdash itself knows nothing of Streamlit.

- `navigation`: the pages, the sidebar's links and background jobs, a page's set-up.
- `settings`: the configuration widgets, bound to the page's URL, and their messages.
- `work`: the server's job runner and worker process, starting jobs, following them live.
- `show`: tables, charts and notes drawn the same way on every page.

No module here imports TensorFlow: the worker process does all of that work.
"""
