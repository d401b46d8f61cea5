"""The rule that the bot syncs its commands only when they changed since the last sync."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any


def tree_hash(payload: Sequence[dict[str, Any]]) -> str:
    """A stable hash of the command payloads Discord would receive (order of commands ignored)."""
    ordered = sorted(payload, key=lambda c: (c.get("type", 1), c.get("name", "")))
    blob = json.dumps(ordered, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def sync_key(guild_id: int | None) -> str:
    return "synced_commands:global" if guild_id is None else f"synced_commands:guild:{guild_id}"
