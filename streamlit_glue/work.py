"""The server's jobs: one worker process shared by every session, starting jobs, following them live.

Server settings, read from the environment (on Streamlit Community Cloud, from the app's
secrets, whose top-level keys Streamlit also exports as environment variables):

- FIBDASH_BUDGET_SECONDS: the longest job, in estimated seconds, the server accepts (default 60,
  suited to a public demo); "none" removes the limit for local use.
- FIBDASH_WORKER_MEMORY_MB: between jobs, a worker process larger than this is replaced by a
  fresh one (default 500).
- FIBDASH_MEMORY_CEILING_MB: server plus worker; a job that takes them past it is ended with a
  message (default 1000); "none" removes it.
The defaults' reasons, from measured sizes, are in the README's table of server settings.
- FIBDASH_OPERATOR: "1" shows a button that forgets every cached result, for every session.
"""

from __future__ import annotations

import os
import time
from collections.abc import Hashable
from typing import Any

import streamlit as st
from streamlit.logger import get_logger
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx

from fibdash.analysis.sweep import GridPoint
from fibdash.config import MODEL_KINDS, MODEL_LABELS, DataConfig, TrainConfig
from fibdash.data import Dataset
from fibdash.engine.records import AttentionTrace, EpochLog, Trained
from fibdash.figures.training import loss_figure
from fibdash.serving import budget, kinds, tasks
from fibdash.serving.jobs import FAILED, RUNNING, SERVER, STOPPED, AlreadyQueuedError, Ending, Job, JobRunner
from fibdash.serving.kinds import Work
from fibdash.serving.tasks import PointDone
from fibdash.serving.worker import WorkerDiedError, WorkerError
from streamlit_glue.show import chart, dataset

# Finished results kept for every session, least recently used dropped first, up to this many bytes
# (a few MB for a trained pair or a study: hundreds of results),
# besides the tutorial's own pair and study, which are kept for good.
MAX_RESULT_BYTES = 256 * 2**20
LIVE_SECONDS = 1.0  # how often a running job's progress is redrawn: each redraw is a run on the server
QUICK_SECONDS = 0.5  # how long a press of a job's button waits for it to end before drawing its progress
# A short job (estimated SHORT_SECONDS at most: the tutorial's pair, a class's seeds trained in one call) is
# waited for in the press's own run, up to PRESS_WAIT_SECONDS (see _wait_in_press), and the server's own
# tutorial pair, due within SHORT_SECONDS, up to SHORT_WAIT_SECONDS.
SHORT_SECONDS, SHORT_WAIT_SECONDS, PRESS_WAIT_SECONDS = 1.0, 2.0, 20.0
OWN_JOBS_SECONDS = 10  # the longest a page of the tutorial's runs waits for a fresh server to queue them
WHAT_IF_SECONDS = 30  # a what-if's longest wait: loading a pair's models the first time, on a busy worker
STOPPED_HERE = "Stopped: nothing of this job was kept."  # said when this session's Stop cancelled a job


def _setting(name: str, default: float | None) -> float | None:
    """A number from the environment; "none" (or 0) means no limit."""
    text = os.environ.get(name, "").strip().lower()
    if not text:
        return default
    if text in ("none", "0"):
        return None
    try:
        return float(text)
    except ValueError:
        raise ValueError(
            f"the setting {name} must be a number of seconds or MB, or none; got {text!r}"
        ) from None


BUDGET_SECONDS = _setting("FIBDASH_BUDGET_SECONDS", 60.0)
WORKER_MEMORY_MB = _setting("FIBDASH_WORKER_MEMORY_MB", 500.0)
MEMORY_CEILING_MB = _setting("FIBDASH_MEMORY_CEILING_MB", 1000.0)
OPERATOR = os.environ.get("FIBDASH_OPERATOR", "") == "1"


@st.cache_resource(show_spinner=False)
def runner() -> JobRunner:
    """The server's one job queue, worker process and bounded store of results, for every session.

    Not `st.cache_resource` on a training function itself: that can neither tell whether a
    config is trained without training it, nor let a second session watch the first's progress,
    and a rerun would throw the half-done training away.

    Made by the server's first page run, with its worker, which starts loading the engine at once (and
    compiling it where no cache has it: a fresh container). The tutorial's own runs are then queued as
    the server's jobs, beside that page rather than in it, so that a class that opens the Tutorial, Compare
    or Robustness finds them trained, or training, without anybody pressing a button.
    """
    get_logger("fibdash")  # the engine's log lines (jobs started, ended, failed) join the server's log
    return JobRunner(
        MAX_RESULT_BYTES,
        warm_up=tasks.warm_up,
        pinned=kinds.tutorials,
        is_alive=_connected,
        worker_memory_mb=WORKER_MEMORY_MB,
        memory_ceiling_mb=MEMORY_CEILING_MB,
        own_jobs=_train_the_tutorial,
    )


