"""Who may see the dashboard: on any address but loopback, only a visitor with its token.

    autonn dashboard --host 0.0.0.0      # prints http://HOST:8501/?token=...  (like Jupyter's)

The rule is about the address the server listens on, not the one a visitor comes from: a server
on 0.0.0.0 asks for the token from 127.0.0.1 too (a proxy or a tunnel on the same machine would
otherwise let everyone in).

    access_for   the command line's decision: a token given (--token, $AUTONN_DASHBOARD_TOKEN),
                 a new one (secrets.token_urlsafe), none on loopback, or none by --no-auth
    child_env    how the decision reaches the Streamlit process: its environment, never its
                 argv (which `ps` shows to every user of the machine)
    gate         the page's check, before it reads the database or draws anything; a visitor
                 without the token gets one "token required" page and nothing else
    require_session   the same check where the page exports, so no export runs without it

The page applies the rule on its own too: served on a network address with neither a token nor
--no-auth (`streamlit run app.py` by hand, which listens on every address), it shows nothing.
The token is not encryption: over plain HTTP it, and every page, cross the network in clear text.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass

from autonn.errors import UsageError

TOKEN_ENV = "AUTONN_DASHBOARD_TOKEN"
NO_AUTH_ENV = "AUTONN_DASHBOARD_NO_AUTH"  # "1": --no-auth was said
QUERY = "token"  # ?token=... in the page's address
MIN_LENGTH = 16  # a short token can be guessed over the websocket; a generated one has 43
SESSION_KEY = "autonn-dashboard-token"  # the token a visitor gave, kept for the session
INPUT_KEY = "autonn-dashboard-token-input"  # the "token required" page's field
WILDCARDS = ("", "0.0.0.0", "::")  # every address


def is_loopback(host: str | None) -> bool:
    """True when a server on `host` can only be reached from this machine: a loopback address, a
    name that resolves only to loopback ("localhost"), or a Unix socket. Unset or "" means every
    address (Streamlit's default), so False; so is a name that does not resolve."""
    if not host:
        return False
    if host.startswith("unix://"):  # no network: the socket file's permissions decide
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    addresses = {info[4][0].split("%")[0] for info in found}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def new_token() -> str:
    """256 random bits, URL-safe (43 characters)."""
    return secrets.token_urlsafe(32)


def matches(given: object, token: str) -> bool:
    """Whether `given` is the token, in time that does not depend on where they differ."""
    return isinstance(given, str) and hmac.compare_digest(given.encode(), token.encode())


@dataclass(frozen=True)
class Access:
    """What `autonn dashboard` serves with: the token visitors need (None: none), and where it
    came from: "generated", "--token", "$AUTONN_DASHBOARD_TOKEN", "--no-auth" or "loopback"."""

    token: str | None
    source: str

    @property
    def no_auth(self) -> bool:
        return self.source == "--no-auth"

    def url(self, host: str, port: int) -> str:
        """The address to open: with the token when it was generated here; a token the user gave
        is not echoed (it may be in the environment to keep it out of logs)."""
        name = socket.gethostname() if host in WILDCARDS else host
        base = f"http://{f'[{name}]' if ':' in name else name}:{port}/"
        if self.token is None:
            return base
        if self.source == "generated":
            return f"{base}?{QUERY}={self.token}"
        return f"{base}?{QUERY}=<the token from {self.source}>"


def access_for(
    host: str,
    *,
    token: str | None = None,
    no_auth: bool = False,
    environ: Mapping[str, str] | None = None,
    generate: bool = True,
) -> Access:
    """Decide how a dashboard on `host` is protected.

    A token given (`token`, else $AUTONN_DASHBOARD_TOKEN) is always asked for, on loopback too.
    Otherwise a network address gets a new token (`generate`; without it, UsageError says how
    to give one), loopback none. `no_auth` turns the token off and cannot go with `token`.
    """
    environ = os.environ if environ is None else environ
    if no_auth and token is not None:
        raise UsageError("--token and --no-auth contradict each other: drop one of them")
    if no_auth:
        return Access(None, "--no-auth")
    if token is not None:
        return Access(_checked(token, "--token"), "--token")
    if environ.get(TOKEN_ENV):
        source = f"${TOKEN_ENV}"
        return Access(_checked(environ[TOKEN_ENV], source), source)
    if is_loopback(host):
        return Access(None, "loopback")
    if not generate:
        raise UsageError(
            f"a dashboard on {host or 'every address'} needs a token: pass token= "
            "(autonn.dashboard.new_token() makes one) or no_auth=True"
        )
    return Access(new_token(), "generated")


def _checked(token: str, source: str) -> str:
    if len(token) < MIN_LENGTH or any(c.isspace() or not c.isprintable() for c in token):
        raise UsageError(
            f"{source} must be at least {MIN_LENGTH} printable characters without spaces, but got "
            f"{len(token)} characters; make one with: "
            "python -c 'import secrets; print(secrets.token_urlsafe())'"
        )
    return token


def child_env(access: Access, environ: Mapping[str, str]) -> dict[str, str]:
    """The Streamlit process's environment: `environ` with the token (or --no-auth) of `access`
    and nothing else of the kind, so an inherited $AUTONN_DASHBOARD_TOKEN cannot outlive
    --no-auth."""
    env = {k: v for k, v in environ.items() if k not in (TOKEN_ENV, NO_AUTH_ENV)}
    if access.token is not None:
        env[TOKEN_ENV] = access.token
    elif access.no_auth:
        env[NO_AUTH_ENV] = "1"
    return env


# --- in the page -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """What the page asks of a visitor: nothing (open), the token, or, served on a network address
    without a token, it shows nothing at all (locked)."""

    open: bool
    token: str | None = None


def page_rule(address: str | None, environ: Mapping[str, str]) -> Rule:
    """The page's own reading of the rule, from the address Streamlit listens on
    (server.address) and the environment `child_env` made."""
    if environ.get(TOKEN_ENV):
        return Rule(open=False, token=environ[TOKEN_ENV])
    if environ.get(NO_AUTH_ENV) == "1" or is_loopback(address):
        return Rule(open=True)
    return Rule(open=False)


def _rule() -> Rule:
    import streamlit as st

    return page_rule(st.get_option("server.address"), os.environ)


def _given_token(rule: Rule) -> str | None:
    """The visitor's token, if right: from ?token= in the address, this session, or the field."""
    import streamlit as st

    state = st.session_state
    for given in (st.query_params.get(QUERY), state.get(SESSION_KEY), state.get(INPUT_KEY)):
        if rule.token is not None and matches(given, rule.token):
            return given
    return None


def gate() -> bool:
    """In the page, before anything else is read or drawn: True when this visitor may see the
    dashboard. Otherwise draws the "token required" page (no search name, no database URL) and
    returns False. A right token is kept in the session, so a visit goes on without it in the
    address (widgets, tabs, live refresh)."""
    import streamlit as st

    rule = _rule()
    if rule.open:
        return True
    given = _given_token(rule)
    if given is not None:
        st.session_state[SESSION_KEY] = given
        return True
    st.title("autonn dashboard")
    if rule.token is None:
        st.error(
            "This dashboard listens on a network address and was started without a token, so it "
            "shows nothing. Start it with `autonn dashboard --host ...`, which makes a token and "
            "prints the address to open."
        )
        return False
    st.warning(
        "A token is required. Open the address `autonn dashboard` printed when it started (it "
        "ends in `?token=...`), or enter the token here."
    )
    with st.form("token"):
        st.text_input("Token", type="password", key=INPUT_KEY)
        st.form_submit_button("Open")
    if st.session_state.get(INPUT_KEY):
        st.error("That is not this dashboard's token.")
    return False


def require_session() -> None:
    """Raise UsageError when called from a page whose visitor has not passed `gate`. Outside a
    page (a script, a test) the caller holds the database URL already, so it passes."""
    import sys

    if "streamlit" not in sys.modules:
        return
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return
    rule = _rule()
    if not rule.open and _given_token(rule) is None:
        raise UsageError("export needs the dashboard's token")
