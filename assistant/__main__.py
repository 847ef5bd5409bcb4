"""``python -m assistant …`` is ``policyqa …``."""

import sys

from .interfaces.cli import main

sys.exit(main())
