"""`python -m wsss_engine ...`: see wsss_engine.cli."""

import sys

from wsss_engine.cli import main

sys.exit(main())
