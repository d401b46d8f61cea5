"""The one writer: every write goes through it, drained from a queue into batched transactions.

A single writer keeps transactions apart and turns a burst of thousands of votes into a few commits,
on either backend. If the database cannot be reached (a PostgreSQL restart, a network cut), nothing
queued is dropped: the writer keeps its queue, reconnects with back-off and writes it all once the
database is back; past MAX_QUEUED waiting votes it says so in the log and keeps the newest.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby, islice
from typing import Any

from bot.db.backend import Backend, Step

log = logging.getLogger(__name__)

MAX_BATCH = 2000  # writes per transaction at most
MAX_QUEUED = 1_000_000  # vote changes held while the database is unreachable
RECONNECT_DELAYS = (0.5, 1, 2, 5, 10)  # seconds between attempts to reach the database again


@dataclass(slots=True)
class Write:
    """One statement and its parameters. With a future, it runs alone and reports its rowcount.

    A write with `script` runs those statements in order instead (all in the batch's transaction),
    and reports the rowcount of the first.
    """

    sql: str
    params: tuple[Any, ...]
    future: asyncio.Future[int] | None = None
    script: tuple[tuple[str, tuple[Any, ...]], ...] = ()


@dataclass(slots=True)
class WriterStats:
    batches: int = 0
    writes: int = 0
    failed: int = 0
    largest_batch: int = 0
    outages: int = 0
    dropped: int = 0
    votes: int = 0  # vote changes committed
    durations: list[float] = field(default_factory=list)


# A queued item: a vote change as bare parameters (op, message_id, user_id, source, at) — the hot
# path — or a Write.
Item = tuple[Any, ...] | Write


class Writer:
    """The only code that writes. Drains its queue into one transaction per batch, in order.

    Consecutive writes of the same statement run as one `executemany`; a run of votes as the backend's
    one batched statement. If a batch fails for a reason of its own, its writes are retried one by one
    so a single bad write is logged and dropped without losing the rest. The queue is a deque and an
    event rather than an asyncio.Queue: at thousands of votes a second the queue's own bookkeeping was
    most of the Python time (see bench/votes_ingest.py).
    """

    def __init__(self, backend: Backend, *, max_batch: int = MAX_BATCH, max_queued: int = MAX_QUEUED) -> None:
        self._backend = backend
        self._items: deque[Item] = deque()
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._stopping = False
        self._max_batch = max_batch
        self._max_queued = max_queued
        self._task: asyncio.Task[None] | None = None
        self._accepting = False  # running and not stopping: checked once per vote, so a plain flag
        self.stats = WriterStats()
        self.reachable = True
        self.on_batch: Callable[[float], None] | None = None  # told each committed batch's seconds

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="storage-writer")
        self._accepting = True
        self._task.add_done_callback(self._stopped)

    def _stopped(self, _task: asyncio.Task[None]) -> None:
        self._accepting = False

    def _put(self, item: Item) -> None:
        if not self._accepting:
            raise RuntimeError("the storage writer is closed")
        items = self._items
        if not items:  # the writer may be waiting: wake it (otherwise it finds this item itself)
            self._idle.clear()
            self._wake.set()
        items.append(item)
        if len(items) > self._max_queued:
            self._drop_oldest_vote()

    def _drop_oldest_vote(self) -> None:
        for i, item in enumerate(self._items):
            if isinstance(item, tuple):
                del self._items[i]
                self.stats.dropped += 1
                if self.stats.dropped == 1 or self.stats.dropped % 10_000 == 0:
                    log.error(
                        "the database has been unreachable long enough that %d vote changes are waiting; "
                        "dropping the oldest (%d so far) — catch-up will repair them once it is back",
                        self._max_queued,
                        self.stats.dropped,
                    )
                return

    def submit(self, write: Write) -> None:
        """Queue a write without waiting. It commits within one batch's time."""
        self._put(write)

    def submit_vote(self, params: tuple[Any, ...]) -> None:
        """Queue one vote change (op, message_id, user_id, source, at) without waiting."""
        self._put(params)

    async def execute(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        """Queue a write and wait until it is committed; returns the rows it changed."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.submit(Write(sql, params, future))
        return await future

    async def transaction(self, statements: Sequence[tuple[str, tuple[Any, ...]]]) -> int:
        """Several statements that must land together; waits for the commit."""
        future: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.submit(Write("", (), future, tuple(statements)))
        return await future

    async def flush(self) -> None:
        """Wait until everything queued so far is committed."""
        if self._task is None or self._task.done():
            return
        await self._idle.wait()

    @property
    def queued(self) -> int:
        return len(self._items)

    async def close(self) -> None:
        """Commit everything queued, then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._accepting = False
        self._wake.set()
        await self._task
        self._task = None

    async def _run(self) -> None:
        items = self._items
        while True:
            if not items:
                self._idle.set()
                if self._stopping:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            count = min(len(items), self._max_batch)
            batch = list(islice(items, count))  # left in the queue until written: an outage keeps them
            if await self._commit(batch):
                for _ in range(count):
                    items.popleft()
            elif self._stopping and not self.reachable:
                log.error("stopping with the database unreachable: %d queued writes are lost", len(items))
                for item in items:
                    if isinstance(item, Write) and item.future is not None and not item.future.done():
                        item.future.set_exception(RuntimeError("the database is unreachable"))
                items.clear()

    @staticmethod
    def _runs(batch: list[Item]) -> Iterable[list[Item]]:
        """Consecutive votes form one run; a Write with a future runs alone; like Writes group.
        Grouping by type first keeps a batch of thousands of votes out of a Python-level loop."""
        for kind, group in groupby(batch, key=type):
            if kind is not Write:
                yield list(group)
                continue
            run: list[Write] = []
            for item in group:
                assert isinstance(item, Write)
                if run and (item.future is not None or run[0].future is not None or item.sql != run[0].sql):
                    yield list(run)
                    run = []
                run.append(item)
            if run:
                yield list(run)

    async def _apply(self, batch: list[Item]) -> list[tuple[Write, int]]:
        """The batch as the backend's steps, run as one transaction."""
        steps: list[Step] = []
        reported: list[Write | None] = []
        for run in self._runs(batch):
            head = run[0]
            if isinstance(head, tuple):
                steps.append(("votes", run))
                reported.append(None)
            elif head.script:
                steps.append(("script", head.script))
                reported.append(head)
            elif head.future is not None:
                steps.append(("one", head.sql, head.params))
                reported.append(head)
            else:
                steps.append(("many", head.sql, [w.params for w in run]))  # type: ignore[union-attr]
                reported.append(None)
        counts = await self._backend.run_batch(steps)
        return [
            (write, count or 0) for write, count in zip(reported, counts, strict=True) if write is not None
        ]

    async def _commit(self, batch: list[Item]) -> bool:
        """Write a batch; False only when the database could not be reached (the batch stays queued)."""
        started = time.perf_counter()
        try:
            done = await self._apply(batch)
        except Exception as exc:
            if self._backend.is_outage(exc):
                await self._wait_for_database(exc)
                return False
            if len(batch) == 1:
                self._fail(batch[0], exc)
                return True
            log.warning("a batch of %d writes failed; retrying them one by one", len(batch))
            for written, item in enumerate(batch):
                if not await self._commit([item]):
                    # The database went away half-way: what was written is written; retry the rest.
                    for _ in range(written):
                        self._items.popleft()
                    return False
            return True
        for write, rowcount in done:
            if write.future is not None and not write.future.done():
                write.future.set_result(rowcount)
        stats = self.stats
        stats.batches += 1
        stats.writes += len(batch)
        stats.votes += sum(1 for item in batch if type(item) is tuple)
        stats.largest_batch = max(stats.largest_batch, len(batch))
        took = time.perf_counter() - started
        stats.durations.append(took)
        if self.on_batch is not None:
            self.on_batch(took)
        if len(stats.durations) > 2000:
            del stats.durations[:-1000]
        return True

    async def _wait_for_database(self, exc: BaseException) -> None:
        """Reconnect with back-off until the database answers again; the queue keeps growing meanwhile."""
        if self.reachable:
            self.reachable = False
            self.stats.outages += 1
            log.error(
                "the database is unreachable (%s); holding %d writes until it is back", exc, len(self._items)
            )
        for attempt in range(len(RECONNECT_DELAYS)):
            await asyncio.sleep(RECONNECT_DELAYS[attempt])
            try:
                await self._backend.reconnect()
            except Exception as again:
                if not self._backend.is_outage(again):
                    raise
                if self._stopping and attempt >= 2:
                    return
                continue
            self.reachable = True
            log.warning("the database is back; writing %d held writes", len(self._items))
            return

    def _fail(self, item: Item, exc: Exception) -> None:
        self.stats.failed += 1
        if isinstance(item, Write) and item.future is not None:
            if not item.future.done():
                item.future.set_exception(exc)
            return
        what = item.sql.split("(")[0] if isinstance(item, Write) else "vote change"
        params = item.params if isinstance(item, Write) else item
        log.error("write failed and was dropped: %s %s", what, params, exc_info=exc)
