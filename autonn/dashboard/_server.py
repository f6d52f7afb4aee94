"""`streamlit run`, after warming the page's caches (`reads.warm`).

    python dashboard/_server.py run dashboard/app.py [streamlit options] -- --storage URL

Streamlit runs a page only when a browser opens it, so without this the first visitor waits for
the imports and the first read of the search. Here they happen before the server listens: the
port opens a second or two later, and the first visitor finds everything read. Not in a thread
beside the server: a visitor arriving meanwhile would import and open the database at the same
time as the thread (concurrent imports of one package can fail, and two threads would each set up
Optuna's storage).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Run as a file: its folder (dashboard/) must not shadow top-level modules; the package comes
# from the installed autonn, or from the checkout this file is in.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
try:
    import autonn.dashboard as dashboard
except ImportError:
    sys.path.insert(0, str(HERE.parents[1]))
    import autonn.dashboard as dashboard


def main() -> None:
    page_args = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
    from autonn.dashboard.reads import warm

    warm(dashboard.storage_from(page_args, os.environ))
    from streamlit.web import cli

    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
