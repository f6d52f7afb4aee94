"""A dashboard on a network: on any address but loopback, nothing without the token.

The rule (autonn/dashboard/_auth.py), the command line that applies it, the page's gate through
AppTest, and then a real `autonn dashboard --host 0.0.0.0` reached at 127.0.0.1: a plain HTTP
client on every route Streamlit serves and on its websocket, and headless Chromium.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import autonn.dashboard as dashboard
from autonn.cli import main
from autonn.dashboard import _auth
from autonn.errors import UsageError

TOKEN = "a-token-given-by-the-user-0123456789"


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("unix:///run/autonn.sock", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),  # Streamlit's default: every address
        (None, False),
        ("192.0.2.2", False),
        ("fd00::2", False),
        ("no-such-host.invalid", False),
    ],
)
def test_which_addresses_are_loopback(host, loopback):
    assert _auth.is_loopback(host) is loopback


def own_address() -> str:
    """This machine's address on its default route (a UDP "connect" sends nothing), else a
    documentation address."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
            return s.getsockname()[0]
        except OSError:
            return "192.0.2.2"


def test_a_network_address_gets_a_new_token_loopback_none():
    first = _auth.access_for("0.0.0.0", environ={})
    second = _auth.access_for(own_address(), environ={})
    assert first.source == second.source == "generated"
    assert len(first.token) >= 43 and first.token != second.token
    assert re.fullmatch(r"[A-Za-z0-9_-]+", first.token)  # goes in a URL as is
    assert _auth.access_for("127.0.0.1", environ={}) == _auth.Access(None, "loopback")


def test_a_given_token_is_asked_for_everywhere_and_the_flag_wins_over_the_environment():
    env = {_auth.TOKEN_ENV: "from-the-environment-0123456789"}
    assert _auth.access_for("127.0.0.1", environ=env).token == env[_auth.TOKEN_ENV]
    assert _auth.access_for("0.0.0.0", token=TOKEN, environ=env) == _auth.Access(TOKEN, "--token")
    assert _auth.access_for("0.0.0.0", environ={_auth.TOKEN_ENV: ""}).source == "generated"


def test_no_auth_must_be_said_and_cannot_go_with_a_token():
    env = {_auth.TOKEN_ENV: "from-the-environment-0123456789"}
    assert _auth.access_for("0.0.0.0", no_auth=True, environ=env) == _auth.Access(None, "--no-auth")
    with pytest.raises(UsageError, match="--token and --no-auth"):
        _auth.access_for("0.0.0.0", token=TOKEN, no_auth=True, environ={})
    with pytest.raises(UsageError, match="needs a token"):
        _auth.access_for("0.0.0.0", environ={}, generate=False)


@pytest.mark.parametrize(
    "bad", ["short", "has a space in the middle of it", "tab\tin-the-token-xyz"]
)
def test_a_weak_or_odd_token_is_refused_with_how_to_make_one(bad):
    with pytest.raises(UsageError, match="at least 16 printable characters.*token_urlsafe"):
        _auth.access_for("0.0.0.0", token=bad, environ={})


def test_the_token_is_compared_as_a_whole():
    assert _auth.matches(TOKEN, TOKEN)
    assert not _auth.matches(TOKEN[:-1], TOKEN) and not _auth.matches(TOKEN + "x", TOKEN)
    assert not _auth.matches(None, TOKEN) and not _auth.matches(["x"], TOKEN)


def test_the_child_gets_the_token_or_no_auth_and_never_an_inherited_token():
    inherited = {_auth.TOKEN_ENV: "inherited-token-0123456789", "PATH": "/bin"}
    env = _auth.child_env(_auth.Access(None, "--no-auth"), inherited)
    assert _auth.TOKEN_ENV not in env and env[_auth.NO_AUTH_ENV] == "1" and env["PATH"] == "/bin"
    env = _auth.child_env(_auth.Access(TOKEN, "--token"), {_auth.NO_AUTH_ENV: "1"})
    assert env[_auth.TOKEN_ENV] == TOKEN and _auth.NO_AUTH_ENV not in env
    assert _auth.child_env(_auth.Access(None, "loopback"), inherited) == {"PATH": "/bin"}


