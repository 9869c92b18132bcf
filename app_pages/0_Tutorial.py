"""Tutorial: the tutorial's own sections in order, each with the live object it only prints, each claim
it makes checked against this app's numbers, and a "try it" that opens the page where it lives."""

import pandas as pd
import streamlit as st

from fibdash.analysis import lesson
from fibdash.analysis.forecast import evaluate, mase_words
from fibdash.analysis.lesson import NEXT, PRINTED, PRINTED_PARAMETERS, STEPS, STUDY_SEEDS, TUTORIAL
from fibdash.data import get_fib_seq, get_fib_XY, step_labels, tiny_target_share
from fibdash.engine.summary import summary_rows, total_parameters
from fibdash.figures.compare import inputs_figure, score_parts_figure
from fibdash.figures.dataset import target_histogram
from fibdash.figures.robustness import spread_figure
from fibdash.notebook import attention_source
from fibdash.quoting import markdown_literal, markdown_table
from streamlit_glue import navigation, show, work

STEP_KEY, SHOWN = "step", "step_in_address"  # the step chosen, and the one last written to the address


def choose_step() -> int:
    """The step to show, kept in the address as ?step=N: a link's or Back's step when the address
    changed, else the one chosen here. A bad step number is said, and step 1 shown."""
    address = st.query_params.get(STEP_KEY)
    if STEP_KEY not in st.session_state or address != st.session_state.get(SHOWN):
        number, problem = lesson.step_number(address)
        if problem:
            st.warning(markdown_literal(problem))
        st.session_state[STEP_KEY] = str(number)
    chosen = st.selectbox(
        "Step",
        [str(i) for i in range(1, len(STEPS) + 1)],
        key=STEP_KEY,
        format_func=lambda option: f"{option}. {STEPS[int(option) - 1].title}",
    )
    st.query_params[STEP_KEY] = st.session_state[SHOWN] = chosen
    return int(chosen)


def _move(by: int) -> None:
    """Go `by` steps on from the step shown, as the state holds it (a callback keeps its first args)."""
    st.session_state[STEP_KEY] = str(int(st.session_state[STEP_KEY]) + by)


def step_buttons(number: int) -> None:
    left, right, _ = st.columns([1, 1, 4])
    left.button("Previous", key="previous", disabled=number == 1, on_click=_move, args=(-1,))
    right.button("Next", key="next", disabled=number == len(STEPS), on_click=_move, args=(1,))


def summary_table(kind: str) -> None:
    rows = summary_rows(TUTORIAL, kind)
    total = total_parameters(rows)
    with st.container(key=f"summary_{kind}"):
        st.markdown(markdown_table(rows))  # a static table, as Keras prints it
        st.caption(
            f"Total parameters: {total}; the tutorial's summary prints {PRINTED_PARAMETERS[kind]}"
            f"{': the same' if total == PRINTED_PARAMETERS[kind] else ''}."
        )


def trained_pair() -> dict | None:
    """The tutorial configuration's pair from the cache, or its Train button (and None)."""
    return work.result_or_button(
        work.pair(TUTORIAL),
        idle="This step shows this app's run of the tutorial's configuration, not trained yet on this "
        "server. Press **Train both models**: it takes a second or two.",
    )


def trained_study():
    """The tutorial configuration's study over 30 seeds from the cache, or its button (and None)."""
    return work.result_or_button(
        work.study(TUTORIAL, STUDY_SEEDS),
        idle=f"Next to one run, this step shows {STUDY_SEEDS} seeds of the same configuration. Press "
        "**Run the study**: a few seconds.",
    )


def printed_beside(kind: str) -> dict | None:
    """The tutorial's printed train and test MSE of `kind`, quoted whatever this server holds; beside
    them this app's run (seed 0), or its Train button. The pair, when trained."""
    train, test = PRINTED[kind]
    pair = work.result(work.pair(TUTORIAL))
    with st.container(key=f"figures_{kind}"):
        columns = st.columns(4)
        columns[0].metric("Tutorial: train MSE", f"{train:.3e}")
        columns[1].metric("Tutorial: test MSE", f"{test:.3e}")
        if pair is not None:
            columns[2].metric("This app, seed 0: train MSE", f"{pair[kind].train_mse:.3e}")
            columns[3].metric("This app, seed 0: test MSE", f"{pair[kind].test_mse:.3e}")
    return pair if pair is not None else trained_pair()


