"""``python -m pasopati.cli``: the same as the ``pasopati`` command."""

import sys

from pasopati.cli import main

sys.exit(main())
