"""Entry point: ``python -m etl generate | run | check`` (see etl/cli.py)."""

import sys

from etl.cli import main

sys.exit(main())
