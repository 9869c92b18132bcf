"""A Jupyter notebook of one configuration, to take home: the data, the tutorial's models in Keras 3 and
their training with Keras' own `fit`, the loop the app's engine is held to, so it prints the app's numbers.

The notebook needs Keras (TensorFlow), NumPy, scikit-learn and Plotly, not fibdash. Building it only
writes text: no Keras here, so the server can build one without loading TensorFlow.
"""

from __future__ import annotations

import ast
import textwrap
from functools import cache
from pathlib import Path

from fibdash.command import command_line
from fibdash.config import ATTENTION_WEIGHTS, ATTENTIONS, FIELDS, MODEL_LABELS, TrainConfig
from fibdash.quoting import markdown_literal, plotly_literal, shortened
from fibdash.series import PERIODS, SERIES_WHAT, series_values, units

LAYERS = Path(__file__).parent / "keras" / "layers.py"
VALUES_PER_LINE = 4  # of an embedded series; 17 significant digits each

IMPORTS_CODE = """\
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")  # the backend the app's numbers come from
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter

import keras
import numpy as np
import plotly.graph_objects as go
import sklearn
from keras import ops
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler

print("Keras", keras.__version__, "on", keras.backend.backend())"""

FIBONACCI_CODE = '''\
def fibonacci(n):
    """The first n numbers of the tutorial's series: 1, 2, 3, 5, 8, ... (float64)."""
    seq = np.empty(n)
    previous, current = 0.0, 1.0
    for i in range(n):
        previous, current = current, previous + current
        seq[i] = current
    return seq


series = fibonacci(N)'''

SPLIT_CODE = """\
positions = np.arange(TIME_STEPS, N)  # where each window's target is in the series
n_samples = len(positions)
first = int(TRAIN_FRACTION * n_samples)  # the tutorial's rounding
if SPLIT == "shuffled":  # the tutorial's: test windows drawn at random, between training windows
    order = np.random.RandomState(seed=SPLIT_SEED).permutation(n_samples)
    train_idx, test_idx = order[:first], order[first:]
else:  # chronological: the first windows train, the later ones test
    start, stop = first, n_samples
    if SPLIT == "backtest":  # fold FOLD: the windows after the first ones cut into FOLDS blocks
        size, longer = divmod(n_samples - first, FOLDS)
        start = first + FOLD * size + min(FOLD, longer)
        stop = start + size + (FOLD < longer)
    train_idx, test_idx = np.arange(start), np.arange(start, stop)
n_train = len(train_idx)
print(f"{n_samples} windows of {TIME_STEPS} steps: {n_train} to train on, {len(test_idx)} to test")"""

SCALING_CODE = '''\
def make_scaler(scaling):
    """An unfitted scikit-learn transformer: values of the series, shape (n, 1), to what the networks see."""
    if scaling == "minmax":
        return MinMaxScaler(feature_range=(0, 1))
    if scaling == "log-minmax":
        return make_pipeline(FunctionTransformer(np.log, inverse_func=np.exp), MinMaxScaler())
    return FunctionTransformer()  # "none": the values themselves, both ways


inputs = np.lib.stride_tricks.sliding_window_view(series[:-1], TIME_STEPS)  # (windows, TIME_STEPS), raw
if SCALING == "window":  # each window, and its target, divided by the window's last value
    factors = inputs[:, -1]
    X = (inputs / factors[:, None])[..., np.newaxis]
    y = series[TIME_STEPS:] / factors

    def to_original(values, rows):
        """Scaled values of windows `rows` back to the series' units: times each window's last value."""
        return np.asarray(values, dtype=np.float64) * factors[rows]

else:
    scaler = make_scaler(SCALING)
    fitted = SCALER_FIT == "train" and SCALING in ("minmax", "log-minmax")
    # "train": only the values the training windows hold, inputs and targets, as a forecaster must
    seen = np.unique(train_idx[:, None] + np.arange(TIME_STEPS + 1)) if fitted else np.arange(N)
    scaler.fit(series[seen].reshape(-1, 1))
    scaled = scaler.transform(series.reshape(-1, 1)).ravel()
    X = np.lib.stride_tricks.sliding_window_view(scaled[:-1], TIME_STEPS).copy()[..., np.newaxis]
    y = scaled[TIME_STEPS:].copy()

    def to_original(values, rows=None):
        """Scaled values back to the series' units; a wild prediction may overflow to inf rather than fail."""
        values = np.asarray(values, dtype=np.float64)
        with np.errstate(over="ignore"), sklearn.config_context(assume_finite=True):
            return scaler.inverse_transform(values.reshape(-1, 1)).reshape(values.shape)


print(f"{SCALING} scaling: the targets run from {y.min():.6g} to {y.max():.6g} on the scaled axis")'''

