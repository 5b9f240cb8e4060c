"""``python -m router`` is the ``vertex-router`` command."""

import sys

from router.cli import main

sys.exit(main())
