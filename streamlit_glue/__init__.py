"""Everything Streamlit-specific the pages share; fibdash itself knows nothing of Streamlit.

- `navigation`: the pages, declared once, and what runs before each (links, jobs, settings, heading).
- `settings`: the configuration widgets, bound to the page's URL, and their messages.
- `work`: the server's job runner and worker process, starting jobs, following them live.
- `show`: tables, charts and notes drawn the same way on every page.

No module here imports TensorFlow or trains: the worker process trains (fibdash.serving).
"""
