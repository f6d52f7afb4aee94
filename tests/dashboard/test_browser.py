"""The real thing: serve the dashboard on a real search, open it in headless Chromium, check the
Pareto chart drew its points, export a front point from the page, and keep screenshots.

Screenshots go to test-artifacts/ (git-ignored): dashboard.png (the Pareto front), one
dashboard-<tab>.png per other tab, and dashboard-export.png after the export.
"""

from __future__ import annotations

import io
import os
import re
import socket
import subprocess
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

import autonn.dashboard as dashboard
from autonn.dashboard import queries

pytestmark = [pytest.mark.browser, pytest.mark.integration]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
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
POINTS = ".js-plotly-plot .scatterlayer .point"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(digits_search, tmp_path):
    """The dashboard served by `dashboard.command` (what `autonn dashboard` runs) on a free port."""
    port = free_port()
    log = (tmp_path / "streamlit.log").open("w")
    env = {**os.environ, dashboard.STORAGE_ENV: digits_search.storage}
    proc = subprocess.Popen(
        dashboard.command(digits_search.storage, "127.0.0.1", port),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the server exited ({proc.returncode}):\n{_tail(tmp_path)}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the server did not answer in 60 s:\n{_tail(tmp_path)}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _tail(tmp_path: Path) -> str:
    return (tmp_path / "streamlit.log").read_text()[-3000:]


@pytest.fixture
def page():
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing; install Debian's chromium package (apt-get install chromium)"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1500, "height": 1200}, accept_downloads=True)
        finally:
            browser.close()


def test_the_pareto_front_renders_and_a_point_exports(server, page, digits_search, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server)
    page.wait_for_selector(POINTS, timeout=60_000)
    page.wait_for_timeout(1000)  # let plotly finish the first draw before counting
    # What plotly computed for each trace (calcdata: one entry per drawn point).
    traces = page.evaluate(
        """() => document.querySelector('.js-plotly-plot').calcdata
                 .map(cd => ({name: cd[0].trace.name || '', n: cd.length}))"""
    )
    drawn = page.evaluate(
        "() => document.querySelector('.js-plotly-plot').querySelectorAll('.scatterlayer .point')"
        ".length"
    )
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)

    complete = [t for t in digits_search.trials if t.state == "COMPLETE"]
    front = queries.staircase(queries.trials_frame(digits_search), "accuracy")
    on_line = [t["n"] for t in traces if t["name"].startswith("Pareto front")]
    # A trial far below the floor is drawn in place, past the metric axis, and as an arrow on it.
    below = sum(t["n"] for t in traces if t["name"].startswith("below the axis"))
    points = sum(
        t["n"] for t in traces if not t["name"].startswith(("Pareto front", "below the axis"))
    )
    assert points == len(complete) > 0  # every complete trial is a point
    assert on_line == [len(front)] and len(front) == len(digits_search.pareto)
    assert drawn == len(complete) + len(front) + below  # and the SVG really has them all
    assert page.get_by_text(digits_search.name).first.is_visible()
    labels = page.locator(".js-plotly-plot .xtick text").evaluate_all(  # SVG: no innerText
        "els => els.map(e => e.textContent)"
    )
    assert labels and all(re.fullmatch(r"[\d.]+ (B|KB|MB)", t) for t in labels), labels

    # Every other tab, screenshotted tall enough to hold all of it (Streamlit scrolls inside).
    page.set_viewport_size({"width": 1500, "height": 2200})
    for tab, charts in (("Progress", 3), ("Trials", 0), ("Analysis", 3), ("Compare", 0)):
        page.get_by_role("tab", name=tab).click()
        if charts:
            page.wait_for_function(
                f"document.querySelectorAll('.js-plotly-plot').length >= {charts}",
                timeout=30_000,
            )
        else:
            page.locator('[data-testid="stMainBlockContainer"]').get_by_text(
                re.compile("States|only one search|Compare with")
            ).first.wait_for(timeout=30_000)
        page.wait_for_timeout(1000)  # plotly draws after the element appears
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{tab.lower()}.png"))
    page.set_viewport_size({"width": 1500, "height": 1200})

    page.get_by_role("tab", name="Export").click()
    button = page.get_by_role("button", name=re.compile(r"^Export trial \d+"))
    button.wait_for(timeout=30_000)
    button.click()
    download = page.get_by_role("button", name=re.compile(r"^Download .*\.zip"))
    download.wait_for(timeout=240_000)
    page.screenshot(path=str(ARTIFACTS / "dashboard-export.png"), full_page=True)
    with page.expect_download(timeout=30_000) as info:
        download.click()
    data = Path(info.value.path()).read_bytes()
    names = {Path(n).name for n in zipfile.ZipFile(io.BytesIO(data)).namelist()}
    assert {"model.onnx", "model.pt2", "model_card.json", "MODEL_CARD.md"} <= names