MODELS_CODE = '''\
MODELS = {"rnn": "RNN", "attention": "RNN + attention"}


def create_RNN(hidden_units, dense_units, input_shape, activation):
    """The tutorial's baseline: RNN(hidden_units) -> Dense(dense_units), MSE loss, Adam."""
    model = keras.Sequential(
        [
            keras.Input(shape=input_shape),
            RECURRENT(hidden_units, activation=activation, return_sequences=False, name="rnn"),
            keras.layers.Dense(dense_units, activation=activation, name="dense"),
        ],
        name="rnn_model",
    )
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE))
    return model


def attention_head(sequence):
    """ATTENTION's head on the RNN's states (batch, T, H): what Dense reads, (batch, H). The layers are made
    in the order the app's engine replays their initial weights."""
    layers = keras.layers
    _, steps, units = sequence.shape
    if ATTENTION == "tutorial":  # softmax_t(tanh(h_t W + b_t)), no query; context sum alpha_t h_t
        return Attention(name="attention")(sequence)
    if ATTENTION == "uniform":  # alpha_t = 1/T: the states' mean, no weights
        return layers.GlobalAveragePooling1D(name="attention")(sequence)
    if ATTENTION == "self":  # every position queries every other; the last position's output into Dense
        outputs = layers.MultiHeadAttention(num_heads=1, key_dim=units, name="attention")(sequence, sequence)
        return layers.Flatten(name="context")(layers.Cropping1D((steps - 1, 0), name="last")(outputs))
    query = layers.Cropping1D((steps - 1, 0), name="last")(sequence)  # q = h_T, (batch, 1, H)
    if ATTENTION == "additive":  # Bahdanau: score_t = v . tanh(q W_q + h_t W_k)
        projected_query = layers.Dense(units, use_bias=False, name="query")(query)
        keys = layers.Dense(units, use_bias=False, name="key")(sequence)
        context = layers.AdditiveAttention(name="attention")([projected_query, sequence, keys])
    else:  # "dot", Luong: score_t = s (q . h_t)
        context = layers.Attention(use_scale=True, name="attention")([query, sequence])
    return layers.Flatten(name="context")(context)  # (batch, 1, H) -> (batch, H)


def create_RNN_with_attention(hidden_units, dense_units, input_shape, activation):
    """The tutorial's attention model: RNN(return_sequences) -> ATTENTION's head -> Dense."""
    inputs = keras.Input(shape=input_shape, name="input")
    sequence = RECURRENT(hidden_units, activation=activation, return_sequences=True, name="rnn")(inputs)
    context = attention_head(sequence)
    outputs = keras.layers.Dense(dense_units, activation=activation, name="dense")(context)
    model = keras.Model(inputs, outputs, name="attention_model")
    model.compile(loss="mse", optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE))
    return model


def build(kind):
    """A model of `kind`, with the initial weights Keras draws for SEED."""
    keras.utils.set_random_seed(SEED)
    create = create_RNN if kind == "rnn" else create_RNN_with_attention
    return create(HIDDEN_UNITS, 1, (TIME_STEPS, 1), ACTIVATION)


for kind in MODELS:
    build(kind).summary()'''

TRAINING_CODE = '''\
def mse(predicted, target):
    """Mean squared error, in float64."""
    return float(np.mean(np.square(np.asarray(predicted, dtype=np.float64) - target)))


rng = np.random.default_rng(SEED)
orders = [train_idx[rng.permutation(n_train)] for _ in range(EPOCHS)]  # both models visit the windows so

models, histories = {}, {}
for kind in MODELS:
    model = build(kind)
    losses, test_mses = [], []
    for rows in orders:
        history = model.fit(X[rows], y[rows], batch_size=BATCH_SIZE, epochs=1, shuffle=False, verbose=0)
        losses.append(history.history["loss"][0])
        predicted = model.predict(X[test_idx], batch_size=len(test_idx), verbose=0)[:, 0]
        test_mses.append(mse(predicted, y[test_idx]))
        if not np.isfinite(losses[-1]):  # as Keras' TerminateOnNaN
            break
    models[kind], histories[kind] = model, (losses, test_mses)
    print(f"{MODELS[kind]}: epochs trained {len(losses)}, last training loss {losses[-1]:.6e}")'''

