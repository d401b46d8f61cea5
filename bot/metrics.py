"""Prometheus metrics and the health endpoint, served on METRICS_PORT (off by default).

The core keeps plain counts where the work happens (the ballot's vote changes and catch-up runs, the
writer's stats, the weekly service's events, the shards' states); a collector reads them at each
scrape, so nothing in the hot paths knows about Prometheus. Only interactions and writer batches are
observed as they happen, because a latency histogram needs every observation. Each bot has its own
registry: a test can run several bots in one process.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.health import check_process

if TYPE_CHECKING:
    from bot.client import Tearjerker

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)


class Metrics:
    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot
        self.registry = CollectorRegistry()
        self.interactions = Counter(
            "tearjerker_interactions",
            "Slash commands answered, by command and outcome (ok, refused: the member was told why, error)",
            ["command", "outcome"],
            registry=self.registry,
        )
        self.interaction_seconds = Histogram(
            "tearjerker_interaction_seconds",
            "Time from a slash command reaching the bot to its answer being done",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_seconds = Histogram(
            "tearjerker_writer_batch_seconds",
            "Time to commit one batch of writes",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.registry.register(_BotCollector(bot))
        bot.storage.observe_batches(self.batch_seconds.observe)
        self._runner: web.AppRunner | None = None

    def command_done(self, command: str, outcome: str, started: float | None) -> None:
        self.interactions.labels(command, outcome).inc()
        if started is not None:
            self.interaction_seconds.labels(command).observe(time.perf_counter() - started)

    def render(self) -> bytes:
        return generate_latest(self.registry)

    async def serve(self, host: str, port: int) -> None:
        """/metrics and /health on host:port (127.0.0.1 unless the operator chose otherwise)."""
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/health", self._health)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        log.info("metrics on http://%s:%d/metrics, health on /health", host, port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(body=self.render(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _health(self, _request: web.Request) -> web.Response:
        report = await check_process(self.bot)
        text = json.dumps(report.as_dict())
        for secret in self.bot.settings.secrets:  # a driver's error could quote what it was given
            text = text.replace(secret, "[redacted]")
        return web.Response(text=text, status=200 if report.ok else 503, content_type="application/json")


class _BotCollector(Collector):
    """Everything read from the bot's own counts at scrape time."""

    def __init__(self, bot: Tearjerker) -> None:
        self.bot = bot

    def collect(self) -> Iterator[Metric]:
        bot = self.bot
        received = CounterMetricFamily(
            "tearjerker_vote_changes_received",
            "Vote changes that reached the bot, by kind",
            labels=["change"],
        )
        for change, n in sorted(bot.ballot.received.items()):
            received.add_metric([change], n)
        yield received
        stats = bot.storage.write_stats
        yield CounterMetricFamily(
            "tearjerker_vote_changes_written", "Vote changes committed", value=stats.votes
        )
        yield GaugeMetricFamily(
            "tearjerker_writer_queue_depth",
            "Writes waiting for the database",
            value=bot.storage.writes_queued,
        )
        errors = CounterMetricFamily(
            "tearjerker_database_errors",
            "Database trouble: writes that failed and were dropped, outages, vote changes dropped while the"
            " database was unreachable too long",
            labels=["kind"],
        )
        errors.add_metric(["write_failed"], stats.failed)
        errors.add_metric(["outage"], stats.outages)
        errors.add_metric(["vote_dropped"], stats.dropped)
        yield errors
        yield from self._catch_up()
        polls = CounterMetricFamily(
            "tearjerker_weekly_polls", "Weekly polls, by what happened", labels=["event"]
        )
        for event in ("posted", "failed", "recovered"):
            polls.add_metric([event], bot.weekly.events[event])
        yield polls
        yield from self._shards()

    def _catch_up(self) -> Iterator[Metric]:
        families = {
            "running": GaugeMetricFamily(
                "tearjerker_catchup_running", "1 while a shard's catch-up runs", labels=["shard"]
            ),
            "checked": GaugeMetricFamily(
                "tearjerker_catchup_checked", "Picks and polls checked by the shard's latest catch-up", labels=["shard"]
            ),
            "total": GaugeMetricFamily(
                "tearjerker_catchup_to_check", "Picks and polls the shard's latest catch-up has to check", labels=["shard"]
            ),
            "changed": GaugeMetricFamily(
                "tearjerker_catchup_changed", "Picks and polls whose votes the latest catch-up changed", labels=["shard"]
            ),
            "requests": GaugeMetricFamily(
                "tearjerker_catchup_requests", "Requests to Discord made by the latest catch-up", labels=["shard"]
            ),
        }  # fmt: skip
        ballot = self.bot.ballot
        for shard_id, run in sorted(ballot.runs.items()):
            label = [str(shard_id)]
            families["running"].add_metric(label, int(ballot.catching_up(shard_id)))
            families["checked"].add_metric(label, run.checked)
            families["total"].add_metric(label, run.picks + run.polls)
            families["changed"].add_metric(label, run.changed)
            families["requests"].add_metric(label, run.requests)
        yield from families.values()

    def _shards(self) -> Iterator[Metric]:
        bot = self.bot
        latency = GaugeMetricFamily(
            "tearjerker_gateway_latency_seconds", "Heartbeat latency to Discord's gateway", labels=["shard"]
        )
        for shard_id, seconds in bot.latencies:
            if seconds == seconds and seconds != float("inf"):  # NaN or inf until the first heartbeat
                latency.add_metric([str(shard_id)], seconds)
        yield latency
        connected = GaugeMetricFamily(
            "tearjerker_shard_connected", "1 while the shard is connected", labels=["shard"]
        )
        reconnects = CounterMetricFamily(
            "tearjerker_gateway_reconnects",
            "Resumed and re-identified sessions after the first",
            labels=["shard"],
        )
        for shard_id, state in sorted(bot.shard_states.states.items()):
            connected.add_metric([str(shard_id)], int(state.connected))
            reconnects.add_metric([str(shard_id)], state.reconnects)
        yield connected
        yield reconnects
        guilds = GaugeMetricFamily("tearjerker_guilds", "Servers the bot is in, per shard", labels=["shard"])
        counts: dict[int, int] = dict.fromkeys(bot.shards, 0)
        for guild in bot.guilds:
            counts[guild.shard_id] = counts.get(guild.shard_id, 0) + 1
        for shard_id, n in sorted(counts.items()):
            guilds.add_metric([str(shard_id)], n)
        yield guilds
