"""`python -m advisor` runs the same command line as `advisor`."""

import sys

from advisor.cli import main

sys.exit(main())
