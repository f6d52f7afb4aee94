"""`streamlit run`, after starting a thread that warms the page's caches (`reads.warm`).

    python dashboard/_server.py run dashboard/app.py [streamlit options] -- --storage URL

Streamlit runs a page only when a browser opens it, so without this the first visitor waits for
the imports and the first read of the search; here they happen while the server starts.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

# Run as a file: its folder (dashboard/) must not shadow top-level modules; the package comes
# from the installed autonn, or from the checkout this file is in.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
try:
    import dashboard
except ImportError:
    sys.path.insert(0, str(HERE.parent))
    import dashboard


def main() -> None:
    page_args = sys.argv[sys.argv.index("--") + 1 :] if "--" in sys.argv else []
    storage = dashboard.storage_from(page_args, os.environ)

    def warm() -> None:
        from dashboard.reads import warm

        warm(storage)

    threading.Thread(target=warm, name="autonn-dashboard-warm", daemon=True).start()
    from streamlit.web import cli

    cli.main(prog_name="streamlit")


if __name__ == "__main__":
    main()
