"""The configuration widgets: one per config field, described by fibdash's field registry, and the
Sweep page's settings, all bound to the page's URL, so that a link reproduces a view.

The app's entrypoint draws every one of them before the page (`draw`), those the page does not use
folded away in the sidebar: one widget for all pages. Streamlit then carries each value, and the
address, from page to page itself: a page change is one entry in the browser's history, with every
setting in it, and Back returns to the page before with the settings it had. A page reads the
values with `data_config`, `train_config`, `compare_config`, `study_config` or `sweep_config`.

Numbers are typed into text boxes and read with the field's own parser: "1e3" is a thousand,
an empty box or a value out of bounds is refused with a message naming the limit, whether it
was typed or came in a link. Choices are select boxes; a choice a link gets wrong is named too.
A link's value the app takes is written back to the address in the app's own spelling
(`respelled_link`: cell=lstm becomes cell=LSTM, n=1e3 becomes n=1000), and a setting the link
gives twice is said, its last value used.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import streamlit as st

from fibdash.analysis.sweep import SUGGESTED, SWEEPABLE, check_grid_size, sweepable
from fibdash.config import FIELDS, DataConfig, Field, TrainConfig, written
from fibdash.quoting import markdown_literal, shortened
from fibdash.series import most_values
from streamlit_glue import upload

SECTIONS = {  # of the sidebar
    "data": "Data",
    "training": "Training",
    "forecast": "Forecast",
    "study": "Study",
    "sweep": "Sweep",
}
NO_SECOND = "(nothing else)"
# What the Sweep page varies until its visitor chooses otherwise: does attention's edge depend on
# the scaling? (Small enough for a public demo's budget at the tutorial's other settings.)
SWEEP_DEFAULTS = {
    "sweep": "scaling",
    "values": "minmax, log-minmax",
    "sweep2": NO_SECOND,
    "values2": "2, 4, 8",
}
AXES = (("sweep", "values"), ("sweep2", "values2"))  # the keys of each swept setting and its values
AXIS_CHOICES = {"sweep": SWEEPABLE, "sweep2": (NO_SECOND, *SWEEPABLE)}
LINK_NOTES = "link_notes"  # what `respelled_link` found to say, kept over the run it starts again


def _spelled(name: str, text: str) -> str:
    """A link's `text` for the setting `name` as the app writes it ("1e3" for n: "1000"); as given
    when it is not a setting's value the app takes (the page then says why)."""
    if name not in FIELDS:
        return text
    try:
        return written(FIELDS[name].parse(text))
    except ValueError:
        return text


def respelled_link() -> dict[str, str | list[str]] | None:
    """The address's parameters with every setting in the app's own spelling and given once (its last
    value), or None when it is so already. For a session's first run, before any widget binds a
    parameter: opened with these, each widget takes its value from the address as it stands.

    A setting given more than once is said (`draw` shows it, after the run these parameters start).
    """
    if DRAWN in st.session_state:  # not the first run: the widgets hold the settings, and bind them
        return None
    settings = (*FIELDS, *(key for axis in AXES for key in axis))
    params: dict[str, str | list[str]] = {}
    notes = []
    for name in st.query_params:
        given = st.query_params.get_all(name)
        if name not in settings:
            params[name] = given if len(given) > 1 else given[0]
            continue
        if len(given) > 1:
            values = ", ".join(shortened(value) for value in given)
            notes.append(
                f"The link gives {name} {'twice' if len(given) == 2 else f'{len(given)} times'} "
                f"({shortened(values)}): the last, {shortened(given[-1])}, is used."
            )
        params[name] = _spelled(name, given[-1])
    if not notes and all(
        params[name] == st.query_params.get_all(name)[-1] for name in settings if name in params
    ):
        return None
    st.session_state[LINK_NOTES] = notes
    return params


def _rewrite(name: str) -> None:
    """After an edit, a number is written the way the app writes it ("1e3" becomes "1000") if it
    parses, else left as typed for the page to refuse."""
    with contextlib.suppress(ValueError):
        st.session_state[name] = written(FIELDS[name].parse(st.session_state[name]))


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


def _axis_problem(name_key: str) -> str | None:
    """What is wrong with the setting a link asks the Sweep page to vary, which its box would drop."""
    raw = st.query_params.get(name_key)
    if raw is None or raw in AXIS_CHOICES[name_key]:
        return None
    try:
        sweepable(raw)  # raises: every setting a sweep can vary is among the choices
    except ValueError as error:
        link = f"{name_key}={shortened(raw)}"
        return f"The link's {link} cannot be used: {error}. Showing {SWEEP_DEFAULTS[name_key]} instead."
    return None


