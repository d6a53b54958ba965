"""``python -m ptzmapd.cli``: the ``ptzmapd`` command without its installed script."""

import sys

from ptzmapd.cli import main

sys.exit(main())
