"""``python -m chain.cli``: the ``ledger`` command."""

import sys

from chain.cli import main

sys.exit(main())