def _bound(key: str) -> str:
    """`key` of a widget bound to the address, whose value, when it has one, is set again to itself.

    A page change carries a setting to the next page's address only once the browser has bound
    its widget, some tenths of a second after the widget is drawn (a select box first loads its
    code); a value set from code is written back to the address when it is missing there.
    """
    if key in st.session_state:
        st.session_state[key] = st.session_state[key]
    return key


def _series_chosen() -> None:
    """A newly chosen series shorter than n gets n as long as the series."""
    most, _ = most_values(st.session_state["series"], upload.current())
    with contextlib.suppress(ValueError):
        if FIELDS["n"].parse(st.session_state["n"]) > most:
            st.session_state["n"] = str(most)


def _widget(field: Field) -> Any:
    """Draw the widget of `field`, keyed and bound to the URL by its name; its value as typed or chosen."""
    common = {"key": _bound(field.name), "help": field.help, "bind": "query-params"}
    if field.value_type is str:
        chosen = {"on_change": _series_chosen} if field.name == "series" else {}
        return st.selectbox(
            field.label, field.choices, index=field.choices.index(field.default), **common, **chosen
        )
    if field.choices:  # the study's seed counts
        return st.select_slider(field.label, field.choices, value=field.default, **common)
    text = st.text_input(
        field.label,
        value=written(field.default),
        placeholder=field.expects,
        on_change=_rewrite,
        args=(field.name,),
        **common,
    )
    return field.parse(text)


def _suggest(name_key: str, values_key: str) -> None:
    """A newly chosen setting gets values of its own kind in its box."""
    if st.session_state[name_key] in SUGGESTED:
        st.session_state[values_key] = ", ".join(map(written, SUGGESTED[st.session_state[name_key]]))


def _axes(problems: dict[str, str]) -> tuple[dict[str, tuple], list[str]]:
    """Draw the Sweep page's settings; the one or two settings they vary and their values, parsed, and
    what is wrong with them. `problems`: the link's, by the setting's key.

    A sweep larger than the dashboard takes is refused before its values are parsed (a link may carry
    thousands), and before any grid point is made."""
    vary, texts, errors = {}, {}, []
    for name_key, values_key in AXES:
        options = AXIS_CHOICES[name_key]
        name = st.selectbox(
            "Vary" if name_key == "sweep" else "and",
            options,
            index=options.index(SWEEP_DEFAULTS[name_key]),
            key=_bound(name_key),
            bind="query-params",
            on_change=_suggest,
            args=(name_key, values_key),
        )
        # drawn even with no second setting, disabled: a bound widget left out loses its parameter
        text = st.text_input(
            f"Values of {name}, separated by commas" if name != NO_SECOND else "Values",
            value=SWEEP_DEFAULTS[values_key],
            key=_bound(values_key),
            placeholder=FIELDS[name].expects if name != NO_SECOND else "choose a second setting first",
            disabled=name == NO_SECOND,
            bind="query-params",
        )
        if name != NO_SECOND:
            texts[name_key, values_key] = (name, text)
    try:
        check_grid_size({name: text.count(",") + 1 for name, text in texts.values()})
    except ValueError as error:
        return {}, [str(error)]
    for (name_key, values_key), (name, text) in texts.items():
        try:
            if name in vary:
                raise ValueError(f"{name} is chosen twice: choose another second setting, or none")
            vary[name] = tuple(FIELDS[name].parse(value) for value in text.split(","))
        except ValueError as error:
            errors.append(
                f"The link's {values_key}={shortened(text)} were meant for the setting it could not vary, "
                f"not for {name}"
                if name_key in problems  # instead of a complaint about values never meant for `name`
                else str(error)
            )
    return vary, errors


def _fields(section: str) -> tuple[dict[str, Any], list[str]]:
    """Draw the widgets of a section of FIELDS; their values, by name, and what is wrong with them."""
    values, errors = {}, []
    for field in FIELDS.values():
        if field.section == section:
            try:
                values[field.name] = _widget(field)
            except ValueError as error:
                errors.append(str(error))
    return values, errors