def the_spread(kind: str) -> None:
    result = trained_study()
    if result is None:
        return
    tests = result.table[result.table["model"] == kind]["test MSE"].to_numpy(dtype=float)
    with st.container(key=f"spread_{kind}"):
        st.info(lesson.spread_sentence(kind, tests))
    show.chart(spread_figure(result.table, {kind: PRINTED[kind][1]}))


def dataset_step() -> None:
    st.markdown(
        "The tutorial builds the Fibonacci series with `get_fib_seq` and cuts it into windows with "
        "`get_fib_XY`: each row holds `time_steps` numbers, its target the one after them, rows shuffled "
        "by `np.random.RandomState(seed=13).permutation` and split 70/30. Here are both, called live."
    )
    seq, _ = get_fib_seq(10, False)
    st.code(f"get_fib_seq(10, False)[0]\n{seq}", language="python")
    train_X, train_y, _, _, _ = get_fib_XY(12, 3, 0.7, False)
    st.code(
        "trainX, trainY, testX, testY, scaler = get_fib_XY(12, 3, 0.7, False)\n"
        f"trainX[:, :, 0] =\n{train_X[:, :, 0]}\ntrainY = {train_y}",
        language="python",
    )
    data = show.dataset(TUTORIAL.data)
    small = tiny_target_share(data)
    with st.container(key="real_data"):
        st.markdown(
            f"The real data: n=1200, time_steps=20, 0.7 gives {data.config.n_train} training and "
            f"{data.config.n_test} test windows of shape (20, 1). MinMax scales the series to [0, 1] by its "
            f"largest number, {data.series.max():.3e}: **{small:.1%} of the targets end up below 1e-6**, so "
            "a tiny MSE alone says little."
        )
    show.chart(target_histogram(data))


def rnn_step() -> None:
    st.markdown(
        "`create_RNN(hidden_units=2, dense_units=1, input_shape=(20, 1), activation=['tanh', 'tanh'])`: "
        "a SimpleRNN of 2 units reads the window and its last state goes to a Dense layer of one unit. "
        "Its summary, computed here:"
    )
    summary_table("rnn")


def rnn_training_step() -> None:
    st.markdown(
        "The tutorial trains it for 30 epochs with batch size 1 (Adam, MSE) and prints its train and test "
        "MSE, one run. Beside them, this app's run of the same configuration, and the same model over "
        f"{STUDY_SEEDS} seeds (initial weights and window order):"
    )
    if printed_beside("rnn") is not None:
        the_spread("rnn")


def layer_step() -> None:
    st.markdown(
        "The tutorial's attention layer computes its three steps with `keras.backend`, which Keras 3 no "
        "longer has (`keras.backend.tanh`, `dot` and `squeeze` raise AttributeError):"
    )
    left, right = st.columns(2)
    with left:
        st.caption("The tutorial's `call` (an excerpt)")
        st.code(lesson.TUTORIAL_CALL, language="python", wrap_lines=True)
    with right:
        st.caption("This app's Keras 3 layer (`fibdash/keras/layers.py`)")
        with st.container(height=360):
            st.code(attention_source(), language="python", wrap_lines=True)
    steps_count = TUTORIAL.data.time_steps
    with st.container(key="layer_is"):
        st.info(
            lesson.LAYER_IS.format(
                bound=lesson.weight_bound(steps_count), T=steps_count, uniform=1 / steps_count
            )
        )
    st.markdown("Its three steps, with their shapes at the tutorial's configuration (one window):")
    show.table(lesson.layer_steps(TUTORIAL), key="layer_steps")
    if (pair := trained_pair()) is None:
        return
    data = show.dataset(TUTORIAL.data)
    row = data.test_idx[int(data.y[data.test_idx].argmax())]  # the test window of the largest numbers
    trace = work.attention_trace(pair["attention"], data.X[row, :, 0])
    if trace is None:
        return
    position = int(data.positions[row])
    st.markdown(
        f"One real window through them: the test window of the largest target, value {position} of the "
        "series, in the trained attention model (seed 0)."
    )
    steps = pd.DataFrame(
        {"step": step_labels(TUTORIAL.data.time_steps), "input x (scaled)": data.X[row, :, 0]}
    )
    for j in range(trace.states.shape[1]):
        steps[f"h{j + 1}"] = trace.states[:, j]
    steps["score e"], steps["weight alpha"] = trace.scores, trace.weights
    show.table(steps, key="trace")
    with st.container(key="trace_result"):
        context = ", ".join(f"{value:.4f}" for value in trace.context)
        st.caption(
            f"Context c = ({context}); prediction {trace.prediction:.6f} (scaled), target "
            f"{data.y[row]:.6f}. The weights sum to {trace.weights.sum():.6f}."
        )
    bound = lesson.weight_bound(steps_count)
    parts = lesson.score_parts(pair["attention"].weights, trace.states)
    left, right = st.columns(2)
    with left:
        show.chart(
            inputs_figure(
                data.X[row, :, 0],
                data.series[position - steps_count : position],
                trace.weights,
                f"Window predicting value {position} of the series",
                data.value_name,
                bound=bound,
            )
        )
    with right:
        show.chart(score_parts_figure(parts))
    with st.container(key="score_parts"):
        st.markdown(
            f"Its largest weight is {trace.weights.max():.3f}, against the bound {bound:.2f} and uniform's "
            f"{1 / steps_count:.2f} (the dotted and dashed lines). Split into its two parts, each score "
            f"before tanh is h_t W + b_t (the second chart): {lesson.parts_sentence(parts)}"
        )