SCORES_CODE = '''\
def mean_absolute(values):
    """The mean of |values|, finite wherever their largest is (Fibonacci's may near float64's largest)."""
    values = np.abs(np.asarray(values, dtype=np.float64))
    top = values.max()
    return top * np.mean(values / top) if 0 < top < np.inf else np.mean(values)


# MASE's yardstick: repeating the value LAG steps back (the last, or one period) on the training targets
trained_on = positions[train_idx]
trained_on = trained_on[trained_on >= LAG]
naive_error = mean_absolute(series[trained_on] - series[trained_on - LAG])

predictions = {}  # every window's scaled prediction, in series order
for kind, model in models.items():
    predictions[kind] = model.predict(X, batch_size=len(X), verbose=0)[:, 0].astype(np.float64)
for kind, predicted in predictions.items():
    print(f"train MSE {kind}: {mse(predicted[train_idx], y[train_idx]):.10e}")
    print(f"test MSE {kind}: {mse(predicted[test_idx], y[test_idx]):.10e}")
    errors = to_original(predicted[test_idx], test_idx) - series[positions[test_idx]]
    print(f"test MASE {kind}: {mean_absolute(errors) / naive_error:.10e}")'''

FORECAST_CODE = '''\
def forecast(model, windows, horizon):
    """The next `horizon` values after each window (series' units, (windows, TIME_STEPS)), each forecast
    appended to its window, in the series' units, and scaled again for the next step."""
    out = np.empty((len(windows), horizon))
    for step in range(horizon):
        if SCALING == "window":
            scaled_windows = windows / windows[:, -1:]
        else:
            scaled_windows = scaler.transform(windows.reshape(-1, 1)).reshape(windows.shape)
        answers = model.predict(scaled_windows[..., np.newaxis], batch_size=len(windows), verbose=0)
        answers = answers[:, 0].astype(np.float64)
        out[:, step] = answers * windows[:, -1] if SCALING == "window" else to_original(answers)
        windows = np.concatenate([windows[:, 1:], out[:, step : step + 1]], axis=1)
    return out


origins = np.sort(test_idx)
ahead = positions[origins, None] + np.arange(HORIZON)  # the values each origin's forecasts reach
known = ahead < N
truth = np.where(known, series[np.minimum(ahead, N - 1)], np.nan)
figure = go.Figure(layout={"title": "Forecast error by step ahead", "xaxis_title": "steps ahead"})
figure.update_yaxes(title=f"MAE ({UNITS})")
for kind, model in models.items():
    forecasts = forecast(model, inputs[origins], HORIZON)
    mae = [mean_absolute(forecasts[known[:, h], h] - truth[known[:, h], h]) for h in range(HORIZON)]
    print(f"MAE {HORIZON} steps ahead {kind}: {mae[-1]:.10e}")
    figure.add_scatter(x=np.arange(1, HORIZON + 1), y=mae, name=MODELS[kind])
figure.update_yaxes(type="log")
figure.show()'''

LOSS_CHART_CODE = """\
figure = go.Figure(
    layout={"title": "Loss per epoch", "xaxis_title": "epoch", "yaxis_title": "MSE (scaled values)"}
)
for kind, (losses, test_mses) in histories.items():
    epochs = np.arange(1, len(losses) + 1)
    figure.add_scatter(x=epochs, y=losses, name=f"{MODELS[kind]}: training loss")
    figure.add_scatter(x=epochs, y=test_mses, name=f"{MODELS[kind]}: test MSE", line_dash="dot")
figure.update_yaxes(type="log")
figure.show()"""

