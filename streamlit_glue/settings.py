"""The configuration widgets: one per config field, described by fibdash's field registry and
bound to the page's URL, so that a link reproduces a view and settings survive page changes.

Binding keeps a value in the URL, but Streamlit does not carry values a link brought in to the
next page; so every page also starts its widgets from this session's last values (`SAVED`).
A new session (a shared link, a reload) has none and starts from its URL.

Numbers are typed into text boxes and read with the field's own parser: "1e3" is a thousand,
an empty box or a value out of bounds is refused with a message naming the limit, whether it
was typed or came in a link. Choices are select boxes; a choice a link gets wrong is named too.
"""

from __future__ import annotations

import contextlib
from typing import Any

import streamlit as st

from fibdash.config import FIELDS, DataConfig, Field, TrainConfig, shortened, train_config
from fibdash.sweep import SWEEPABLE

SECTIONS = {"data": "Data", "training": "Training", "study": "Study"}
SAVED = "settings"  # session-state key: each field's last value in this session, as its widget holds it


def _text(field: Field, value: Any) -> str:
    """How a number is written in its box and in the URL."""
    return f"{value:g}" if isinstance(value, float) else str(value)


def _keep(name: str) -> None:
    """After an edit: save the new value for the next pages; a number is written the way the app
    writes it ("1e3" becomes "1000") if it parses, else left as typed for the page to refuse."""
    if FIELDS[name].kind is not str and not FIELDS[name].choices:
        with contextlib.suppress(ValueError):
            st.session_state[name] = _text(FIELDS[name], FIELDS[name].parse(st.session_state[name]))
    st.session_state[SAVED][name] = st.session_state[name]


def _link_problem(field: Field) -> str | None:
    """What is wrong with this field's value in the page's URL, for widgets that would drop it silently."""
    raw = st.query_params.get(field.name)
    if raw is None or not field.choices:
        return None
    try:
        value = field.parse(raw)
    except ValueError as error:
        link = f"{field.name}={shortened(raw)}"
        return f"The link's {link} cannot be used: {error}. Showing {field.default} instead."
    if str(value) != raw:  # another spelling of a valid choice ("MinMax"): take it as meant
        st.session_state[field.name] = value
    return None


def _widget(field: Field) -> Any:
    """Draw the widget of `field`, keyed and bound to the URL by its name; its value as typed or chosen."""
    common = {
        "key": field.name,
        "help": field.help,
        "bind": "query-params",
        "on_change": _keep,
        "args": (field.name,),
    }
    if field.kind is str:
        return st.selectbox(field.label, field.choices, index=field.choices.index(field.default), **common)
    if field.choices:  # the study's seed counts
        return st.select_slider(field.label, field.choices, value=field.default, **common)
    text = st.text_input(
        field.label,
        value=_text(field, field.default),
        placeholder=field.expects,
        **common,
    )
    return field.parse(text)


def _values(*sections: str) -> dict[str, Any]:
    """Draw the sidebar widgets of `sections`; their values, or the page stopped with what to change."""
    fields = [field for field in FIELDS.values() if field.section in sections]
    saved = st.session_state.setdefault(SAVED, {})
    for field in fields:  # carried from the page before; a new session (a link) starts from its URL
        if field.name in saved:
            st.session_state[field.name] = saved[field.name]
    problems = [problem for field in fields if (problem := _link_problem(field))]
    values, errors = {}, []
    with st.sidebar:
        for section in sections:
            st.header(SECTIONS[section])
            for field in fields:
                if field.section == section:
                    try:
                        values[field.name] = _widget(field)
                    except ValueError as error:
                        errors.append(str(error))
                    saved[field.name] = st.session_state[field.name]
    if problems:
        with st.container(key="link_problems"):
            for problem in problems:
                st.warning(problem)
    if errors:
        with st.container(key="problems"):
            for error in errors:
                st.error(f"{error}. Change it in the sidebar.")
        st.stop()
    return values


def _valid(values: dict[str, Any]) -> TrainConfig:
    """The config of `values`, or its ValueError shown as what to change and the page stopped."""
    try:
        return train_config(values)
    except ValueError as error:
        with st.container(key="problems"):
            st.error(f"This configuration cannot be used: {error}. Change it in the sidebar.")
        st.stop()


def sidebar_data_config() -> DataConfig:
    """Sidebar data controls; the config they give, or an error message and a stopped page."""
    return _valid(_values("data")).data


def sidebar_train_config() -> TrainConfig:
    """Sidebar data and training controls; the full config, or an error and a stopped page."""
    return _valid(_values("data", "training"))


def sidebar_study_config() -> tuple[TrainConfig, int]:
    """Sidebar controls of a seed study: the config (its seed unused) and the number of seeds."""
    values = _values("data", "training", "study")
    return _valid(values), values["seeds"]


NO_SECOND = "(nothing else)"
# What the Sweep page varies until its visitor chooses otherwise: does attention's edge depend on
# the scaling? (Small enough for a public demo's budget at the tutorial's other settings.)
SWEEP_DEFAULTS = {
    "sweep": "scaling",
    "values": "minmax, log-minmax",
    "sweep2": NO_SECOND,
    "values2": "2, 4, 8",
}
# The values a setting's box offers when that setting is chosen: a spread around the tutorial's value.
SUGGESTED = {
    "n": "300, 600, 1200",
    "time_steps": "5, 10, 20",
    "train_fraction": "0.5, 0.7, 0.9",
    "hidden_units": "2, 4, 8",
    "epochs": "10, 30, 100",
    "batch_size": "1, 4, 16",
    "learning_rate": "0.0001, 0.001, 0.01",
    **{name: ", ".join(FIELDS[name].choices) for name in ("scaling", "cell", "activation")},
}


def _suggest(name_key: str, values_key: str) -> None:
    """A newly chosen setting gets values of its own kind in its box."""
    if st.session_state[name_key] in SUGGESTED:
        st.session_state[values_key] = SUGGESTED[st.session_state[name_key]]


def sweep_axes() -> dict[str, tuple]:
    """The Sweep page's one or two settings and their values, bound to the URL; parsed, or the page
    stopped with what to change."""
    columns = st.columns(2)
    choices = {"sweep": SWEEPABLE, "sweep2": (NO_SECOND, *SWEEPABLE)}
    vary, errors = {}, []
    for column, (name_key, values_key) in zip(
        columns, (("sweep", "values"), ("sweep2", "values2")), strict=True
    ):
        with column:
            options = choices[name_key]
            name = st.selectbox(
                "Vary" if name_key == "sweep" else "and",
                options,
                index=options.index(SWEEP_DEFAULTS[name_key]),
                key=name_key,
                bind="query-params",
                on_change=_suggest,
                args=(name_key, values_key),
            )
            if name == NO_SECOND:
                continue
            text = st.text_input(
                f"Values of {name}, separated by commas",
                value=SWEEP_DEFAULTS[values_key],
                key=values_key,
                placeholder=FIELDS[name].expects,
                bind="query-params",
            )
            try:
                if name in vary:
                    raise ValueError(f"{name} is chosen twice: choose another second setting, or none")
                vary[name] = tuple(FIELDS[name].parse(value) for value in text.split(","))
            except ValueError as error:
                errors.append(str(error))
    if errors:
        with st.container(key="problems"):
            for error in errors:
                st.error(f"{error}. Change it above.")
        st.stop()
    return vary
