"""Plotly figures for the dashboard: pure functions, data in, `go.Figure` out, one module per page.

- `style`: the look every figure shares (`LAYOUT`, titles and notes that fit a phone, the models'
  and rules' colours) and the helpers that draw what an axis can and count what it cannot;
- `dataset`: the series, its scaling, the targets and the split (the Dataset page);
- `training`: loss curves (Train, Compare, and every job's live progress);
- `compare`: scores, predictions, errors, attention and importance (Compare; the Tutorial's window);
- `robustness`: a seed study (Robustness; the Tutorial's spread of seeds);
- `sweep`: a grid of studies (Sweep).
"""