def _train_the_tutorial(runner: JobRunner) -> None:
    """Queue the tutorial's own runs that this server's budget allows as its jobs, followed by SERVER."""
    for work in kinds.tutorial_runs(BUDGET_SECONDS):
        if work.refusal is None:
            work.submit(runner, SERVER, limited=BUDGET_SECONDS is not None)


def session_id() -> str:
    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def _connected(session: str) -> bool:
    """Whether a session is still connected; outside a real server (tests), every session is."""
    return not Runtime.exists() or Runtime.instance().is_active_session(session)


# --- what a page asks for ---------------------------------------------------------------------


def pair(config: TrainConfig) -> Work:
    """Training both models of `config` (on each fold of a backtest), on this server's budget."""
    return kinds.pair(config, datasets(config.data), BUDGET_SECONDS)


def study(config: TrainConfig, seeds: int) -> Work:
    """A study of `config` over seeds 0 .. seeds - 1, on this server's budget."""
    return kinds.study(config, seeds, datasets(config.data), BUDGET_SECONDS)


def variants(config: TrainConfig, seeds: int) -> Work:
    """A variants study of `config` over seeds 0 .. seeds - 1 (every head, the RNN and the matched RNN), on
    this server's budget."""
    return kinds.variants(config, seeds, datasets(config.data), BUDGET_SECONDS)


def sweep(base: TrainConfig, vary: dict[str, tuple], seeds: int, grid: list[GridPoint]) -> Work:
    """A study at every point of `grid`, the sweep of `base` over `vary`, on this server's budget; its
    points' data is made only if it runs."""
    return kinds.sweep(base, vary, seeds, grid, datasets, BUDGET_SECONDS)


def datasets(config: DataConfig) -> list[Dataset]:
    """The datasets models of `config` train on, cached: its own, or a backtest's folds'."""
    return [dataset(fold) for fold in config.fold_configs()]


def result(work: Work) -> Any:
    """The finished result of `work` if any session has run it (a cache read, no work), else None."""
    return runner().result(work.key)


def result_or_button(work: Work, idle: str) -> Any:
    """The finished result of `work`, or None after drawing its `button` with `idle` said: the preamble of
    every page that shows a job's result."""
    finished = result(work)
    if finished is None:
        button(work, idle)
    return finished


def button(work: Work, idle: str) -> None:
    """A button that starts `work`, its estimate or refusal, and the job's progress while it runs, in a
    container keyed "job"; `idle` is said while no job is under way.

    A job under way for the same work (started here, in another session, or before a reload) is
    followed at once; one this session stopped while others wait for it is watched until it ends,
    for its result.
    """
    with st.container(key="job"):
        _controls(work, idle)


@st.fragment
def _controls(work: Work, idle: str) -> None:
    """The button, and the job's state: a fragment, so that a press of the button (or of Stop) runs and
    redraws this, not the whole page, on the server and in the browser; the result draws the whole page."""
    job = runner().job(work.key)
    if job is None and kinds.tutorials(work.key) and not runner().own_jobs_queued.is_set():
        # the first page of a fresh server, as it queues the tutorial's runs: a fraction of a second
        runner().own_jobs_queued.wait(OWN_JOBS_SECONDS)
        job = runner().job(work.key)
    if job is None and result(work) is not None:
        # done between the page's look at the cache and now (a job of a tenth of a second, just
        # pressed): drawn again, the page shows its result, not "not trained yet" and the button
        st.rerun()
    if job is None:
        _settle(work.key)  # a job this session followed for it has ended, perhaps before it was drawn
        _notice(work.key)  # how this session's last job for it ended, if it ended badly
    elif job.owned_by_server:  # the tutorial's runs, training for everyone: nothing to press
        runner().follow(job, session_id())
        _followed()[work.key] = (job.id, work.what)
        # due within a second (the tutorial's pair, running or next, on a fresh server's first visit): shown
        # done at once, as a short job just pressed is, not at the next redraw of its progress
        if _ready_in(job) <= SHORT_SECONDS and job.wait(SHORT_WAIT_SECONDS):
            st.rerun()
        _follow(job, work)
        return
    limit = (
        "no limit here"
        if BUDGET_SECONDS is None
        else f"this server's limit: {budget.describe_seconds(BUDGET_SECONDS).removeprefix('about ')}"
    )
    left, right = st.columns([1, 2], vertical_alignment="center")
    pressed = left.button(
        work.button, key=work.button_key, type="primary", disabled=work.refusal is not None or job is not None
    )
    right.caption(f"Estimated time: {budget.describe_seconds(work.seconds, BUDGET_SECONDS)} ({limit})")
    if work.refusal is not None:
        st.error(work.refusal)
    if pressed and job is None:
        _notices().pop(work.key, None)
        try:
            job = work.submit(runner(), session_id(), limited=BUDGET_SECONDS is not None)
        except AlreadyQueuedError as queued:
            st.warning(
                f"You already have a job waiting in the queue ({queued.job.label}). Stop it, or wait "
                "for it to start, before you queue another."
            )
        else:
            _followed()[work.key] = (job.id, work.what)
            if work.seconds <= SHORT_SECONDS:
                _wait_in_press(job, work)
            # a job that ends within QUICK_SECONDS is shown done in the run that follows, not at the first
            # redraw of its progress, up to LIVE_SECONDS later; one that fails as fast, its error
            job.wait(QUICK_SECONDS)
            st.rerun()  # drawn again with its result, or with the button disabled and the job followed
    if job is None:
        if work.refusal is None:  # a refused configuration's button is disabled: nothing to invite a press of
            st.info(idle)
    else:
        if job.id not in _stopped():
            runner().follow(job, session_id())
        _followed()[work.key] = (job.id, work.what)
        _follow(job, work)