@dataclass(frozen=True)
class Drawn:
    """What the sidebar's settings hold in this run: values by name, the sweep's axes, what is wrong."""

    values: dict[str, Any]
    vary: dict[str, tuple]
    errors: dict[str, list[str]]  # by section


DRAWN = "drawn_settings"  # the session state's key of this run's Drawn, for the page to read


def draw(sections: tuple[str, ...]) -> list[str]:
    """Draw every setting in the sidebar, the sections a page uses (of SECTIONS) unfolded, the others
    folded; what is wrong with the link's settings that `sections` use, for `warn`. Nothing stops yet.

    The sidebar is the same on every page, each widget at the same place: the browser keeps a widget
    that stays where it was, and with it what carries its setting to the next page's address.
    """
    problems = st.session_state.pop(LINK_NOTES, [])
    problems += [problem for field in FIELDS.values() if (problem := _link_problem(field))]
    axis_problems = {key: problem for key, _ in AXES if (problem := _axis_problem(key))}
    values, errors = {}, {}
    with st.sidebar:
        for section, title in SECTIONS.items():
            with st.expander(title, expanded=section in sections):
                if section == "sweep":
                    vary, errors[section] = _axes(axis_problems)
                else:
                    drawn, errors[section] = _fields(section)
                    values.update(drawn)
        if set(sections) < set(SECTIONS):
            st.caption("Folded: settings this page does not use. Its address keeps them for the others.")
    st.session_state[DRAWN] = Drawn(values, vary, errors)
    return problems + list(axis_problems.values()) if "sweep" in sections else problems


def warn(problems: list[str]) -> None:
    """Show what is wrong with the link's settings, as `draw` found it."""
    if problems:
        with st.container(key="link_problems"):
            for problem in problems:
                st.warning(markdown_literal(problem))


def _set(button: str, name: str, value: Any) -> None:
    # Streamlit also calls a button's callback when a page drawn before the button went away still
    # sends it, unpressed: only a press sets the setting.
    if st.session_state.get(button):
        st.session_state[name] = value


def set_button(name: str, value: Any, label: str, help: str) -> None:
    """A button that sets the setting `name` to `value`: its widget, and the address with it, follow."""
    key = f"set_{name}"
    st.button(label, key=key, help=help, on_click=_set, args=(key, name, value))


def configure(changes: dict[str, Any]) -> None:
    """Set every setting to the tutorial's but `changes` (the Sweep page's too): widgets, address follow."""
    for field in FIELDS.values():
        value = changes.get(field.name, field.default)
        st.session_state[field.name] = value if field.value_type is str or field.choices else written(value)
    for key, value in SWEEP_DEFAULTS.items():
        st.session_state[key] = changes.get(key, value)


def _checked(sections: tuple[str, ...]) -> tuple[TrainConfig, Drawn]:
    """The config of the settings of `sections`, or the page stopped with what to change: what is wrong
    with the settings, or the config's own complaint. Also the settings as drawn."""
    drawn = st.session_state[DRAWN]
    errors = [error for section in sections for error in drawn.errors[section]]
    if not errors:
        try:
            return TrainConfig.from_values(drawn.values, upload.current()), drawn
        except ValueError as error:
            errors = [f"This configuration cannot be used: {error}"]
    with st.container(key="problems"):
        for error in errors:
            st.error(markdown_literal(f"{error}. Change it in the sidebar."))
    st.stop()


def data_config() -> DataConfig:
    """The data settings' config, or an error message and a stopped page."""
    return _checked(("data",))[0].data


def train_config() -> TrainConfig:
    """The data and training settings' config, or an error and a stopped page."""
    return _checked(("data", "training"))[0]


def compare_config() -> tuple[TrainConfig, int]:
    """The Compare page's settings: the config and the forecast horizon; or the page stopped."""
    config, drawn = _checked(("data", "training", "forecast"))
    return config, drawn.values["horizon"]


def study_config() -> tuple[TrainConfig, int]:
    """A seed study's settings: the config (its seed unused) and the number of seeds."""
    config, drawn = _checked(("data", "training", "study"))
    return config, drawn.values["seeds"]


def sweep_config() -> tuple[TrainConfig, int, dict[str, tuple]]:
    """A sweep's settings: the base config, the number of seeds, and the one or two settings varied
    with their values; or the page stopped with what to change."""
    config, drawn = _checked(("data", "training", "study", "sweep"))
    return config, drawn.values["seeds"], drawn.vary
