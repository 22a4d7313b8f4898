"""Entry point: ``python -m etl generate | run | check`` (see etl/cli.py)."""

import sys

from etl.cli import main

if __name__ == "__main__":  # the ETL's worker processes import this module too
    sys.exit(main())