PREDICTIONS_CHART_CODE = """\
log_axis = series.min() > 0 and series.max() / series.min() > 100  # Fibonacci's grow exponentially
figure = go.Figure(
    layout={
        "title": f"Predictions of the {SERIES} series in {UNITS}",
        "xaxis_title": "index of the target in the series",
        "yaxis_title": UNITS,
    }
)
figure.add_scatter(x=positions, y=series[positions], mode="lines", name="truth", line_color="black")
for kind, predicted in predictions.items():
    for split, rows in (("train", np.sort(train_idx)), ("test", np.sort(test_idx))):
        figure.add_scatter(
            x=positions[rows],
            y=to_original(predicted[rows], rows),
            mode="markers",
            name=f"{MODELS[kind]} ({split})",
            marker={"size": 7 if split == "test" else 4, "opacity": 1 if split == "test" else 0.35},
        )
if log_axis:
    figure.update_yaxes(type="log")
figure.show()"""

ATTENTION_CHART_CODE = """\
def attention_weights(model, windows):
    \"\"\"The weights (windows, TIME_STEPS) of the sum over time Dense reads, from the model's own layers; of
    self-attention, the last position's query's row of its T x T weights.\"\"\"
    sequence = model.get_layer("rnn")(windows.astype("float32"))
    head = model.get_layer("attention")
    if ATTENTION == "tutorial":
        _, alpha = head(sequence, return_attention_scores=True)
    elif ATTENTION == "uniform":  # fixed, not learned: the mean of the states
        return np.full((len(windows), TIME_STEPS), 1 / TIME_STEPS)
    elif ATTENTION == "self":
        _, scores = head(sequence, sequence, return_attention_scores=True)  # (windows, 1 head, T, T)
        alpha = scores[:, 0, -1, :]
    else:  # additive or dot: the last state queries the states
        query = model.get_layer("last")(sequence)
        if ATTENTION == "additive":
            inputs = [model.get_layer("query")(query), sequence, model.get_layer("key")(sequence)]
        else:
            inputs = [query, sequence]
        _, scores = head(inputs, return_attention_scores=True)  # (windows, 1, T)
        alpha = scores[:, 0, :]
    return ops.convert_to_numpy(alpha)


alpha = attention_weights(models["attention"], X[test_idx])  # each row summing to 1
rows = np.argsort(positions[test_idx])  # the test windows along the series
figure = go.Figure(
    go.Heatmap(
        z=alpha[rows],
        x=[f"t-{TIME_STEPS - i}" for i in range(TIME_STEPS)],
        y=positions[test_idx][rows],
        zmin=0,
        zmax=max(np.nanmax(alpha, initial=0.0), 2 / TIME_STEPS),  # uniform attention stays pale
        colorscale="Reds",
        colorbar={"title": {"text": "weight"}},
    ),
    layout={
        "title": f"Attention weights of the test windows ({ATTENTION} head)",
        "xaxis_title": "input time step",
        "yaxis_title": "target index in the series",
    },
)
figure.update_yaxes(type="category")
figure.show()"""


def notebook_name(config: TrainConfig) -> str:
    """The file name a notebook of `config` downloads as."""
    return f"fibdash_{config.cell}_{config.data.series}.ipynb"


