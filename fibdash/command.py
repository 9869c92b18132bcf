"""The command line's words: each setting's option, the options each command takes, and the command that
gives a configuration's numbers (the pages' Reproduce block, the notebook's first cell).

`python -m fibdash` (`fibdash.__main__`) reads these options; the settings themselves are `config.FIELDS`.
"""

from __future__ import annotations

import shlex

from fibdash.config import FIELDS, TrainConfig, setting, written

# The settings each command takes, one option per field of the registry: a study's seeds replace the
# seed, and it scores one step ahead (its windows' targets), so it has no horizon.
TRAIN_OPTIONS = tuple(name for name in FIELDS if name != "seeds")
STUDY_OPTIONS = tuple(name for name in FIELDS if name not in ("seed", "horizon"))


def option(name: str) -> str:
    """A field's command-line option: --time-steps for time_steps."""
    return "--" + name.replace("_", "-")


def command_line(
    config: TrainConfig,
    seeds: int | None = None,
    vary: dict[str, tuple] | None = None,
    horizon: int = FIELDS["horizon"].default,
    variants: bool = False,
) -> str:
    """The command that gives `config`'s numbers: `python -m fibdash` for one run of both models (and its
    forecasts `horizon` steps ahead), with `seeds` its `study` (with `variants`, its variants study, every
    attention head, whatever `config`'s), with `vary` too its `sweep`; every setting that is not the default
    is named."""
    values = {name: setting(config, name) for name in FIELDS if FIELDS[name].section in ("data", "training")}
    if vary is None and seeds is None:
        words, names = ["python -m fibdash"], TRAIN_OPTIONS
        values["horizon"] = horizon
    else:
        words = ["python -m fibdash", "study" if vary is None else "sweep"]
        names = tuple(name for name in STUDY_OPTIONS if name != "seeds" and name not in (vary or {}))
        if variants:
            words.append("--variants")
            names = tuple(name for name in names if name != "attention")
        for name, swept in (vary or {}).items():
            words.append(f"--vary {name}={','.join(map(written, swept))}")
        words.append(f"--seeds {seeds}")
    upload = config.data.upload
    if upload is not None:  # --csv says the series, the file and its column; --sha256 checks the file's bytes
        names = tuple(name for name in names if name != "series")
        words += [f"--csv {shlex.quote(upload.file_name)}", f"--column {shlex.quote(upload.column)}"]
        words.append(f"--sha256 {upload.sha256}")
    words += [
        f"{option(name)} {written(values[name])}" for name in names if values[name] != FIELDS[name].default
    ]
    return " ".join(words)
