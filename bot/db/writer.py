"""The one writer: every write goes through it, drained from a queue into batched transactions.

A single writer keeps transactions apart and turns a burst of thousands of votes into a few commits,
on either backend. It runs in a thread of its own, with its own event loop and its own connection:
during a gateway burst the bot's loop is busy for hundreds of milliseconds at a time, and a writer on
that loop could send one batch per busy stretch, so most votes waited until the burst was over
(bench/gateway_burst.py). On its own loop it writes while the burst goes on, on the other core.

If the database cannot be reached (a PostgreSQL restart, a network cut), nothing queued is dropped:
the writer keeps its queue, reconnects with back-off and writes it all once the database is back;
past MAX_QUEUED waiting votes it says so in the log and keeps the newest.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

from bot.db.backend import Backend, Step

log = logging.getLogger(__name__)

MAX_BATCH = 10_000  # writes per transaction at most
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
class _Flush:
    """A mark in the queue: its future resolves once everything queued before it is committed."""

    future: asyncio.Future[None]


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
# path — a Write, or a flush mark.
Item = tuple[Any, ...] | Write | _Flush


def _settle(future: asyncio.Future[Any], result: Any = None, exc: BaseException | None = None) -> None:
    """Resolve a caller's future on the caller's loop (the writer runs on another thread)."""

    def settle() -> None:
        if future.done():
            return
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(result)

    with contextlib.suppress(RuntimeError):  # the caller's loop is closed: nobody waits any more
        future.get_loop().call_soon_threadsafe(settle)


class Writer:
    """The only code that writes. Drains its queue into one transaction per batch, in order.

    Consecutive writes of the same statement run as one `executemany`; a run of votes as the backend's
    one batched statement. If a batch fails for a reason of its own, its writes are retried one by one
    so a single bad write is logged and dropped without losing the rest. Queuing is a deque append:
    at thousands of votes a second an asyncio.Queue's bookkeeping was most of the Python time (see
    bench/votes_ingest.py). The queue is the only state both threads touch.
    """

    def __init__(self, backend: Backend, *, max_batch: int = MAX_BATCH, max_queued: int = MAX_QUEUED) -> None:
        self._backend = backend
        self._items: deque[Item] = deque()
        self._lock = threading.Lock()
        self._inflight: list[Item] = []  # the batch being written, kept until it is (writer thread)
        self._max_batch = max_batch
        self._max_queued = max_queued
        self._loop: asyncio.AbstractEventLoop | None = None  # the writer's own loop
        self._wake = asyncio.Event()  # waited on the writer's loop, set through it
        self._thread: threading.Thread | None = None
        self._finished: asyncio.Future[None] | None = None  # resolved on the bot's loop at the end
        self._stopping = False
        self._accepting = False  # running and not stopping: checked once per vote, so a plain flag
        self.stats = WriterStats()
        self.reachable = True
        self.on_batch: Callable[[float], None] | None = None  # told each committed batch's seconds

    def start(self) -> None:
        """Start the writer's thread; called on the bot's loop, where its callers wait."""
        self._finished = asyncio.get_running_loop().create_future()
        self._loop = asyncio.new_event_loop()
        self._accepting = True
        self._thread = threading.Thread(target=self._thread_main, name="storage-writer", daemon=True)
        self._thread.start()

    def _thread_main(self) -> None:
        loop = self._loop
        assert loop is not None and self._finished is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._main())
        except Exception:
            log.exception("the storage writer stopped on an error; nothing more will be written")
        finally:
            self._accepting = False
            loop.close()  # from here on, a write queued too late is refused rather than left waiting
            self._abandon("the storage writer stopped")
            _settle(self._finished)

    async def _main(self) -> None:
        try:
            await self._backend.start_writing()
        except Exception as exc:
            if not self._backend.is_outage(exc):
                raise
            await self._wait_for_database(exc)
        try:
            await self._run()
        finally:
            await self._backend.stop_writing()

    def _put(self, item: Item) -> None:
        if not self._accepting:
            raise RuntimeError("the storage writer is closed")
        # No lock on this path, once per vote: a deque's append and popleft are atomic, and only the
        # writer pops. The lock guards what walks the queue (dropping, taking a batch, abandoning).
        items = self._items
        wake = not items  # otherwise the writer finds this item itself, before it waits again
        items.append(item)
        if len(items) > self._max_queued:
            with self._lock:
                self._drop_oldest_vote()
        if wake:
            self._wake_writer()

    def _wake_writer(self) -> None:
        try:
            self._loop.call_soon_threadsafe(self._wake.set)  # type: ignore[union-attr]
        except RuntimeError:
            raise RuntimeError("the storage writer is closed") from None

    def _drop_oldest_vote(self) -> None:
        """Under the lock: the queue is past its bound (a long outage)."""
        for i, item in enumerate(self._items):
            if type(item) is tuple:
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
        if not self._accepting:
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        try:
            self._put(_Flush(future))
        except RuntimeError:
            return  # closed meanwhile: nothing more will be written
        await future

    @property
    def queued(self) -> int:
        return len(self._items) + len(self._inflight)

    async def close(self) -> None:
        """Commit everything queued, then stop."""
        if self._thread is None or self._finished is None:
            return
        self._stopping = True
        self._accepting = False
        with contextlib.suppress(RuntimeError):  # it stopped by itself already
            self._wake_writer()
        await self._finished
        self._thread.join(timeout=5)
        self._thread = None

    def _take(self) -> list[Item]:
        """The next batch, out of the queue (it stays the writer's until written). Items appended
        meanwhile stay for the next batch: only as many as counted are popped."""
        with self._lock:
            items = self._items
            count = min(len(items), self._max_batch)
            popleft = items.popleft
            return [popleft() for _ in range(count)]

    async def _run(self) -> None:
        while True:
            if not self._inflight:
                self._inflight = self._take()
            if not self._inflight:
                if self._stopping:
                    return
                self._wake.clear()
                if not self._items:  # checked after clearing: a wake-up sent meanwhile is not lost
                    await self._wake.wait()
                continue
            if await self._commit(self._inflight):
                self._inflight = []
            elif self._stopping and not self.reachable:
                self._abandon("the database is unreachable")

    def _abandon(self, why: str) -> None:
        """Stopping for good: whoever waits on a queued write or a flush is told."""
        with self._lock:
            rest = self._inflight + list(self._items)
            self._items.clear()
        self._inflight = []
        votes = sum(1 for item in rest if type(item) is tuple)
        if votes or any(type(item) is Write for item in rest):
            log.error("%s: %d queued writes are lost", why, len(rest))
        for item in rest:
            if isinstance(item, _Flush):
                _settle(item.future)
            elif isinstance(item, Write) and item.future is not None:
                _settle(item.future, exc=RuntimeError(why))

    @staticmethod
    def _runs(batch: list[Item]) -> Iterable[list[Item]]:
        """Consecutive votes form one run; a Write with a future runs alone; like Writes group; flush
        marks form runs of their own. Grouping by type first keeps a batch of thousands of votes out
        of a Python-level loop."""
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

    async def _apply(self, batch: list[Item]) -> tuple[list[tuple[Write, int]], list[_Flush]]:
        """The batch as the backend's steps, run as one transaction."""
        steps: list[Step] = []
        reported: list[Write | None] = []
        flushes: list[_Flush] = []
        for run in self._runs(batch):
            head = run[0]
            if isinstance(head, _Flush):
                flushes.extend(run)  # type: ignore[arg-type]
            elif isinstance(head, tuple):
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
        counts = await self._backend.run_batch(steps) if steps else []
        done = [
            (write, count or 0) for write, count in zip(reported, counts, strict=True) if write is not None
        ]
        return done, flushes

    async def _commit(self, batch: list[Item]) -> bool:
        """Write a batch; False only when the database could not be reached (what is not written yet
        stays in `batch`)."""
        started = time.perf_counter()
        try:
            done, flushes = await self._apply(batch)
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
                    del batch[:written]
                    return False
            return True
        for write, rowcount in done:
            if write.future is not None:
                _settle(write.future, rowcount)
        for mark in flushes:
            _settle(mark.future)
        if len(flushes) == len(batch):
            return True  # only flush marks: nothing was written
        stats = self.stats
        stats.batches += 1
        stats.writes += len(batch) - len(flushes)
        stats.votes += sum(1 for item in batch if type(item) is tuple)
        stats.largest_batch = max(stats.largest_batch, len(batch))
        took = time.perf_counter() - started
        stats.durations.append(took)
        if self.on_batch is not None and self._finished is not None:
            with contextlib.suppress(RuntimeError):
                self._finished.get_loop().call_soon_threadsafe(self.on_batch, took)
        if len(stats.durations) > 2000:
            del stats.durations[:-1000]
        return True

    async def _wait_for_database(self, exc: BaseException) -> None:
        """Reconnect with back-off until the database answers again; the queue keeps growing meanwhile."""
        if self.reachable:
            self.reachable = False
            self.stats.outages += 1
            log.error(
                "the database is unreachable (%s); holding %d writes until it is back", exc, self.queued
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
            log.warning("the database is back; writing %d held writes", self.queued)
            return

    def _fail(self, item: Item, exc: Exception) -> None:
        self.stats.failed += 1
        if isinstance(item, Write) and item.future is not None:
            _settle(item.future, exc=exc)
            return
        what = item.sql.split("(")[0] if isinstance(item, Write) else "vote change"
        params = item.params if isinstance(item, Write) else item
        log.error("write failed and was dropped: %s %s", what, params, exc_info=exc)
