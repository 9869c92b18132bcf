"""Serving the dashboard: the worker process, its jobs and their costs; no TensorFlow, no Streamlit."""