def _wait_in_press(job: Job, work: Work) -> None:
    """Wait for short `job` in the run of the press that queued it, its progress drawn every LIVE_SECONDS,
    until it ends or PRESS_WAIT_SECONDS pass; one due later (queued behind a long job) is not waited for.
    The caller draws the page again: with the result, or following the job as a longer one is followed.

    The server sees the job end at once, where a follower's timed fragment runs only when its browser asks
    for it, and a class's 12 tabs on the same cores asked seconds late; and no run of the whole page comes
    between the press and the result. Each redraw of the progress is where the script yields to its session:
    a press of Stop, or of anything else, is acted on within LIVE_SECONDS.
    """
    if _ready_in(job) > PRESS_WAIT_SECONDS:
        return
    stop, progress = st.empty(), st.empty()
    deadline = time.monotonic() + PRESS_WAIT_SECONDS
    timeout = QUICK_SECONDS  # a job that ends within it goes to its result without a view of its progress
    while not job.wait(timeout) and time.monotonic() < deadline:
        if timeout == QUICK_SECONDS:
            _stop_button(stop, job, work)
        with progress.container():
            _progress(job, work)
        timeout = LIVE_SECONDS


def _ready_in(job: Job) -> float:
    """Estimated seconds until `job` ends: its wait in the queue and what remains of its own estimate."""
    return runner().wait_seconds(job) + max(job.seconds - job.seconds_running(), 0.0)


def _stopped() -> set[int]:
    """Ids of the jobs this session stopped: it follows them no more, and only watches them end."""
    return st.session_state.setdefault("stopped_jobs", set())


def _notices() -> dict[Hashable, tuple[str, str]]:
    """How this session's last job for each key ended, when it ended badly: shown until it trains again."""
    return st.session_state.setdefault("job_notices", {})


def _notice(key: Hashable) -> None:
    if (notice := _notices().get(key)) is not None:
        kind, text = notice
        getattr(st, kind)(text)


def _followed() -> dict[Hashable, tuple[int, str]]:
    """The job this session last pressed or followed for each key, by id, and what it is ("training")."""
    return st.session_state.setdefault("followed_jobs", {})


def _settle(key: Hashable) -> None:
    """If the job this session followed for `key` has ended, keep how, for `_notice` to say.

    Run on every full run of a page with the key's button, so that a job that ended before any view
    of its progress was drawn (failed or killed within a press's QUICK_SECONDS), or while this session
    was on another page, is said all the same.
    """
    followed = _followed().pop(key, None)
    if followed is not None and (ending := runner().ending(followed[0])) is not None:
        _ended(ending, followed[1])


def _ended(ending: Ending, what: str) -> None:
    """Keep how a job ended for this session's page, which shows it (or the job's result)."""
    if ending.state == FAILED:
        _notices()[ending.key] = (
            "error",
            f"The {what} failed: {ending.error}. Change the configuration or try again.",
        )
    elif ending.state == STOPPED:
        if _notices().get(ending.key) != ("warning", STOPPED_HERE):  # that says it: Stop here cancelled it
            _notices()[ending.key] = (
                "warning",
                f"The {what} was stopped before it finished; nothing of it was kept.",
            )
    else:
        _notices().pop(ending.key, None)  # done: the page shows its result


