"""A real `streamlit run app.py` on a free loopback port, and Debian's Chromium to drive it.

Shared by the browser tests and the server benchmark: starting the server, and waiting for the
app the way a user would see it.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly
import plotly.io as pio
import psutil
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling home, which a closed network refuses.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright):
    """Debian's headless Chromium, as the machine's closed network needs it."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def streamlit_server(
    log: Path, timeout: float = 60, settings: Mapping[str, str] | None = None
) -> Iterator[Server]:
    """Start the app on a free port, wait until it answers its health check, stop it afterwards.

    `settings`: server settings (FIBDASH_...) for this server, on top of the environment's.
    """
    port = free_port()
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)]
    command += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    environment = {**os.environ, **(settings or {})}
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=environment)
    server = Server(f"http://127.0.0.1:{port}", process, log)
    try:
        wait_until_up(server, timeout)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def wait_until_up(server: Server, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.process.returncode}:\n{server.log_text()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=1) as answer:
                if answer.read() == b"ok":
                    return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"streamlit did not answer within {timeout} s:\n{server.log_text()}")


def worker_process(server_pid: int) -> psutil.Process | None:
    """The server's worker process, if it has one."""
    for child in psutil.Process(server_pid).children():
        with contextlib.suppress(psutil.Error):
            if "from fibdash.serving.worker import main" in " ".join(child.cmdline()):
                return child
    return None


def settled(tab, rerun: bool = False) -> None:
    """Wait until the app is connected and its script run has finished.

    With `rerun`, first wait for the run an action just triggered to start (a fast run may be
    over before we look, hence the short timeout).
    """
    app = '[data-testid="stApp"]'
    if rerun:
        with contextlib.suppress(PlaywrightTimeout):
            tab.wait_for_selector(f'{app}[data-test-script-state="running"]', timeout=2000)
    tab.wait_for_selector(
        f'{app}[data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
    )
    tab.wait_for_selector("h1")


def opened(tab) -> None:
    """After a page load: the app settled, and every setting in the sidebar bound to the address, as a
    user sees them before a click.

    A widget binds itself to its parameter once it is drawn (select boxes after their code loads,
    some tenths of a second after the page's first run). A page change clicked before that leaves
    the unbound settings out of the new page's address, and the server writes each back, one entry
    in the browser's history each (Streamlit 1.67): the settings survive, but Back takes extra steps.
    """
    settled(tab)
    for widget in ("stSelectbox", "stTextInput"):
        tab.locator(f'[data-testid="stSidebar"] [data-testid="{widget}"]').last.wait_for(state="attached")
    # the binding is made in the frame after the widget is drawn
    tab.evaluate("() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")


def go(tab, page_label: str) -> None:
    """Open a page through the sidebar, as a user does, so the session (and its config) carries over."""
    tab.locator('[data-testid="stSidebar"]').get_by_role("link", name=page_label, exact=True).click()
    tab.wait_for_function(f"() => document.querySelector('h1')?.innerText.includes({page_label!r})")
    settled(tab, rerun=True)


def set_number(tab, label: str, value: float) -> None:
    box = tab.get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")
    settled(tab, rerun=True)


def choose(tab, label: str, option: str) -> None:
    """Pick `option` in a select box; its list can close again under a rerun, so open it until it shows."""
    for _ in range(5):
        tab.get_by_label(label, exact=True).click()
        with contextlib.suppress(PlaywrightTimeout):
            tab.get_by_role("option", name=option, exact=True).click(timeout=3000)
            break
    else:
        raise PlaywrightTimeout(f"option {option!r} of {label!r} never showed")
    settled(tab, rerun=True)


def set_slider(tab, label: str, value: float) -> None:
    """Move a slider with the keyboard, one step and one rerun at a time, until it shows `value`.

    A step pressed while a rerun is under way can be undone when that run redraws the slider,
    so each step waits for its rerun and the value is read again.
    """
    thumb = tab.get_by_role("slider", name=label)
    for _ in range(100):
        now = float(thumb.get_attribute("aria-valuetext"))  # the value shown, also for option sliders
        if abs(now - value) < 1e-9:
            return
        thumb.press("ArrowRight" if now < value else "ArrowLeft")
        settled(tab, rerun=True)
    raise AssertionError(f"slider {label!r} never reached {value}")


