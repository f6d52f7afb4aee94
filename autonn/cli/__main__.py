"""`python -m autonn.cli`, as the `autonn` command."""

import sys

from autonn.cli import main

sys.exit(main())
