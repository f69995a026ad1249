"""The visit store: SQLite (embedded default, WAL) or PostgreSQL (a chain's collector).

Only timings, counter ids and anonymous track ids are stored; never images or face
data. See docs/reports.md for the schema and retention.
"""

from frontdesk.store.backend import StoreError, is_postgres_url
from frontdesk.store.schema import SCHEMA_VERSION
from frontdesk.store.visits import LongWait, UnattendedPeriod, VisitColumns, VisitStore

__all__ = ["VisitStore", "StoreError", "SCHEMA_VERSION", "VisitColumns", "LongWait",
           "UnattendedPeriod", "is_postgres_url"]