def set_widget(tab, label: str, value: float | str) -> None:
    """Set a sidebar setting by its label: a select box (text) or a number box."""
    if isinstance(value, str):
        choose(tab, label, value)
    else:
        set_number(tab, label, value)


def train(tab) -> None:
    """Press Train on the Train page and wait for both models' results."""
    tab.get_by_role("button", name="Train both models").click()
    tab.get_by_text("Trained: results below").wait_for()
    settled(tab)
    tab.locator('[data-testid="stMetricValue"]').nth(7).wait_for()  # both models' four scores


def phone(browser):
    """A new browser session the size of a phone (390 x 844), as touch devices report themselves."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    tab = context.new_page()
    tab.set_default_timeout(120_000)
    return tab


@contextmanager
def figures_in_chromium(figures: Mapping[str, Any], width: int, folder: Path) -> Iterator[dict]:
    """`figures` drawn by Plotly in headless Chromium, each `width` px wide: a locator per name."""
    ids = {name: name.replace(" ", "-") for name in figures}
    divs = "".join(
        pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=False,
            div_id=ids[name],
            default_width=f"{width}px",
            default_height=f"{figure.layout.height or 450}px",
            config={"displaylogo": False, "displayModeBar": "hover"},  # as the app shows them
        )
        for name, figure in figures.items()
    )
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    html = folder / "figures.html"
    html.write_text(
        f"<html><head><script src='{plotly_js.as_uri()}'></script></head><body>{divs}</body></html>"
    )
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            tab = browser.new_page(viewport={"width": width + 20, "height": 900})
            tab.goto(html.as_uri())
            tab.wait_for_function(f"() => document.querySelectorAll('.gtitle').length === {len(figures)}")
            yield {name: tab.locator(f"#{ids[name]}") for name in figures}
        finally:
            browser.close()


def box(locator) -> tuple[float, float, float, float]:
    found = locator.bounding_box()
    return found["x"], found["y"], found["x"] + found["width"], found["y"] + found["height"]


def overlap(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def outline(locator) -> list[tuple[float, float]]:
    """The corners of an SVG element's own box on the page, turned as it is drawn (a tilted label's
    bounding box would take in the space beside it)."""
    return [
        tuple(corner)
        for corner in locator.evaluate(
            """element => {
                const b = element.getBBox(), m = element.getScreenCTM();
                const right = b.x + b.width, bottom = b.y + b.height;
                return [[b.x, b.y], [right, b.y], [right, bottom], [b.x, bottom]]
                    .map(([x, y]) => [m.a * x + m.c * y + m.e, m.b * x + m.d * y + m.f]);
            }"""
        )
    ]


def outlines_overlap(a, b) -> bool:
    """Whether two outlines (convex, as `outline` gives them) overlap: no edge of either separates them."""
    for corners in (a, b):
        for (x0, y0), (x1, y1) in zip(corners, corners[1:] + corners[:1], strict=True):
            normal = (y0 - y1, x1 - x0)
            ends = [[normal[0] * x + normal[1] * y for x, y in outline] for outline in (a, b)]
            if max(ends[0]) <= min(ends[1]) or max(ends[1]) <= min(ends[0]):
                return False
    return True


def assert_title_clear(plot, name: str, with_note: bool) -> None:
    """A drawn figure's title (and its note) inside it, clear of the toolbar, the plot area and the legend."""
    plot.hover()  # the toolbar shows
    whole, toolbar = box(plot), box(plot.locator(".modebar"))
    titles = [box(plot.locator(".gtitle"))] + ([box(plot.locator(".gtitle-subtitle"))] if with_note else [])
    areas = [box(area) for area in plot.locator(".nsewdrag").all()]
    legend = [box(plot.locator(".legend"))] if plot.locator(".legend").count() else []
    for title in titles:
        assert whole[0] <= title[0] and title[2] <= whole[2] and whole[1] <= title[1], name  # not cut
        assert not overlap(title, toolbar), name
        assert not any(overlap(title, other) for other in areas + legend), name
    assert not any(overlap(legend[0], area) for area in areas if legend), name