def attention_model_step() -> None:
    st.markdown(
        "`create_RNN_with_attention`: the same SimpleRNN with `return_sequences=True`, so that every "
        "step's state reaches the attention layer, whose context goes to Dense(1). Its summary:"
    )
    summary_table("attention")


def conclusion_step() -> None:
    st.markdown(
        "The tutorial trains it the same way, prints its figures and concludes that attention lowers the "
        "test MSE. Checked in this app's run and over its seeds:"
    )
    if (pair := printed_beside("attention")) is None:
        return
    result = trained_study()
    if result is None:
        return
    this_run = {kind: trained.test_mse for kind, trained in pair.items()}
    with st.container(key="conclusion"):
        st.info(lesson.conclusion(this_run, result.comparison, STUDY_SEEDS))
    show.chart(spread_figure(result.table, {kind: figures[1] for kind, figures in PRINTED.items()}))


def forecast_step() -> None:
    st.markdown(
        "The tutorial shuffles its windows before it splits them, so every test window sits between "
        "training windows: its test MSE measures filling gaps in the past. A forecaster is used on the "
        "future, so it is tested there: the same two models trained on the first 70% of the windows and "
        "tested on the last 30% (the chronological split), then with each window scaled by its own last "
        "value, as forecasting libraries scale them. Trained here, beside the tutorial's own run:"
    )
    evaluations = {}
    for label, config in lesson.FORECAST_RUNS.items():
        pair = work.result_or_button(
            work.pair(config),
            idle=f"Next: the same models, {label} ({config.data.describe()}). Press **Train both "
            "models**: about a second.",
        )
        if pair is None:
            return
        data = show.dataset(config.data)
        evaluations[label] = evaluate(data, [data], [pair])
    show.table(lesson.forecast_table(evaluations), key="forecast_table")
    with st.container(key="forecast_sentence"):
        st.info(lesson.forecast_sentence(evaluations))
    st.caption(mase_words(evaluations[list(lesson.FORECAST_RUNS)[1]]))


def next_step() -> None:
    st.markdown(
        "The tutorial closes with suggestions: tune the hyperparameters, use LSTM instead of SimpleRNN, try "
        "more complex problems. Each is one click away, with the configuration that shows it:"
    )
    for i, step in enumerate(NEXT):
        with st.container(key=f"next_{i}"):
            st.markdown(f"**{step.title}**")
            navigation.try_it(step.try_label, step.page, step.changes, key=f"next_try_{i}", query=step.query)


SECTIONS = (
    dataset_step,
    rnn_step,
    rnn_training_step,
    layer_step,
    attention_model_step,
    conclusion_step,
    forecast_step,
    next_step,
)

st.caption(
    "The tutorial's sections in order, with its configuration (n=1200, time_steps=20, train fraction 0.7, "
    "MinMax; SimpleRNN(2), tanh, 30 epochs, batch size 1, seed 0). Its printed figures are quoted as the "
    "tutorial's; every other number is computed here."
)
number = choose_step()
st.header(f"{number}. {STEPS[number - 1].title}")
with st.container(key=f"step_{number}"):
    SECTIONS[number - 1]()
if (step := STEPS[number - 1]).page is not None:
    navigation.try_it(step.try_label, step.page, step.changes, key=f"try_{number}", query=step.query)
step_buttons(number)