def test_the_page_reads_the_same_rule_from_its_address():
    assert _auth.page_rule("0.0.0.0", {_auth.TOKEN_ENV: TOKEN}) == _auth.Rule(False, TOKEN)
    assert _auth.page_rule("127.0.0.1", {_auth.TOKEN_ENV: TOKEN}) == _auth.Rule(False, TOKEN)
    assert _auth.page_rule("127.0.0.1", {}) == _auth.Rule(True)
    assert _auth.page_rule("0.0.0.0", {_auth.NO_AUTH_ENV: "1"}) == _auth.Rule(True)
    assert _auth.page_rule(None, {}) == _auth.Rule(False)  # `streamlit run` by hand: every address


# --- serve and the command line ----------------------------------------------------------------


@pytest.fixture
def popen(monkeypatch):
    """subprocess.Popen replaced: what serve would have started, and with what environment."""
    seen: dict = {}

    class Proc:
        def __init__(self, cmd, env, preexec_fn):
            seen.update(cmd=cmd, env=env)

        def wait(self):
            return 0

    monkeypatch.setattr(subprocess, "Popen", Proc)
    monkeypatch.delenv(_auth.TOKEN_ENV, raising=False)
    return seen


def test_serve_passes_the_token_in_the_environment_never_in_argv(popen):
    assert dashboard.serve("sqlite:///x.db", host="0.0.0.0", token=TOKEN) == 0
    assert popen["env"][_auth.TOKEN_ENV] == TOKEN
    assert not any(TOKEN in part for part in popen["cmd"])


def test_serve_refuses_a_network_address_without_a_token(popen):
    with pytest.raises(UsageError, match="needs a token"):
        dashboard.serve("sqlite:///x.db", host="0.0.0.0")
    assert not popen  # nothing started


def test_the_cli_prints_a_new_token_in_the_address_to_open(popen, capsys):
    host = own_address()
    assert main(["dashboard", "--host", host, "--port", "8600", "--storage", "sqlite:///x.db"]) == 0
    out = capsys.readouterr().out
    token = popen["env"][_auth.TOKEN_ENV]
    assert f"http://{host}:8600/?token={token}" in out or f"[{host}]:8600/?token={token}" in out


def test_the_cli_does_not_echo_a_token_from_the_environment(popen, capsys, monkeypatch):
    monkeypatch.setenv(_auth.TOKEN_ENV, TOKEN)
    assert main(["dashboard", "--port", "8600", "--storage", "sqlite:///x.db"]) == 0
    out = capsys.readouterr().out
    assert TOKEN not in out and "?token=<the token from $AUTONN_DASHBOARD_TOKEN>" in out
    assert popen["env"][_auth.TOKEN_ENV] == TOKEN  # asked for on loopback too


def test_the_cli_warns_about_no_auth_on_a_network(popen, capsys):
    assert main(["dashboard", "--host", "0.0.0.0", "--no-auth", "--storage", "sqlite:///x.db"]) == 0
    out, err = capsys.readouterr()
    assert "warning: --no-auth on 0.0.0.0: anyone" in err and "token" not in out
    assert popen["env"][_auth.NO_AUTH_ENV] == "1" and _auth.TOKEN_ENV not in popen["env"]


