"""The one package that owns the database: SQLite (the default) or PostgreSQL, behind one Storage.

Callers use Storage's named queries; nothing outside this package sends SQL or touches the writer's
internals.
"""

from bot.db.backend import Migration, StorageError, bundled_migrations
from bot.db.models import PollSchedule, PresentedMessage, ShardStatus, Suggestion, VoteChange, WeeklyPoll
from bot.db.storage import Storage
from bot.db.writer import Write

__all__ = [
    "Migration",
    "PollSchedule",
    "PresentedMessage",
    "ShardStatus",
    "Storage",
    "StorageError",
    "Suggestion",
    "VoteChange",
    "WeeklyPoll",
    "Write",
    "bundled_migrations",
]
