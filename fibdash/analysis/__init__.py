"""What the trained models' numbers mean: scores and naive rules, seed studies, sweeps, importance beside
attention, edited windows. Server-side: NumPy, pandas and SciPy; no TensorFlow, no Streamlit."""
