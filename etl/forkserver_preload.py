"""Imported by the ETL's fork server only (``etl.parallel.worker_pool`` lists it in the preload):
the fork server dies with the ETL that started it (``etl.lifeline``). Nothing else imports it."""

import os

from etl.lifeline import PARENT_ENV, tie_to_parent

if os.environ.get(PARENT_ENV, "").isdigit():
    tie_to_parent(int(os.environ[PARENT_ENV]))