def _stop(job: Job) -> None:
    """The Stop button's callback: this session waits for `job` no more; cancelled unless others wait."""
    if not st.session_state.get("stop_job"):  # called back unpressed, for a page drawn before it went away
        return
    _stopped().add(job.id)
    if runner().stop(job, session_id(), _connected):  # said at once: the page may be left before it ends
        _notices()[job.key] = ("warning", STOPPED_HERE)


def _follow(job: Job, work: Work) -> None:
    """Draw the job's progress every LIVE_SECONDS until it ends, then rerun the page for its result.

    A job this session stopped, but another session still waits for, goes on: the page says so and
    shows its result once it is done, as it would for a job it followed. Stop acts in its button's
    callback, so that the run it causes draws the stopped state; it never reruns the whole page at
    once: a page rerun begun from the fragment raced with the fragment's own timed reruns, and the
    page kept the job's last progress and a live Stop button.
    """

    @st.fragment(run_every=LIVE_SECONDS)
    def live() -> None:
        what = work.what
        if job.finished:  # drawn again whole: it says how the job ended (see _settle), or its result
            st.rerun(scope="app")
        if job.owned_by_server:
            _server_job(job, work)
            return
        if job.id in _stopped():
            if job.cancelled:
                st.caption(f":material/hourglass_top: Stopping the {what}...")
            else:
                st.info(
                    "You stopped waiting, but another session is waiting for this same job, so it goes on "
                    "for them; its result will be shown here too once it is done."
                )
                st.caption(f":material/autorenew: Running for {job.seconds_running():.0f} s, for them.")
            return
        _stop_button(st, job, work)
        _progress(job, work)

    live()


def _stop_button(where: Any, job: Job, work: Work) -> None:
    """The Stop button of `job`, drawn in `where` (the page, or a placeholder)."""
    where.button(
        f"Stop the {work.what}",
        key="stop_job",
        help="Stop waiting for this job; it is cancelled unless another session waits for it too",
        on_click=_stop,
        args=(job,),
    )


def _progress(job: Job, work: Work) -> None:
    """Where this session's `job` stands: its place and wait in the queue, or how long it has run and its
    progress."""
    if position := runner().position(job):
        ahead = "1 job" if position == 1 else f"{position} jobs"
        st.caption(
            f":material/hourglass_top: Queued: {ahead} ahead of yours (yours is number {position + 1}). "
            f"It should start in {_wait(job)}; a shorter job queued after it may still go first."
        )
    else:
        logs = list(job.logs)
        waiting = not logs and not runner().worker_ready()
        doing = ", starting the training process (it loads the engine)" if waiting else ""
        st.caption(f":material/autorenew: Running for {job.seconds_running():.0f} s{doing}{_together(job)}.")
        _draw(work, logs)


def _server_job(job: Job, work: Work) -> None:
    """One of the tutorial's runs, which the server queued for everyone as it started: when it will be
    ready, and its progress. No Stop: nobody here asked for it."""
    ready = _ready_in(job)
    loading = (
        ", once the training process has loaded the engine (a fresh server compiles it first, which takes "
        "longer)"
        if not runner().worker_ready()
        else ""
    )
    with st.container(key="server_job"):
        st.info(
            f"Training the tutorial's runs on this server for everyone, as it started: this {work.what} is "
            f"ready in {budget.describe_seconds(ready)}{loading}. Nothing to press; it shows here when done."
        )
    if position := runner().position(job):
        st.caption(
            f":material/hourglass_top: Queued: {'1 job' if position == 1 else f'{position} jobs'} ahead."
        )
    else:
        st.caption(f":material/autorenew: Running for {job.seconds_running():.0f} s{_together(job)}.")
        _draw(work, list(job.logs))


def _together(job: Job) -> str:
    """What else `job` trains beside, in one call (a batch): ", in one call with N other jobs ...", or ""."""
    if job.together == 1:
        return ""
    others = "1 other job" if job.together == 2 else f"{job.together - 1} other jobs"
    return f", in one call with {others} that differ only in seed (the progress shown is all of theirs)"