def notebook(config: TrainConfig, horizon: int = FIELDS["horizon"].default) -> bytes:
    """A Jupyter notebook (.ipynb) that trains both models of `config` in Keras and prints the app's MSEs
    and MASEs, and their forecasts' error `horizon` steps ahead. A backtest's is its last fold's."""
    import nbformat  # a fifth of a second: on a download only, not on every page's start

    markdown, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    cells = [
        markdown(_introduction(config)),
        code(IMPORTS_CODE),
        markdown("## The configuration\n\nEvery setting of the app's sidebar. Change any and run again."),
        code(_settings(config, horizon)),
        markdown(_series_text(config)),
        code(_series_code(config)),
        markdown(
            "## Windows and the split\n\nEach window holds `TIME_STEPS` consecutive values; its target is "
            "the value after them. `SPLIT` says which windows train the models and which test them: "
            "`shuffled` (the tutorial's) shuffles them with `RandomState(seed=SPLIT_SEED)` and trains on the "
            "first `TRAIN_FRACTION`, so every test window sits between training windows; `chronological` "
            "trains on the first `TRAIN_FRACTION` of the windows in time and tests on the rest, as a "
            "forecast is used; `backtest` cuts the rest into `FOLDS` blocks, and fold `FOLD` trains on every "
            "window before its block and tests on the block."
            + (_backtest_text(config) if config.data.split == "backtest" else "")
        ),
        code(SPLIT_CODE),
        markdown(
            "## Scaling\n\nThe networks see the windows scaled as the app scales them: by scikit-learn, "
            "MinMax to [0, 1] (the tutorial's), MinMax of the logarithms, or not at all, the scaler fitted "
            "on the whole series (`SCALER_FIT = \"series\"`, the tutorial's) or on the training windows' "
            'values only (`"train"`); or each window divided by its own last value (`"window"`). '
            "`to_original` turns predictions back into the series' units. The arrays are float64; Keras "
            "reads them as float32, its number type."
        ),
        code(SCALING_CODE),
        markdown(
            "## The attention layer\n\nThe tutorial's layer in Keras 3: each time step of the RNN's output "
            "sequence gets a score `tanh(x W + b)`, a softmax over time turns the scores into weights, and "
            "the layer returns the weighted sum of the steps. It is registered under the name fibdash's "
            "`.keras` files use, so a model downloaded from the app loads here too. It is the `tutorial` "
            "head; the others (`ATTENTION` above) are Keras' own layers, put together below."
        ),
        code(attention_source()),
        markdown(
            "## The two models\n\nThe tutorial's networks with the configured recurrent cell: the RNN's last "
            "state into a Dense layer, and the RNN's whole sequence through the attention head `ATTENTION` "
            f"(here `{config.attention}`) into a Dense layer. "
            "`keras.utils.set_random_seed(SEED)` right before each is built gives the initial weights the "
            "app starts from."
        ),
        code(MODELS_CODE),
        markdown(
            "## Training\n\nKeras' own `fit`, one epoch at a time, as the app's engine trains: per epoch "
            "one permutation of the training windows, drawn from `default_rng(SEED)` and the same for both "
            "models, and `fit(shuffle=False)` on the windows in that order. Training stops early if the "
            "loss stops being a number. At the tutorial's size (1200 values, 30 epochs, batch 1) this "
            "takes minutes; the app's engine does the same arithmetic faster."
        ),
        code(TRAINING_CODE),
        markdown(
            "## Scores\n\nMean squared error on the scaled values, the tutorial's metric, over the "
            "training and the test windows: the numbers the app shows, to float32 rounding (five significant "
            "digits at least). MASE: the test error in the series' units over that of repeating the value "
            "`LAG` steps back (the last one, or one period) on the training targets; above 1, worse than "
            "that."
        ),
        code(SCORES_CODE),
        code(LOSS_CHART_CODE),
        markdown(
            "## Forecasting further ahead\n\nFrom every test window each model forecasts the next `HORIZON` "
            "values, each forecast appended to its window in the series' units and scaled again for the next "
            "step, its own forecasts fed back as inputs. Step 1 is the one-step prediction scored above."
        ),
        code(FORECAST_CODE),
        markdown("## Predictions\n\nEvery window's prediction, turned back into the series' units."),
        code(PREDICTIONS_CHART_CODE),
        markdown(
            "## Attention\n\nThe attention model's weights over the input steps of each test window "
            f"(uniform attention would be `1 / TIME_STEPS` everywhere). {ATTENTION_WEIGHTS[config.attention]}"
        ),
        code(ATTENTION_CHART_CODE),
        markdown(
            "## The same numbers from fibdash\n\nFrom a checkout of fibdash, its command line trains this "
            "configuration with the app's engine (add `--engine keras` for this very loop):\n\n"
            f"```bash\n{command_line(config, horizon=horizon)}\n```"
        ),
    ]
    metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    return nbformat.writes(nbformat.v4.new_notebook(cells=cells, metadata=metadata)).encode()


def _text(text: str) -> str:
    """`text` on one line, shown as written in Markdown: a file's or column's name is data."""
    return markdown_literal(" ".join(text.split()))


def _introduction(config: TrainConfig) -> str:
    labels = " and ".join(MODEL_LABELS.values())
    head = "" if config.attention == "tutorial" else f" ({config.attention} attention)"
    return (
        f"# fibdash: {config.cell} with and without attention{head}\n\n"
        "The tutorial *Adding a Custom Attention Layer to Recurrent Neural Network in Keras* for one "
        f"configuration ({_text(config.describe())}): the {labels} models trained with Keras' own `fit`. "
        "It needs Keras 3 with TensorFlow, NumPy, scikit-learn and Plotly, not fibdash, and prints the "
        "test MSEs and MASEs the app showed for this configuration."
    )


