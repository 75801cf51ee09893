"""Demo data: a fictional brand's care team and a few hundred live-looking conversations.

Used by `socialdesk demo` (and `make demo`); everything goes through the same services and
ingest path as live traffic.
"""

from socialdesk.demo.database import demo_settings, remove_sqlite_database
from socialdesk.demo.people import ACCOUNTS, ADMIN_EMAIL, BRAND, STAFF
from socialdesk.demo.plan import DemoPlan, build_plan
from socialdesk.demo.seed import (
    DEFAULT_SEED,
    DEMO_PASSWORD,
    DemoSummary,
    seed_demo,
    workspace_has_users,
)

__all__ = [
    "ACCOUNTS",
    "ADMIN_EMAIL",
    "BRAND",
    "DEFAULT_SEED",
    "DEMO_PASSWORD",
    "STAFF",
    "DemoPlan",
    "DemoSummary",
    "build_plan",
    "demo_settings",
    "remove_sqlite_database",
    "seed_demo",
    "workspace_has_users",
]