def _draw(work: Work, logs: list[Any]) -> None:
    """The job's progress so far: a sweep's grid points, and each model's epochs.

    A short job (estimated SHORT_SECONDS at most: the tutorial's pair, a class's seeds) shows its epochs as
    a line of text, for a result that follows within a second or two on its own. Drawn again every
    LIVE_SECONDS in each tab following it, the loss curves were a third of the server's work for a class of
    12 (py-spy), and the bars' sliding (a CSS transition at every redraw) half of 12 tabs' processor time
    while they waited (a page kept running 8 s in 12 headless tabs on 2 cores, its caption and two bars
    redrawn every second: 15.3 CPU-s of Chromium; with a line of text for the bars, 8.5).
    """
    short = work.seconds <= SHORT_SECONDS
    if work.points:
        _draw_parts(logs, work.points, work.part, work.progress, short)
    else:
        _draw_epochs(logs, work.progress, short)


def _draw_epochs(logs: list[Any], title: str, short: bool) -> None:
    """Each model's latest epoch: in a line of text for a `short` job, else as bars, with the loss curves
    so far."""
    histories: dict[str, tuple[list[float], list[float]]] = {}
    latest = {}
    for log in logs:
        loss, test_mse = histories.setdefault(MODEL_LABELS[log.kind], ([], []))
        loss.append(log.loss)
        test_mse.append(log.test_mse)
        latest[log.kind] = log
    lines = {
        kind: f"{MODEL_LABELS[kind]}: epoch {log.epoch}/{log.epochs}, loss {log.loss:.3g}"
        if (log := latest.get(kind)) is not None
        else f"{MODEL_LABELS[kind]}: waiting"
        for kind in MODEL_KINDS
    }
    if short:
        st.caption(" · ".join(lines.values()))
        return
    for kind, text in lines.items():
        log = latest.get(kind)
        st.progress(0.0 if log is None else log.epoch / log.epochs, text=text)
    if histories:
        chart(loss_figure(histories, title), key="live_loss")


def _draw_parts(logs: list[Any], points: int, part: str, title: str, short: bool) -> None:
    """Which `part` (a sweep's grid point, a variants study's training) is training, its models' epochs, and
    the parts finished so far."""
    done = [log for log in logs if isinstance(log, PointDone)]
    since = next((i + 1 for i in range(len(logs) - 1, -1, -1) if isinstance(logs[i], PointDone)), 0)
    st.progress(len(done) / points, text=f"{part} {min(len(done) + 1, points)} of {points}")
    _draw_epochs([log for log in logs[since:] if isinstance(log, EpochLog)], title, short)
    if done:
        st.caption("Finished: " + "; ".join(log.settings for log in done))


def background_jobs() -> None:
    """The sidebar's list of jobs under way on this server, as the page was drawn.

    Not a fragment that redraws itself: a second self-rerunning fragment per session (besides
    the followed job's) raced with the full rerun that shows a finished job's result, and under
    load (12 sessions at once) Streamlit dropped that rerun's output, leaving pages stuck.
    """
    for job in runner().active():
        where = (
            "running"
            if job.state == RUNNING
            else f"queued, number {runner().position(job) + 1}, starts in {_wait(job)}"
        )
        st.caption(f":material/hourglass_top: {job.label} ({where})")


def _wait(job: Job) -> str:
    """How long queued `job` should wait, in words: "about 2 min" (see `JobRunner.wait_seconds`)."""
    return budget.describe_seconds(runner().wait_seconds(job))


def clear_button() -> None:
    """For the server's operator only (FIBDASH_OPERATOR=1): forget every cached result."""
    if OPERATOR and st.button("Clear every cached result", key="clear_cache", help="For every session"):
        runner().clear()
        st.toast("Every cached result was cleared")


def what_if(pair: dict[str, Trained], windows: Any) -> dict[str, tuple[Any, Any]] | None:
    """Both trained models' answers for `windows`, computed beside any job; None, with the reason shown."""
    models = {kind: (trained.config, trained.weights) for kind, trained in pair.items()}
    return _quick(tasks.what_if, models, windows)


def predict_each(requests: dict) -> dict | None:
    """Each request's model predicting its own windows (`tasks.predict_each`), beside any job; None, with
    the reason shown, if the worker cannot answer."""
    return _quick(tasks.predict_each, requests)


def attention_trace(trained: Trained, window: Any) -> AttentionTrace | None:
    """One window through the trained attention model, step by step, computed beside any job."""
    return _quick(tasks.attention_trace, trained.config, trained.weights, window)


def _quick(function: Any, *args: Any) -> Any:
    """`function(*args)` in the worker's quick lane; None, with the reason shown, if it cannot answer."""
    try:
        return runner().call(function, *args, timeout=WHAT_IF_SECONDS)
    except (WorkerError, WorkerDiedError, TimeoutError) as error:
        st.error(f"The models could not answer: {error or 'no answer in time'}. Try again in a moment.")
        return None