def _backtest_text(config: TrainConfig) -> str:
    folds = config.data.folds
    return (
        f"\n\nThe app trains both models once per fold, {folds} folds, and scores them by the folds' mean; "
        f"this notebook trains fold `FOLD = {folds - 1}`, the last, whose models the app's Compare page "
        f"shows. Set `FOLD` to 0 .. {folds - 1} and run again for the others."
    )


def _settings(config: TrainConfig, horizon: int) -> str:
    data = config.data
    fold = data.folds - 1 if data.fold is None else data.fold  # a backtest's last, unless one is given
    return "\n".join(
        [
            f'SERIES = "{data.series}"',
            f"N = {data.n!r}  # values of the series, from its start",
            f"TIME_STEPS = {data.time_steps!r}  # inputs per window; the value after them is its target",
            f"TRAIN_FRACTION = {data.train_fraction!r}  # the share of the windows to train on",
            f'SPLIT = "{data.split}"  # shuffled, chronological or backtest',
            f"SPLIT_SEED = {data.split_seed!r}  # the tutorial's shuffle of the windows",
            f"FOLDS = {data.folds!r}  # of a backtest",
            f"FOLD = {fold!r}  # the backtest's fold to train, from 0",
            f'SCALING = "{data.scaling}"  # minmax, log-minmax, none or window',
            f'SCALER_FIT = "{data.scaler_fit}"  # series or train: what minmax and log-minmax are fitted on',
            f"LAG = {PERIODS.get(data.series, 1)!r}  # MASE's naive forecast repeats the value LAG back",
            f"HORIZON = {horizon!r}  # steps each model forecasts ahead from every test window",
            f"RECURRENT = keras.layers.{config.cell}  # the recurrent cell: SimpleRNN, LSTM or GRU",
            f"HIDDEN_UNITS = {config.hidden_units!r}",
            f'ACTIVATION = "{config.activation}"  # of the recurrent layer and the Dense one',
            f'ATTENTION = "{config.attention}"  # the second model\'s head: {", ".join(ATTENTIONS)}',
            f"EPOCHS = {config.epochs!r}",
            f"BATCH_SIZE = {config.batch_size!r}",
            f"LEARNING_RATE = {config.learning_rate!r}  # Adam's",
            f"SEED = {config.seed!r}  # initial weights, and the order of the training windows",
        ]
    )


def _series_text(config: TrainConfig) -> str:
    data = config.data
    what = f"## The series: {data.series}\n\n{_text(SERIES_WHAT[data.series])}"
    if data.series == "fibonacci":
        return f"{what}\n\nThe tutorial's function makes it."
    source = ""
    if data.upload is not None:
        column, file = (_text(shortened(name)) for name in (data.upload.column, data.upload.file_name))
        source = f" The values are column {column} of {file} (SHA-256 {data.upload.sha256})."
    return f"{what}{source}\n\nHere are its first {data.n} values, as the app made them, to the last bit."


def _series_code(config: TrainConfig) -> str:
    data = config.data
    written = plotly_literal(units(data.series, data.upload))
    unit = f"UNITS = {written!r}  # what the series is measured in, as Plotly's titles write it"
    if data.series == "fibonacci":
        return f"{FIBONACCI_CODE}\n{unit}"
    values = [repr(float(value)) for value in series_values(data.series, data.n, data.upload)]
    lines = [", ".join(values[i : i + VALUES_PER_LINE]) + "," for i in range(0, len(values), VALUES_PER_LINE)]
    body = textwrap.indent("\n".join(lines), "    ")
    return f"series = np.array([\n{body}\n])\n{unit}\nassert len(series) == N"


@cache
def attention_source() -> str:
    """fibdash's Attention layer as its source reads, decorator included (read, not imported: no Keras)."""
    text = LAYERS.read_text()
    node = next(n for n in ast.parse(text).body if isinstance(n, ast.ClassDef) and n.name == "Attention")
    start = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
    return "\n".join(text.splitlines()[start - 1 : node.end_lineno])
