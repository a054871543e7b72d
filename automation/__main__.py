"""`python -m automation ...`: see `automation.cli`."""

import sys

from automation.cli import main

sys.exit(main())