def test_the_cli_refuses_a_token_with_no_auth_in_one_line(popen, capsys):
    code = main(["dashboard", "--host", "0.0.0.0", "--token", TOKEN, "--no-auth"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--token and --no-auth" in err
    assert not popen


# --- the page's gate, through AppTest -----------------------------------------------------------


def elements_text(at) -> str:
    """Every element the page drew, main area and sidebar, as its protobuf text."""
    out: list[str] = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            out.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return "\n".join(out)


@pytest.fixture
def page(made, monkeypatch):
    """Runs the page on `made`'s database as served on `address` with `env`; `reads` counts the
    page's calls that read the database."""
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    import autonn.store

    reads: list[str] = []
    real = autonn.store.list_searches

    def counted(storage):
        reads.append(storage)
        return real(storage)

    monkeypatch.setattr(autonn.store, "list_searches", counted)
    monkeypatch.setenv(dashboard.STORAGE_ENV, made.storage)
    for name in (_auth.TOKEN_ENV, _auth.NO_AUTH_ENV):
        monkeypatch.delenv(name, raising=False)

    def run(address: str | None, env: dict | None = None, token: str | None = None, app=None):
        config.set_option("server.address", address)
        for key, value in (env or {}).items():
            monkeypatch.setenv(key, value)
        at = AppTest.from_file(str(app or dashboard.APP), default_timeout=30)
        if token is not None:
            at.query_params["token"] = token
        at.run()
        assert not at.exception, at.exception[0].message if at.exception else ""
        return at

    run.reads = reads
    before = config.get_option("server.address")
    try:
        yield run
    finally:
        config.set_option("server.address", before)


def test_without_the_token_the_page_reads_and_shows_nothing(page, made):
    for token in (None, "wrong-token-0123456789", TOKEN[:-1]):
        at = page("0.0.0.0", {_auth.TOKEN_ENV: TOKEN}, token=token)
        shown = elements_text(at)
        assert "A token is required" in shown
        assert "made-" not in shown and "made.db" not in shown and made.storage not in shown
        assert not at.get("plotly_chart") and not at.tabs
        assert page.reads == []  # the database was not even opened


def test_with_the_token_the_page_shows_the_search_and_keeps_it_for_the_session(page, made):
    at = page("0.0.0.0", {_auth.TOKEN_ENV: TOKEN}, token=TOKEN)
    assert at.header[0].value.startswith("made-") and at.get("plotly_chart")
    del at.query_params["token"]  # widgets and tabs rerun the page; the session keeps the token
    at.run()
    assert at.header and at.get("plotly_chart") and len(page.reads) >= 2


def test_a_token_entered_on_the_page_opens_it_and_a_wrong_one_says_so(page):
    at = page("192.0.2.2", {_auth.TOKEN_ENV: TOKEN})
    at.text_input(key=_auth.INPUT_KEY).input("not-the-token-0123456789")
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["That is not this dashboard's token."]
    assert not at.header
    at.text_input(key=_auth.INPUT_KEY).input(TOKEN)
    at.button[0].click().run()
    assert at.header[0].value.startswith("made-")
    at.run()  # the field is gone; the session remembers
    assert at.header and page.reads


def test_a_network_address_without_a_token_shows_nothing_unless_no_auth(page):
    at = page("0.0.0.0")  # `streamlit run app.py --server.address 0.0.0.0` by hand
    shown = elements_text(at)
    assert "started without a token" in shown and "made-" not in shown and page.reads == []
    at = page("0.0.0.0", {_auth.NO_AUTH_ENV: "1"})
    assert at.header[0].value.startswith("made-")


def test_a_token_given_on_loopback_is_asked_for_there_too(page):
    at = page("127.0.0.1", {_auth.TOKEN_ENV: TOKEN})
    assert "A token is required" in elements_text(at) and page.reads == []


def test_an_export_from_a_page_without_the_token_is_refused(page, tmp_path):
    app = tmp_path / "export_page.py"
    app.write_text(
        "import streamlit as st\n"
        "from autonn.dashboard.exporting import export_zip\n"
        "try:\n"
        "    export_zip('made-full', 'sqlite:///nothing.db', trial=0)\n"
        "except Exception as exc:\n"
        "    st.write(f'{type(exc).__name__}: {exc}')\n"
    )
    at = page("0.0.0.0", {_auth.TOKEN_ENV: TOKEN}, app=app)
    assert at.markdown[0].value == "UsageError: export needs the dashboard's token"
    at = page("0.0.0.0", {_auth.TOKEN_ENV: TOKEN}, token=TOKEN, app=app)
    assert "the dashboard's token" not in at.markdown[0].value  # it went on, to the database


# --- a real server on 0.0.0.0, reached at 127.0.0.1 --------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("0.0.0.0", 0))
        return s.getsockname()[1]


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                    found.append(int(stat.parent.name))
                    todo.append(found[-1])
            except (OSError, ValueError, IndexError):
                continue
    return found


@pytest.fixture(scope="module")
def served(made, tmp_path_factory):
    """`autonn dashboard --host 0.0.0.0` on `made`'s database, with the token it printed."""
    port = free_port()
    log = tmp_path_factory.mktemp("served") / "dashboard.log"
    env = {k: v for k, v in os.environ.items() if k not in (_auth.TOKEN_ENV, _auth.NO_AUTH_ENV)}
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "autonn.cli", "dashboard", "--host", "0.0.0.0"]
            + ["--port", str(port), "--storage", made.storage],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                assert time.monotonic() < deadline, f"no answer in 90 s:\n{log.read_text()}"
                time.sleep(0.3)
        (token,) = re.findall(rf":{port}/\?token=([A-Za-z0-9_-]+)", log.read_text())
        yield url, token, proc
    finally:
        children = descendants(proc.pid)
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for pid in children:
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


def get(url: str, data: bytes | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def names_in(data: bytes) -> list[str]:
    """Search names or the database's file name found in `data`."""
    return sorted(set(re.findall(rb"made-[a-z-]+|made\.db", data)))


def stream(url: str, query: str, timeout: float = 60) -> bytes:
    """Everything the page's websocket sends a client that opens it with `query` as its address's
    query string, until the script run ends: what a browser would be given to draw."""
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ClientState_pb2 import ClientState
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from websockets.sync.client import connect

    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    received = []
    with connect(ws_url, subprotocols=["streamlit"], open_timeout=10) as ws:
        ws.send(BackMsg(rerun_script=ClientState(query_string=query)).SerializeToString())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = ws.recv(timeout=deadline - time.monotonic())
            received.append(data)
            msg = ForwardMsg()
            msg.ParseFromString(data)
            if msg.WhichOneof("type") == "script_finished":
                return b"".join(received)
    raise AssertionError(f"the script run did not finish in {timeout} s")


ROUTES = [
    "/",
    "/?token=wrong",
    "/?search=made-full",
    "/_stcore/health",
    "/_stcore/host-config",
    "/_stcore/metrics",
    "/_stcore/script-health-check",
    "/_stcore/agent/openapi.json",
    "/_stcore/agent/interact",
    "/_stcore/stream",
    "/_stcore/upload_file/x/y",
    "/media/made-full-trials.csv",
    "/app/static/made.db",
    "/component/x",
    "/made.db",
]


@pytest.mark.integration
def test_an_http_client_without_the_token_gets_no_search_data(served, made):
    url, token, proc = served
    for route in ROUTES:
        status, body = get(url + route)
        assert names_in(body) == [], (route, status)
    status, body = get(url + "/_stcore/agent/interact", data=b"{}")
    assert names_in(body) == [] and b"does not serve the agent API" in body
    for query in ("", "token=wrong", f"token={token[:-1]}", "search=made-full"):
        assert names_in(stream(url, query)) == [], query
    # The same client with the token is given the searches: the check above can fail.
    assert b"made-full" in stream(url, f"token={token}")


@pytest.mark.integration
@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_the_token_is_in_no_command_line(served):
    url, token, proc = served
    pids = [proc.pid, *descendants(proc.pid)]
    assert len(pids) >= 2  # autonn dashboard and its Streamlit server
    for pid in pids:
        assert token.encode() not in Path(f"/proc/{pid}/cmdline").read_bytes(), pid


CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing; install Debian's chromium package")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    from tests.dashboard.test_browser import CHROMIUM_ARGS

    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


def body_text(tab) -> str:
    return tab.locator("body").inner_text()


@pytest.mark.integration
@pytest.mark.browser
def test_a_browser_sees_nothing_without_the_token_and_the_search_with_it(served, browser):
    url, token, _ = served
    ARTIFACTS.mkdir(exist_ok=True)
    tab = browser.new_page(viewport={"width": 1500, "height": 1000})
    for address in (url, f"{url}/?token=wrong", f"{url}/?search=made-full"):
        tab.goto(address)
        tab.get_by_text("A token is required").wait_for(timeout=60_000)
        tab.wait_for_timeout(1000)  # anything else the server would send has arrived by now
        assert names_in(body_text(tab).encode()) == [], address
        assert names_in(tab.content().encode()) == [], address
        assert tab.get_by_role("tab").count() == 0  # no Export tab, nor any other
    tab.screenshot(path=str(ARTIFACTS / "dashboard-token-required.png"))

    tab.goto(f"{url}/?token={token}")
    tab.get_by_role("tab", name="Trials").click(timeout=60_000)
    tab.get_by_text("States").first.wait_for(timeout=30_000)  # the page goes on with the token
    assert "made-" in body_text(tab)
    assert "?token=" in tab.url  # a reload keeps working

    other = browser.new_page(viewport={"width": 1500, "height": 1000})
    other.goto(url)
    other.get_by_label("Token").fill(token)
    other.get_by_role("button", name="Open").click()
    other.get_by_role("tab", name="Export").click(timeout=60_000)
    assert "made-" in body_text(other) and "token=" not in other.url
