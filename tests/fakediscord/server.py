"""A fake Discord on 127.0.0.1: REST under /api/v10 and a JSON gateway (v10, zlib-stream), plus a
driver API that plays members and admins.

The real discord.py client talks to it over HTTP and WebSocket exactly as it talks to Discord;
`patched_discord()` only swaps the two class attributes where discord.py keeps its URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
import zlib
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import discord
import yarl
from aiohttp import WSMsgType, web

from tests.fakediscord import limits
from tests.fakediscord.model import (
    Channel,
    Guild,
    Member,
    Message,
    Overwrite,
    P,
    Reaction,
    Role,
    User,
    snowflake,
)

log = logging.getLogger("fakediscord")

ACK_DEADLINE = 3.0  # seconds Discord allows for the first response to an interaction
DEFAULT_TIMEOUT = 5.0  # every driver wait is bounded

# Gateway intents (discord.Intents flag values) an event needs before it is sent to a session.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_MESSAGE_REACTIONS = 1 << 10
INTENT_GUILD_MESSAGE_POLLS = 1 << 24
EVENT_INTENTS = {
    "GUILD_CREATE": INTENT_GUILDS,
    "GUILD_DELETE": INTENT_GUILDS,
    "CHANNEL_CREATE": INTENT_GUILDS,
    "CHANNEL_DELETE": INTENT_GUILDS,
    "THREAD_DELETE": INTENT_GUILDS,
    "MESSAGE_CREATE": INTENT_GUILD_MESSAGES,
    "MESSAGE_UPDATE": INTENT_GUILD_MESSAGES,
    "MESSAGE_DELETE": INTENT_GUILD_MESSAGES,
    "MESSAGE_DELETE_BULK": INTENT_GUILD_MESSAGES,
    "MESSAGE_REACTION_ADD": INTENT_GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE": INTENT_GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE_ALL": INTENT_GUILD_MESSAGE_REACTIONS,
    "MESSAGE_REACTION_REMOVE_EMOJI": INTENT_GUILD_MESSAGE_REACTIONS,
    "MESSAGE_POLL_VOTE_ADD": INTENT_GUILD_MESSAGE_POLLS,
    "MESSAGE_POLL_VOTE_REMOVE": INTENT_GUILD_MESSAGE_POLLS,
}
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content

OPTION_TYPES = {3: str, 4: int, 5: bool, 7: str, 10: (int, float)}


def jresp(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """Discord answers `Content-Type: application/json` exactly; discord.py parses nothing else as JSON."""
    return web.Response(
        body=json.dumps(data, ensure_ascii=False).encode(),
        status=status,
        headers={**(headers or {}), "Content-Type": "application/json"},
    )


class DiscordError(Exception):
    """Raised inside a handler: becomes Discord's JSON error body with the given status."""

    def __init__(self, status: int, code: int, message: str, detail: list[str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.detail = status, code, message, detail or []

    def response(self) -> web.Response:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.detail:
            body["errors"] = {"_errors": [{"code": "INVALID", "message": d} for d in self.detail]}
        return jresp(body, status=self.status)


def missing_permissions() -> DiscordError:
    return DiscordError(403, 50013, "Missing Permissions")


@dataclass
class Injection:
    """A canned failure for the next `times` requests matching method and path pattern."""

    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    retry_after: float
    # A hang instead of an answer, until this is set: the request took effect first (`served`, as when
    # Discord's answer is lost) or never reaches Discord and then fails with `status`.
    hold: asyncio.Event | None = None
    served: bool = False


@dataclass
class InteractionRecord:
    """One interaction the driver sent, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    guild: Guild
    channel: Channel
    member: Member
    data: dict[str, Any]
    message: Message | None = None  # the message a component sits on
    created: float = field(default_factory=time.monotonic)
    acknowledged_at: float | None = None  # time.monotonic() when the first response arrived
    response_type: int | None = None
    response: Message | None = None  # the original response message, once there is one
    followups: list[Message] = field(default_factory=list)
    choices: list[dict[str, Any]] | None = None
    deferred_ephemeral: bool = False
    acknowledged: asyncio.Event = field(default_factory=asyncio.Event)
    settled: asyncio.Event = field(default_factory=asyncio.Event)  # acknowledged, or the callback refused
    refusals: list[str] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)  # a visible message exists
    in_dm: bool = False  # sent from a direct message with the bot, not from a server
    modal: dict[str, Any] | None = None  # the form the bot opened in answer (response type 9)

    @property
    def ephemeral(self) -> bool:
        return self.response is not None and self.response.ephemeral

    async def wait_answer(self, timeout: float = DEFAULT_TIMEOUT) -> Message:
        """The first message the member sees: the response, or the edit/follow-up after a defer."""
        await asyncio.wait_for(self.answered.wait(), timeout)
        if self.response is not None and (self.response.content or self.response.embeds):
            return self.response
        return self.followups[0] if self.followups else self.response  # type: ignore[return-value]


def _encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


class GatewaySession:
    def __init__(self, fake: FakeDiscord, shard: tuple[int, int], intents: int) -> None:
        self.fake = fake
        self.id = secrets.token_hex(16)
        self.shard = shard
        self.intents = intents
        self.seq = 0
        # (seq, JSON text) of what was dispatched, for RESUME: kept as text, which the garbage
        # collector never walks (a burst's 20,000 payload dicts were most of a full collection).
        self.buffer: deque[tuple[int, str]] = deque(maxlen=50_000)
        self.ws: web.WebSocketResponse | None = None
        self.compressor: Any = None
        self.identified = asyncio.Event()
        self.invalid = False
        self.sent_events = 0

    def covers(self, guild_id: int | None) -> bool:
        return guild_id is None or (guild_id >> 22) % self.shard[1] == self.shard[0]

    async def send_text(self, text: str) -> None:
        if self.ws is None or self.ws.closed:
            return
        try:
            if self.compressor is not None:
                data = self.compressor.compress(text.encode()) + self.compressor.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)
        except (ConnectionResetError, RuntimeError):
            log.info("session %s: send on a closing socket dropped", self.id)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        self.seq += 1
        text = _encode({"op": 0, "t": event, "s": self.seq, "d": data})
        self.buffer.append((self.seq, text))
        self.sent_events += 1
        await self.send_text(text)


class FakeDiscord:
    def __init__(self, *, shard_count: int = 1, heartbeat_ms: int = 41250) -> None:
        self.token = "MTAwMDAwMDAwMDAwMDAwMDAw.GfakeX.fake-token-for-tests_only"
        self.bot_user = User(snowflake(), "Tearjerker", bot=True)
        self.application_id = self.bot_user.id
        self.shard_count = shard_count
        self.heartbeat_ms = heartbeat_ms
        self.ack_deadline = ACK_DEADLINE
        self.compressions: list[str | None] = []
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.global_commands: dict[str, dict[str, Any]] = {}
        self.guild_commands: dict[int, dict[str, dict[str, Any]]] = {}
        self.command_syncs: list[tuple[int | None, list[dict[str, Any]]]] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.sessions: dict[str, GatewaySession] = {}
        self.identifies: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str]] = []
        self.request_queries: list[tuple[str, dict[str, str]]] = []  # beside `requests`: path, query
        self.unknown_routes: list[str] = []
        self.violations: list[str] = []
        self.injections: list[Injection] = []
        self.held: list[tuple[str, str]] = []
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._changed = asyncio.Condition()

    # --- lifecycle ---------------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._middleware], client_max_size=8 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        self._add_routes(app)
        app.router.add_route("*", "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        for injection in self.injections:
            if injection.hold is not None:
                injection.hold.set()
        for session in self.sessions.values():
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=1001)
        if self._runner is not None:
            await self._runner.cleanup()

    @contextlib.contextmanager
    def patched_discord(self) -> Iterator[None]:
        """Point discord.py at this fake by its two URL class attributes, and restore them after."""
        old_base = discord.http.Route.BASE
        old_gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        discord.http.Route.BASE = self.api_base  # type: ignore[misc]
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)
        try:
            yield
        finally:
            discord.http.Route.BASE = old_base  # type: ignore[misc]
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = old_gateway

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(
        self, predicate: Callable[[], Any], timeout: float = DEFAULT_TIMEOUT, what: str = ""
    ) -> Any:
        """Wait until `predicate()` is truthy; fails the test after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))

    # --- building the world (driver) ----------------------------------------------------------

    def create_user(self, name: str, *, bot: bool = False) -> User:
        user = User(snowflake(), name, bot=bot, global_name=name.title())
        self.users[user.id] = user
        return user

    def create_guild(
        self,
        name: str = "Tissue Box",
        *,
        bot_permissions: int | None = None,
        locale: str = "en-US",
        guild_id: int | None = None,
    ) -> Guild:
        owner = self.create_user(f"{name.lower().replace(' ', '')}-owner")
        gid = guild_id or snowflake()
        guild = Guild(gid, name, owner.id, preferred_locale=locale)
        guild.roles[gid] = Role(gid, "@everyone", P.EVERYONE_DEFAULT, position=0)
        guild.members[owner.id] = Member(owner, gid)
        bot_role = Role(
            snowflake(), "Tearjerker", P.EVERYONE_DEFAULT if bot_permissions is None else bot_permissions
        )
        if bot_permissions is not None:
            # The bot gets exactly these: @everyone's grants are not added on top.
            guild.roles[gid].permissions &= bot_permissions
        guild.roles[bot_role.id] = bot_role
        guild.members[self.bot_user.id] = Member(self.bot_user, gid, roles=[bot_role.id])
        self.guilds[gid] = guild
        self.create_channel(guild, "general")
        return guild

    def create_channel(
        self, guild: Guild, name: str, *, overwrites: list[Overwrite] | None = None
    ) -> Channel:
        channel = Channel(
            snowflake(), guild.id, name, position=len(guild.channels), overwrites=overwrites or []
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    def create_role(self, guild: Guild, name: str, permissions: int) -> Role:
        role = Role(snowflake(), name, permissions, position=len(guild.roles))
        guild.roles[role.id] = role
        return role

    def add_member(self, guild: Guild, user: User) -> Member:
        """An existing account joins another server: the same user, a member of both."""
        member = Member(user, guild.id)
        guild.members[user.id] = member
        return member

    def create_member(
        self,
        guild: Guild,
        name: str,
        *,
        roles: list[Role] | None = None,
        locale: str = "en-US",
        bot: bool = False,
    ) -> Member:
        user = self.create_user(name, bot=bot)
        member = Member(user, guild.id, roles=[r.id for r in roles or []], locale=locale)
        guild.members[user.id] = member
        return member

    def guild_create(self, guild: Guild) -> dict[str, Any]:
        return guild.create_payload([self.bot_member(guild)])

    async def announce_guild(self, guild: Guild) -> None:
        """The bot joins a guild created after it connected: GUILD_CREATE to the shard that holds it."""
        await self.dispatch("GUILD_CREATE", self.guild_create(guild), guild.id)

    def general(self, guild: Guild) -> Channel:
        return next(iter(guild.channels.values()))

    def bot_member(self, guild: Guild) -> Member:
        return guild.members[self.bot_user.id]

    # --- gateway --------------------------------------------------------------------------------

    def live_sessions(self) -> list[GatewaySession]:
        return [s for s in self.sessions.values() if s.ws is not None and not s.ws.closed and not s.invalid]

    async def wait_connected(self, shards: int = 1, timeout: float = DEFAULT_TIMEOUT) -> None:
        await self.wait_for(
            lambda: len([s for s in self.live_sessions() if s.identified.is_set()]) >= shards,
            timeout,
            f"{shards} identified gateway session(s)",
        )

    async def dispatch(self, event: str, data: dict[str, Any], guild_id: int | None) -> int:
        """Send an event to every session whose shard holds the guild and whose intents want it.

        A session that is disconnected but resumable keeps the event for its RESUME, as Discord does.
        Returns how many sessions received (or buffered) it.
        """
        needed = EVENT_INTENTS.get(event, 0)
        sent = 0
        for session in list(self.sessions.values()):
            if session.invalid or not session.covers(guild_id) or (needed and not session.intents & needed):
                continue
            await session.dispatch(event, data)
            sent += 1
        return sent

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        compress = request.query.get("compress")
        self.compressions.append(compress)
        if request.query.get("v") != "10" or request.query.get("encoding") != "json":
            await ws.close(code=4012, message=b"Invalid API version")
            return ws
        if compress not in (None, "zlib-stream"):
            await ws.close(code=4000, message=b"unsupported compression")
            self.violations.append(f"gateway: client asked for unsupported compression {compress!r}")
            return ws
        session: GatewaySession | None = None
        hello = {"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}}
        compressor = zlib.compressobj() if compress == "zlib-stream" else None

        async def send_before_session(payload: dict[str, Any]) -> None:
            text = json.dumps(payload).encode()
            if compressor is not None:
                await ws.send_bytes(compressor.compress(text) + compressor.flush(zlib.Z_SYNC_FLUSH))
            else:
                await ws.send_str(text.decode())

        await send_before_session(hello)
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            frame = json.loads(msg.data)
            op, d = frame.get("op"), frame.get("d")
            if op == 1:
                await send_before_session({"op": 11})
            elif op == 2:
                session = await self._identify(ws, compressor, d)
                if session is None:
                    break
            elif op == 6:
                session = await self._resume(ws, compressor, d)
                if session is None:
                    await send_before_session({"op": 9, "d": False})
            # op 3 (presence) and op 8 (request members) need no answer here.
        if session is not None and session.ws is ws:
            session.ws = None
        await self._notify()
        return ws

    async def _identify(
        self, ws: web.WebSocketResponse, compressor: Any, d: dict[str, Any]
    ) -> GatewaySession | None:
        if d.get("token") != self.token:
            await ws.close(code=4004, message=b"Authentication failed.")
            return None
        intents = int(d.get("intents", 0))
        if intents & PRIVILEGED_INTENTS:
            self.violations.append(f"gateway: IDENTIFY asked for privileged intents ({intents})")
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return None
        shard = tuple(d.get("shard") or (0, 1))
        if shard[1] != self.shard_count or not 0 <= shard[0] < shard[1]:
            await ws.close(code=4010, message=b"Invalid shard.")
            return None
        self.identifies.append(d)
        session = GatewaySession(self, (shard[0], shard[1]), intents)
        session.ws, session.compressor = ws, compressor
        self.sessions[session.id] = session
        own = [g for g in self.guilds.values() if session.covers(g.id)]
        await session.dispatch(
            "READY",
            {
                "v": 10,
                "user": self.bot_user.payload(),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in own],
                "session_id": session.id,
                "resume_gateway_url": self.gateway_url,
                "shard": list(shard),
                "application": {"id": str(self.application_id), "flags": 0},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "user_settings": {},
                "geo_ordered_rtc_regions": [],
                "session_type": "normal",
                "auth": {},
            },
        )
        for guild in own:
            await session.dispatch("GUILD_CREATE", self.guild_create(guild))
        session.identified.set()
        await self._notify()
        return session

    async def _resume(
        self, ws: web.WebSocketResponse, compressor: Any, d: dict[str, Any]
    ) -> GatewaySession | None:
        session = self.sessions.get(d.get("session_id", ""))
        if session is None or session.invalid or d.get("token") != self.token:
            return None
        session.ws, session.compressor = ws, compressor
        for _, text in [e for e in session.buffer if e[0] > int(d.get("seq") or 0)]:
            await session.send_text(text)
        await session.dispatch("RESUMED", {})
        await self._notify()
        return session

    async def blast(self, event: str, payloads: list[dict[str, Any]], guild_id: int) -> float:
        """Send a burst of events to the guild's session as fast as the socket takes them.

        Frames are encoded and compressed first, so what a benchmark times is the bot consuming the
        burst, not this fake producing it. Returns the perf_counter right before the first frame went
        out: the benchmark's clock starts there.
        """
        session = next(s for s in self.live_sessions() if s.covers(guild_id))
        frames = []
        for data in payloads:
            session.seq += 1
            text = _encode({"op": 0, "t": event, "s": session.seq, "d": data})
            session.buffer.append((session.seq, text))
            frame = text.encode()
            if session.compressor is not None:
                frame = session.compressor.compress(frame) + session.compressor.flush(zlib.Z_SYNC_FLUSH)
            frames.append(frame)
        assert session.ws is not None
        started = time.perf_counter()
        for frame in frames:
            await session.ws.send_bytes(
                frame
            ) if session.compressor is not None else await session.ws.send_str(frame.decode())
        return started

    async def drop_connections(self, *, resumable: bool = True) -> None:
        """Cut every gateway connection; unresumable sessions force the bot to IDENTIFY again."""
        for session in list(self.sessions.values()):
            if not resumable:
                session.invalid = True
            if session.ws is not None and not session.ws.closed:
                await session.ws.close(code=4000 if resumable else 4009)

    # --- REST plumbing -----------------------------------------------------------------------------

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Callable[..., Any]) -> web.StreamResponse:
        path = request.path
        if path == "/gateway":
            return await handler(request)
        self.requests.append((request.method, path))
        self.request_queries.append((path, dict(request.query)))
        held: Injection | None = None
        for injection in self.injections:
            if injection.times > 0 and injection.method == request.method and injection.pattern.search(path):
                injection.times -= 1
                if injection.hold is None:
                    return self._injected(injection)
                self.held.append((request.method, path))
                if not injection.served:
                    await injection.hold.wait()  # never reaches Discord: answered with a failure at last
                    return self._injected(injection)
                held = injection
                break
        token_route = path.startswith(("/api/v10/webhooks", "/api/v10/interactions"))
        if not token_route and request.headers.get("Authorization") != f"Bot {self.token}":
            return jresp({"message": "401: Unauthorized", "code": 0}, status=401)
        try:
            response = await handler(request)
        except DiscordError as exc:
            response = exc.response()
        await self._notify()
        if held is not None and held.hold is not None:
            await held.hold.wait()  # Discord did the work, but its answer is lost or very late
        return response

    def _injected(self, injection: Injection) -> web.Response:
        if injection.status == 429:
            return jresp(
                {
                    "message": "You are being rate limited.",
                    "retry_after": injection.retry_after,
                    "global": False,
                },
                status=429,
                headers={
                    "Via": "1.1 google",
                    "X-RateLimit-Limit": "5",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset-After": str(injection.retry_after),
                    "X-RateLimit-Bucket": "fakebucket",
                    "X-RateLimit-Scope": "user",
                },
            )
        return jresp({"message": "injected failure", "code": 0}, status=injection.status)

    def inject(
        self, method: str, path_pattern: str, status: int, *, times: int = 1, retry_after: float = 0.05
    ) -> Injection:
        """Answer the next `times` matching requests with `status` (429 carries real rate-limit headers)."""
        injection = Injection(method.upper(), re.compile(path_pattern), status, times, retry_after)
        self.injections.append(injection)
        return injection

    def hang(self, method: str, path_pattern: str, *, times: int = 1, served: bool = False) -> asyncio.Event:
        """Leave the next `times` matching requests unanswered until the returned event is set (or the
        fake stops). With `served` the request takes effect at once and only its answer hangs (Discord
        did the work, the answer got lost); otherwise it never reaches Discord and then fails with 503."""
        hold = asyncio.Event()
        injection = Injection(method.upper(), re.compile(path_pattern), 503, times, 0.0, hold, served)
        self.injections.append(injection)
        return hold

    async def _unknown(self, request: web.Request) -> web.Response:
        entry = f"{request.method} {request.path}"
        self.unknown_routes.append(entry)
        log.error("fake Discord does not know route %s", entry)
        return jresp({"message": "404: Not Found", "code": 0}, status=404)

    def _add_routes(self, app: web.Application) -> None:
        api = "/api/v10"
        r = app.router
        r.add_get(f"{api}/users/@me", self._get_me)
        r.add_get(f"{api}/oauth2/applications/@me", self._get_application)
        r.add_get(f"{api}/applications/@me", self._get_application)
        r.add_get(f"{api}/gateway", self._get_gateway)
        r.add_get(f"{api}/gateway/bot", self._get_gateway_bot)
        r.add_get(f"{api}/applications/{{app_id}}/commands", self._get_commands)
        r.add_put(f"{api}/applications/{{app_id}}/commands", self._put_commands)
        r.add_get(f"{api}/applications/{{app_id}}/guilds/{{guild_id}}/commands", self._get_commands)
        r.add_put(f"{api}/applications/{{app_id}}/guilds/{{guild_id}}/commands", self._put_commands)
        r.add_post(f"{api}/interactions/{{iid}}/{{token}}/callback", self._interaction_callback)
        r.add_get(f"{api}/webhooks/{{app_id}}/{{token}}/messages/{{mid}}", self._webhook_get)
        r.add_patch(f"{api}/webhooks/{{app_id}}/{{token}}/messages/{{mid}}", self._webhook_edit)
        r.add_delete(f"{api}/webhooks/{{app_id}}/{{token}}/messages/{{mid}}", self._webhook_delete)
        r.add_post(f"{api}/webhooks/{{app_id}}/{{token}}", self._webhook_followup)
        r.add_get(f"{api}/channels/{{cid}}", self._get_channel)
        r.add_post(f"{api}/channels/{{cid}}/messages", self._create_message)
        r.add_get(f"{api}/channels/{{cid}}/messages", self._list_messages)
        r.add_get(f"{api}/channels/{{cid}}/messages/{{mid}}", self._get_message)
        r.add_patch(f"{api}/channels/{{cid}}/messages/{{mid}}", self._edit_message)
        r.add_delete(f"{api}/channels/{{cid}}/messages/{{mid}}", self._delete_message)
        reactions = f"{api}/channels/{{cid}}/messages/{{mid}}/reactions"
        r.add_put(f"{reactions}/{{emoji}}/@me", self._put_own_reaction)
        r.add_delete(f"{reactions}/{{emoji}}/@me", self._delete_own_reaction)
        r.add_get(f"{reactions}/{{emoji}}", self._get_reaction_users)
        r.add_delete(f"{reactions}/{{emoji}}/{{uid}}", self._delete_user_reaction)
        r.add_delete(f"{reactions}/{{emoji}}", self._delete_emoji_reactions)
        r.add_delete(reactions, self._delete_all_reactions)
        r.add_get(f"{api}/channels/{{cid}}/polls/{{mid}}/answers/{{aid}}", self._get_answer_voters)
        r.add_post(f"{api}/channels/{{cid}}/polls/{{mid}}/expire", self._expire_poll)

    # --- REST: identity and gateway ------------------------------------------------------------

    async def _get_me(self, request: web.Request) -> web.Response:
        return jresp({**self.bot_user.payload(), "verified": True, "mfa_enabled": False, "flags": 0})

    async def _get_application(self, request: web.Request) -> web.Response:
        return jresp(
            {
                "id": str(self.application_id),
                "name": "Tearjerker",
                "icon": None,
                "description": "",
                "rpc_origins": [],
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": {**self.create_user("operator").payload()},
                "team": None,
                "verify_key": "0" * 64,
                "flags": 0,
                "summary": "",
                "interactions_endpoint_url": None,
                "redirect_uris": [],
                "bot": self.bot_user.payload(),
            }
        )

    async def _get_gateway(self, request: web.Request) -> web.Response:
        return jresp({"url": self.gateway_url})

    async def _get_gateway_bot(self, request: web.Request) -> web.Response:
        return jresp(
            {
                "url": self.gateway_url,
                "shards": self.shard_count,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": 1,
                },
            }
        )

    # --- REST: application commands -----------------------------------------------------------------

    def _check_app(self, request: web.Request) -> None:
        if int(request.match_info["app_id"]) != self.application_id:
            raise DiscordError(403, 50001, "Missing Access")

    async def _get_commands(self, request: web.Request) -> web.Response:
        self._check_app(request)
        guild_id = request.match_info.get("guild_id")
        commands = self.guild_commands.get(int(guild_id), {}) if guild_id else self.global_commands
        return jresp(list(commands.values()))

    async def _put_commands(self, request: web.Request) -> web.Response:
        self._check_app(request)
        payload = await request.json()
        errors = [e for command in payload for e in limits.check_command(command)]
        names = [(c.get("type", 1), c["name"]) for c in payload]
        if len(set(names)) != len(names):
            errors.append("two commands share a name")
        if errors:
            self.violations += [f"command registration: {e}" for e in errors]
            raise DiscordError(400, 50035, "Invalid Form Body", errors)
        guild_id = int(request.match_info["guild_id"]) if "guild_id" in request.match_info else None
        stored = {}
        for command in payload:
            stored[command["name"]] = {
                **command,
                "id": str(snowflake()),
                "application_id": str(self.application_id),
                "version": str(snowflake()),
                "type": command.get("type", 1),
                # Discord answers permissions as a string, whatever number it was sent.
                "default_member_permissions": (
                    None
                    if command.get("default_member_permissions") is None
                    else str(command["default_member_permissions"])
                ),
                **({"guild_id": str(guild_id)} if guild_id else {}),
            }
        if guild_id is None:
            self.global_commands = stored
        else:
            self.guild_commands[guild_id] = stored
        self.command_syncs.append((guild_id, payload))
        return jresp(list(stored.values()))

    def find_command(self, guild: Guild, name: str) -> dict[str, Any]:
        """What a member's client would offer: guild commands first, then global ones."""
        command = self.guild_commands.get(guild.id, {}).get(name) or self.global_commands.get(name)
        if command is None:
            raise AssertionError(f"/{name} is not registered with the fake Discord (was it synced?)")
        return command

    # --- interactions (driver) -------------------------------------------------------------------

    def _interaction_payload(self, record: InteractionRecord, locale: str) -> dict[str, Any]:
        guild, channel, member = record.guild, record.channel, record.member
        payload: dict[str, Any] = {
            "id": str(record.id),
            "application_id": str(self.application_id),
            "type": record.type,
            "data": record.data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": guild.preferred_locale, "features": []},
            "channel_id": str(channel.id),
            "channel": {**channel.payload()},
            "member": member.payload(guild.permissions_in(member, channel)),
            "token": record.token,
            "version": 1,
            "locale": member.locale,
            "guild_locale": guild.preferred_locale,
            "app_permissions": str(guild.permissions_in(self.bot_member(guild), channel)),
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
        }
        if record.message is not None:
            payload["message"] = record.message.payload(self.bot_user.id)
        if record.in_dm:
            # As Discord sends it from a DM: a user instead of a member, no server, a DM channel.
            for key in ("guild_id", "guild", "member", "guild_locale"):
                del payload[key]
            payload["user"] = member.user.payload()
            payload["channel_id"] = str(record.channel.id)
            payload["channel"] = {
                "id": str(record.channel.id),
                "type": 1,
                "recipients": [member.user.payload()],
            }
            payload["app_permissions"] = str(P.VIEW_CHANNEL | P.SEND_MESSAGES | P.EMBED_LINKS)
            payload["authorizing_integration_owners"] = {"1": str(member.user.id)}
            payload["context"] = 1
        return payload

    async def _send_interaction(
        self,
        itype: int,
        member: Member,
        channel: Channel,
        data: dict[str, Any],
        message: Message | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        wait: bool = True,
    ) -> InteractionRecord:
        guild = self.guilds[channel.guild_id]
        record = InteractionRecord(
            id=snowflake(),
            token=secrets.token_urlsafe(48),
            type=itype,
            guild=guild,
            channel=channel,
            member=member,
            data=data,
            message=message,
        )
        self.interactions[record.id] = record
        if not await self.dispatch(
            "INTERACTION_CREATE", self._interaction_payload(record, member.locale), guild.id
        ):
            raise AssertionError("no gateway session holds this guild: is the bot connected?")
        if not wait:
            return record
        try:
            await asyncio.wait_for(record.settled.wait(), timeout)
        except TimeoutError:
            raise AssertionError(f"the bot did not answer interaction {data.get('name') or data}") from None
        if not record.acknowledged.is_set():
            # A refused answer may be followed by a corrected one (an error reply): allow a moment.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(record.acknowledged.wait(), 0.5)
        if not record.acknowledged.is_set():
            raise AssertionError(f"Discord refused the bot's answer: {record.refusals}")
        return record

    def _build_options(
        self, schema: list[dict[str, Any]], values: dict[str, Any], focused: str | None
    ) -> list:
        known = {o["name"]: o for o in schema}
        options = []
        for name, value in values.items():
            if name not in known:
                raise AssertionError(f"option {name!r} is not registered (known: {sorted(known)})")
            spec = known[name]
            if name != focused:
                expected = OPTION_TYPES.get(spec["type"])
                if expected and not isinstance(value, expected):
                    raise AssertionError(f"option {name!r} must be {expected}, got {value!r}")
                if spec.get("choices") and value not in [c["value"] for c in spec["choices"]]:
                    raise AssertionError(f"{value!r} is not a choice of option {name!r}")
                if "max_length" in spec and len(value) > spec["max_length"]:
                    raise AssertionError(
                        f"Discord's client refuses {name!r} over {spec['max_length']} characters"
                    )
            entry: dict[str, Any] = {"name": name, "type": spec["type"], "value": value}
            if name == focused:
                entry["focused"] = True
            options.append(entry)
        for spec in schema:
            if spec.get("required") and spec["name"] not in values:
                raise AssertionError(f"required option {spec['name']!r} missing")
        return options

    def _command_data(self, guild: Guild, path: str, options: dict[str, Any], focused: str | None) -> dict:
        name, *subs = path.split()
        command = self.find_command(guild, name)
        schema = command.get("options") or []
        nested: list[dict[str, Any]] = []
        container = nested
        for sub in subs:
            spec = next((o for o in schema if o["name"] == sub and o["type"] in (1, 2)), None)
            if spec is None:
                raise AssertionError(f"/{path}: {sub!r} is not a registered subcommand")
            entry: dict[str, Any] = {"name": sub, "type": spec["type"], "options": []}
            container.append(entry)
            container = entry["options"]
            schema = spec.get("options") or []
        container.extend(self._build_options(schema, options, focused))
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": nested}
        resolved = self._resolved(guild, container)
        if resolved:
            data["resolved"] = resolved
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        return data

    def _resolved(self, guild: Guild, options: list[dict[str, Any]]) -> dict[str, Any]:
        """Like Discord, describe the channels an option names (type 7) in `resolved`."""
        channels = {}
        for option in options:
            if option["type"] == 7 and not option.get("focused"):
                channel = self.channels.get(int(option["value"]))
                if channel is None:
                    raise AssertionError(f"no channel {option['value']} to pick")
                channels[str(channel.id)] = {
                    "id": str(channel.id),
                    "name": channel.name,
                    "type": channel.type,
                    "guild_id": str(guild.id),
                    "permissions": str(guild.permissions_in(self.bot_member(guild), channel)),
                    "parent_id": None,
                }
        return {"channels": channels} if channels else {}

    async def run_command(
        self, member: Member, channel: Channel, path: str, /, timeout: float = DEFAULT_TIMEOUT, **options: Any
    ) -> InteractionRecord:
        """Run `/path` (e.g. "cry" or "poll setup") as `member`; returns once the bot acknowledged."""
        guild = self.guilds[channel.guild_id]
        data = self._command_data(guild, path, options, None)
        return await self._send_interaction(2, member, channel, data, timeout=timeout)

    async def run_command_in_dm(
        self, member: Member, path: str, /, timeout: float = DEFAULT_TIMEOUT, **options: Any
    ) -> InteractionRecord:
        """Run `/path` from a direct message with the bot: what a stale client, or a forged request,
        can still send for a server-only command."""
        guild = self.guilds[member.guild_id]
        data = self._command_data(guild, path, options, None)
        data.pop("guild_id", None)
        dm = Channel(snowflake(), 0, "dm", type=1)
        record = InteractionRecord(
            id=snowflake(), token=secrets.token_urlsafe(48), type=2, guild=guild, channel=dm, member=member,
            data=data, in_dm=True,
        )  # fmt: skip
        self.interactions[record.id] = record
        if not await self.dispatch(
            "INTERACTION_CREATE", self._interaction_payload(record, member.locale), None
        ):
            raise AssertionError("no gateway session: is the bot connected?")
        await asyncio.wait_for(record.settled.wait(), timeout)
        return record

    def backfill(self, channel: Channel, *, by: User | None = None, content: str = "…") -> Message:
        """A message already in the channel's history before any session saw it (no event): the bot's
        own (`by` None) or a member's, for benchmarks that need thousands of them."""
        message = Message(
            id=snowflake(), channel_id=channel.id, guild_id=channel.guild_id, author=by or self.bot_user,
            content=content,
        )  # fmt: skip
        self.messages[message.id] = message
        return message

    async def chat(self, member: Member, channel: Channel, content: str = "…") -> Message:
        """A member's ordinary message in a channel."""
        message = Message(
            id=snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=member.user,
            content=content,
        )
        self.messages[message.id] = message
        await self.dispatch(
            "MESSAGE_CREATE", {**message.payload(), "guild_id": str(channel.guild_id)}, channel.guild_id
        )
        return message

    async def send_command(
        self, member: Member, channel: Channel, path: str, /, **options: Any
    ) -> InteractionRecord:
        """Like run_command, but returns as soon as the interaction is sent (for load tests)."""
        guild = self.guilds[channel.guild_id]
        data = self._command_data(guild, path, options, None)
        return await self._send_interaction(2, member, channel, data, wait=False)

    async def autocomplete(
        self, member: Member, channel: Channel, path: str, focused: str, value: str, /, **options: Any
    ) -> list[dict[str, Any]]:
        guild = self.guilds[channel.guild_id]
        data = self._command_data(guild, path, {**options, focused: value}, focused)
        record = await self._send_interaction(4, member, channel, data)
        if record.choices is None:
            raise AssertionError(f"autocomplete for {path} answered with type {record.response_type}, not 8")
        return record.choices

    async def press_button(self, member: Member, message: Message, custom_id: str) -> InteractionRecord:
        if custom_id not in message.custom_ids():
            raise AssertionError(f"no button {custom_id!r} on message {message.id}: {message.custom_ids()}")
        channel = self.channels[message.channel_id]
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._send_interaction(3, member, channel, data, message=message)

    async def submit_modal(
        self, record: InteractionRecord, values: dict[str, str], *, member: Member | None = None
    ) -> InteractionRecord:
        """The member fills in and sends the form the bot opened for `record`. `values` are by text
        input custom_id; Discord sends every input back, as typed (empty when left blank), in the
        modal's own layout. Another member cannot submit someone else's form."""
        modal = record.modal
        if modal is None:
            raise AssertionError(
                f"interaction {record.id} opened no modal (response type {record.response_type})"
            )
        unknown = set(values) - {text["custom_id"] for text in _modal_inputs(modal)}
        if unknown:
            raise AssertionError(f"no text input {sorted(unknown)} in the modal")

        def filled(text: dict[str, Any]) -> dict[str, Any]:
            return {
                "type": 4,
                "custom_id": text["custom_id"],
                "value": values.get(text["custom_id"], text.get("value") or ""),
            }

        components = []
        for row in modal["components"]:
            if row["type"] == 18:
                components.append({"type": 18, "component": filled(row["component"])})
            else:
                components.append({"type": 1, "components": [filled(c) for c in row["components"]]})
        data = {"custom_id": modal["custom_id"], "components": components}
        return await self._send_interaction(
            5, member or record.member, record.channel, data, message=record.message
        )

    def _record(self, request: web.Request) -> InteractionRecord:
        record = self.interactions.get(int(request.match_info["iid"]))
        if record is None or record.token != request.match_info["token"]:
            raise DiscordError(404, 10062, "Unknown interaction")
        return record

    def _record_by_token(self, request: web.Request) -> InteractionRecord:
        token = request.match_info["token"]
        if int(request.match_info["app_id"]) != self.application_id:
            raise DiscordError(404, 10015, "Unknown Webhook")
        for record in self.interactions.values():
            if record.token == token:
                if time.monotonic() - record.created > 15 * 60:
                    raise DiscordError(401, 50027, "Invalid Webhook Token")
                return record
        raise DiscordError(404, 10015, "Unknown Webhook")

    async def _json_body(self, request: web.Request) -> dict[str, Any]:
        if request.content_type.startswith("multipart/"):
            form = await request.post()
            body = json.loads(form["payload_json"])  # type: ignore[arg-type]
            # Uploaded files, as discord.py sends them: parts named files[N] beside payload_json.
            body["_files"] = [
                (part.filename, part.file.read()) for name, part in form.items() if name.startswith("files[")
            ]  # type: ignore[union-attr]
            return body
        return await request.json() if request.can_read_body else {}

    def _validate_message(self, body: dict[str, Any], *, creating: bool = True) -> None:
        """Discord's limits; and, for a new message, that it carries allowed_mentions that ping nobody."""
        errors = limits.check_message(body)
        if errors:
            self.violations += [f"message limits: {e}" for e in errors]
            raise DiscordError(400, 50035, "Invalid Form Body", errors)
        mentions = body.get("allowed_mentions")
        if creating and (
            mentions is None or mentions.get("parse") or mentions.get("users") or mentions.get("roles")
        ):
            self.violations.append(f"a message could ping someone: allowed_mentions={mentions}")

    def _new_message(
        self, channel: Channel, body: dict[str, Any], *, mtype: int = 0, webhook: bool = False
    ) -> Message:
        message = Message(
            id=snowflake(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=self.bot_user,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            flags=int(body.get("flags") or 0),
            poll=self._poll_from_body(body.get("poll")),
            allowed_mentions=body.get("allowed_mentions"),
            files=list(body.get("_files") or []),
            type=mtype,
            webhook_id=self.application_id if webhook else None,
        )
        self.messages[message.id] = message
        return message

    def _poll_from_body(self, poll: dict[str, Any] | None) -> dict[str, Any] | None:
        if poll is None:
            return None
        answers = [{**a, "answer_id": i} for i, a in enumerate(poll.get("answers", []), 1)]
        hours = int(poll.get("duration", 24))
        expiry = time.time() + hours * 3600
        return {
            "question": poll["question"],
            "answers": answers,
            "expiry": datetime.fromtimestamp(expiry, UTC).isoformat(),
            "allow_multiselect": bool(poll.get("allow_multiselect")),
            "layout_type": poll.get("layout_type", 1),
            "duration": hours,
            "results": {"is_finalized": False, "answer_counts": []},
            "_votes": {a["answer_id"]: [] for a in answers},
        }

    async def _interaction_callback(self, request: web.Request) -> web.Response:
        record = self._record(request)
        try:
            return await self._callback(record, await self._json_body(request))
        except DiscordError as exc:
            if not record.acknowledged.is_set():
                record.refusals.append(f"{exc.code} {exc.message} {exc.detail}")
            raise
        finally:
            record.settled.set()

    async def _callback(self, record: InteractionRecord, body: dict[str, Any]) -> web.Response:
        if record.acknowledged.is_set():
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        late = time.monotonic() - record.created
        if late > self.ack_deadline:
            self.violations.append(
                f"interaction {record.data.get('name') or record.data} acknowledged after {late:.2f}s"
            )
            raise DiscordError(404, 10062, "Unknown interaction")
        rtype = body.get("type")
        data = body.get("data") or {}
        if body.get("_files"):
            data = {**data, "_files": body["_files"]}
        record.response_type = rtype
        resource: dict[str, Any] = {"type": rtype}
        if rtype == 4:
            self._validate_message(data)
            mtype = 20 if record.type == 2 else 0
            record.response = self._new_message(record.channel, data, mtype=mtype, webhook=True)
            resource["message"] = record.response.payload(self.bot_user.id)
            record.answered.set()
        elif rtype == 5:
            record.deferred_ephemeral = bool(int(data.get("flags") or 0) & 64)
            placeholder = {"flags": 64 | 128 if record.deferred_ephemeral else 128}
            record.response = self._new_message(record.channel, placeholder, mtype=20, webhook=True)
            resource["message"] = record.response.payload(self.bot_user.id)
        elif rtype == 6:
            pass
        elif rtype == 7:
            if record.message is None:
                raise DiscordError(400, 40004, "Interaction has no message to update")
            self._validate_message(data, creating=False)
            self._apply_edit(record.message, data)
            record.response = record.message
            resource["message"] = record.message.payload(self.bot_user.id)
            record.answered.set()
        elif rtype == 8:
            errors = limits.check_choices(data.get("choices") or [])
            if errors:
                self.violations += [f"autocomplete: {e}" for e in errors]
                raise DiscordError(400, 50035, "Invalid Form Body", errors)
            record.choices = data.get("choices") or []
        elif rtype == 9:
            errors = limits.check_modal(data)
            if errors:
                self.violations += [f"modal: {e}" for e in errors]
                raise DiscordError(400, 50035, "Invalid Form Body", errors)
            record.modal = data
        else:
            raise DiscordError(400, 50035, f"unknown interaction response type {rtype}")
        record.acknowledged_at = time.monotonic()
        record.acknowledged.set()
        interaction = {
            "id": str(record.id),
            "type": record.type,
            "response_message_loading": rtype == 5,
            "response_message_ephemeral": bool(record.response and record.response.ephemeral),
        }
        if record.response is not None:
            interaction["response_message_id"] = str(record.response.id)
        return jresp({"interaction": interaction, "resource": resource})

    def _apply_edit(self, message: Message, body: dict[str, Any]) -> None:
        for key in ("content", "embeds", "components"):
            if key in body and body[key] is not None:
                setattr(message, key, body[key])
        if "flags" in body and body["flags"] is not None:
            message.flags = (message.flags & 64) | int(body["flags"])
        message.flags &= ~128  # no longer "thinking"
        message.edited = True

    def _webhook_message(self, record: InteractionRecord, mid: str) -> Message:
        if mid == "@original":
            if record.response is None:
                raise DiscordError(404, 10008, "Unknown Message")
            return record.response
        message = self.messages.get(int(mid))
        if (
            message is None
            or message.deleted
            or (message is not record.response and message not in record.followups)
        ):
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    async def _webhook_get(self, request: web.Request) -> web.Response:
        record = self._record_by_token(request)
        message = self._webhook_message(record, request.match_info["mid"])
        return jresp(message.payload(self.bot_user.id))

    async def _webhook_edit(self, request: web.Request) -> web.Response:
        record = self._record_by_token(request)
        message = self._webhook_message(record, request.match_info["mid"])
        body = await self._json_body(request)
        self._validate_message(body, creating=False)
        self._apply_edit(message, body)
        record.answered.set()
        return jresp(message.payload(self.bot_user.id))

    async def _webhook_delete(self, request: web.Request) -> web.Response:
        record = self._record_by_token(request)
        message = self._webhook_message(record, request.match_info["mid"])
        message.deleted = True
        return web.Response(status=204)

    async def _webhook_followup(self, request: web.Request) -> web.Response:
        record = self._record_by_token(request)
        if not record.acknowledged.is_set():
            raise DiscordError(404, 10015, "Unknown Webhook")
        body = await self._json_body(request)
        self._validate_message(body)
        if record.response is not None and record.response.flags & 128:
            # The first follow-up after a defer replaces the "thinking" message.
            self._apply_edit(record.response, body)
            record.answered.set()
            return jresp(record.response.payload(self.bot_user.id))
        message = self._new_message(record.channel, body, webhook=True)
        record.followups.append(message)
        record.answered.set()
        return jresp(message.payload(self.bot_user.id))

    # --- REST: channels, messages, reactions, polls ------------------------------------------------

    def _channel(self, request: web.Request) -> tuple[Guild, Channel]:
        channel = self.channels.get(int(request.match_info["cid"]))
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return self.guilds[channel.guild_id], channel

    def _require(self, guild: Guild, channel: Channel, *needed: int) -> None:
        perms = guild.permissions_in(self.bot_member(guild), channel)
        if not perms & P.VIEW_CHANNEL:
            raise DiscordError(403, 50001, "Missing Access")
        for bit in needed:
            if not perms & bit:
                raise missing_permissions()

    def _message(self, request: web.Request) -> tuple[Guild, Channel, Message]:
        guild, channel = self._channel(request)
        message = self.messages.get(int(request.match_info["mid"]))
        if message is None or message.deleted or message.channel_id != channel.id or message.ephemeral:
            raise DiscordError(404, 10008, "Unknown Message")
        return guild, channel, message

    async def _get_channel(self, request: web.Request) -> web.Response:
        guild, channel = self._channel(request)
        self._require(guild, channel)
        return jresp(channel.payload())

    async def _create_message(self, request: web.Request) -> web.Response:
        guild, channel = self._channel(request)
        body = await self._json_body(request)
        needed = [P.SEND_MESSAGES]
        if body.get("embeds"):
            needed.append(P.EMBED_LINKS)
        if body.get("poll"):
            needed.append(P.SEND_POLLS)
        self._require(guild, channel, *needed)
        self._validate_message(body)
        message = self._new_message(channel, body)
        await self.dispatch("MESSAGE_CREATE", message.payload(), guild.id)
        return jresp(message.payload(self.bot_user.id))

    async def _list_messages(self, request: web.Request) -> web.Response:
        """Channel history, newest first like Discord (discord.py asks with before/after/around)."""
        guild, channel = self._channel(request)
        self._require(guild, channel, P.READ_MESSAGE_HISTORY)
        limit = min(int(request.query.get("limit", 50)), 100)
        after = int(request.query.get("after", 0))
        before = int(request.query.get("before", 1 << 63))
        found = sorted(
            (m for m in self.messages_in(channel) if after < m.id < before), key=lambda m: m.id, reverse=True
        )
        if "after" in request.query:
            found = sorted(found, key=lambda m: m.id)[:limit]
            found.reverse()
        return jresp([m.payload(self.bot_user.id) for m in found[:limit]])

    async def _get_message(self, request: web.Request) -> web.Response:
        guild, channel, message = self._message(request)
        self._require(guild, channel, P.READ_MESSAGE_HISTORY)
        return jresp(message.payload(self.bot_user.id))

    async def _edit_message(self, request: web.Request) -> web.Response:
        guild, channel, message = self._message(request)
        self._require(guild, channel)
        if message.author.id != self.bot_user.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        body = await self._json_body(request)
        self._validate_message(body, creating=False)
        self._apply_edit(message, body)
        return jresp(message.payload(self.bot_user.id))

    async def _delete_message(self, request: web.Request) -> web.Response:
        guild, channel, message = self._message(request)
        if message.author.id != self.bot_user.id:
            self._require(guild, channel, P.MANAGE_MESSAGES)
        await self.delete_message(message)
        return web.Response(status=204)

    @staticmethod
    def _emoji(request: web.Request) -> str:
        return unquote(request.match_info["emoji"])

    async def _put_own_reaction(self, request: web.Request) -> web.Response:
        guild, channel, message = self._message(request)
        emoji = self._emoji(request)
        needed = [P.READ_MESSAGE_HISTORY]
        if emoji not in message.reactions or not message.reactions[emoji].users:
            needed.append(P.ADD_REACTIONS)
        self._require(guild, channel, *needed)
        await self._react(self.bot_member(guild), message, emoji, burst=False)
        return web.Response(status=204)

    async def _delete_own_reaction(self, request: web.Request) -> web.Response:
        guild, _channel, message = self._message(request)
        await self._unreact(self.bot_member(guild), message, self._emoji(request), burst=False)
        return web.Response(status=204)

    async def _delete_user_reaction(self, request: web.Request) -> web.Response:
        guild, channel, message = self._message(request)
        self._require(guild, channel, P.MANAGE_MESSAGES)
        member = guild.members.get(int(request.match_info["uid"]))
        if member is not None:
            await self._unreact(member, message, self._emoji(request), burst=False)
        return web.Response(status=204)

    async def _delete_emoji_reactions(self, request: web.Request) -> web.Response:
        guild, channel, message = self._message(request)
        self._require(guild, channel, P.MANAGE_MESSAGES)
        await self.clear_emoji(message, self._emoji(request))
        return web.Response(status=204)

    async def _delete_all_reactions(self, request: web.Request) -> web.Response:
        guild, channel, message = self._message(request)
        self._require(guild, channel, P.MANAGE_MESSAGES)
        await self.clear_reactions(message)
        return web.Response(status=204)

    async def _get_reaction_users(self, request: web.Request) -> web.Response:
        guild, channel, message = self._message(request)
        self._require(guild, channel, P.READ_MESSAGE_HISTORY)
        reaction = message.reactions.get(self._emoji(request))
        limit = min(int(request.query.get("limit", 25)), 100)
        after = int(request.query.get("after", 0))
        burst = request.query.get("type") == "1"
        ids = [] if reaction is None else (reaction.burst_users if burst else reaction.users)
        page = sorted(uid for uid in ids if uid > after)[:limit]
        return jresp([self.users[uid].payload() for uid in page])

    async def _get_answer_voters(self, request: web.Request) -> web.Response:
        guild, channel, message = self._message(request)
        self._require(guild, channel, P.READ_MESSAGE_HISTORY)
        if message.poll is None:
            raise DiscordError(404, 10008, "Unknown Message")
        voters = message.poll["_votes"].get(int(request.match_info["aid"]), [])
        limit = min(int(request.query.get("limit", 25)), 100)
        after = int(request.query.get("after", 0))
        page = sorted(uid for uid in voters if uid > after)[:limit]
        return jresp({"users": [self.users[uid].payload() for uid in page]})

    async def _expire_poll(self, request: web.Request) -> web.Response:
        _guild, _channel, message = self._message(request)
        if message.author.id != self.bot_user.id or message.poll is None:
            raise DiscordError(403, 50005, "Cannot expire this poll")
        await self.end_poll(message)
        return jresp(message.payload(self.bot_user.id))

    # --- member actions (driver) -------------------------------------------------------------------

    def react_later(self, member: Member, message: Message, emoji: str = "😭") -> dict[str, Any]:
        """Record `member`'s reaction as Discord would and return its MESSAGE_REACTION_ADD payload,
        unsent, for `blast` — so the message's state and the events agree, as they do on Discord."""
        users = message.reactions.setdefault(emoji, Reaction(emoji)).users
        if member.user.id not in users:
            users.append(member.user.id)
        event = self._reaction_event(member, message, emoji, False)
        event["member"] = member.payload()
        event["message_author_id"] = str(message.author.id)
        event["burst_colors"] = []
        return event

    def _reaction_event(self, member: Member, message: Message, emoji: str, burst: bool) -> dict[str, Any]:
        return {
            "user_id": str(member.user.id),
            "channel_id": str(message.channel_id),
            "message_id": str(message.id),
            "guild_id": str(message.guild_id),
            "emoji": {"id": None, "name": emoji},
            "burst": burst,
            "type": 1 if burst else 0,
        }

    async def _react(self, member: Member, message: Message, emoji: str, *, burst: bool) -> None:
        reaction = message.reactions.setdefault(emoji, Reaction(emoji))
        users = reaction.burst_users if burst else reaction.users
        if member.user.id in users:
            return  # Discord ignores a repeated reaction: no event
        users.append(member.user.id)
        event = self._reaction_event(member, message, emoji, burst)
        event["member"] = member.payload()
        event["message_author_id"] = str(message.author.id)
        event["burst_colors"] = ["#FFD700"] if burst else []
        await self.dispatch("MESSAGE_REACTION_ADD", event, message.guild_id)

    async def _unreact(self, member: Member, message: Message, emoji: str, *, burst: bool) -> None:
        reaction = message.reactions.get(emoji)
        users = [] if reaction is None else (reaction.burst_users if burst else reaction.users)
        if member.user.id not in users:
            return
        users.remove(member.user.id)
        await self.dispatch(
            "MESSAGE_REACTION_REMOVE", self._reaction_event(member, message, emoji, burst), message.guild_id
        )

    async def add_reaction(
        self, member: Member, message: Message, emoji: str = "😭", *, burst: bool = False
    ) -> None:
        guild = self.guilds[message.guild_id]  # type: ignore[index]
        channel = self.channels[message.channel_id]
        perms = guild.permissions_in(member, channel)
        if not perms & P.READ_MESSAGE_HISTORY or (
            emoji not in message.reactions and not perms & P.ADD_REACTIONS
        ):
            raise AssertionError(f"{member.user.username} may not react in #{channel.name}")
        await self._react(member, message, emoji, burst=burst)

    async def remove_reaction(
        self, member: Member, message: Message, emoji: str = "😭", *, burst: bool = False
    ) -> None:
        await self._unreact(member, message, emoji, burst=burst)

    async def clear_reactions(self, message: Message) -> None:
        message.reactions.clear()
        await self.dispatch(
            "MESSAGE_REACTION_REMOVE_ALL",
            {
                "channel_id": str(message.channel_id),
                "message_id": str(message.id),
                "guild_id": str(message.guild_id),
            },
            message.guild_id,
        )

    async def clear_emoji(self, message: Message, emoji: str) -> None:
        message.reactions.pop(emoji, None)
        await self.dispatch(
            "MESSAGE_REACTION_REMOVE_EMOJI",
            {
                "channel_id": str(message.channel_id),
                "message_id": str(message.id),
                "guild_id": str(message.guild_id),
                "emoji": {"id": None, "name": emoji},
            },
            message.guild_id,
        )

    async def delete_message(self, message: Message) -> None:
        message.deleted = True
        await self.dispatch(
            "MESSAGE_DELETE",
            {"id": str(message.id), "channel_id": str(message.channel_id), "guild_id": str(message.guild_id)},
            message.guild_id,
        )

    async def bulk_delete(self, messages: list[Message]) -> None:
        for message in messages:
            message.deleted = True
        first = messages[0]
        await self.dispatch(
            "MESSAGE_DELETE_BULK",
            {
                "ids": [str(m.id) for m in messages],
                "channel_id": str(first.channel_id),
                "guild_id": str(first.guild_id),
            },
            first.guild_id,
        )

    async def delete_channel(self, channel: Channel) -> None:
        guild = self.guilds[channel.guild_id]
        guild.channels.pop(channel.id, None)
        self.channels.pop(channel.id, None)
        await self.dispatch("CHANNEL_DELETE", channel.payload(), guild.id)

    async def remove_bot_from_guild(self, guild: Guild) -> None:
        self.guilds.pop(guild.id, None)
        await self.dispatch("GUILD_DELETE", {"id": str(guild.id)}, guild.id)

    async def poll_vote(self, member: Member, message: Message, answer_id: int, *, add: bool = True) -> None:
        assert message.poll is not None, "not a poll"
        if message.poll["results"]["is_finalized"]:
            raise AssertionError("the poll has ended")
        voters = message.poll["_votes"][answer_id]
        if add == (member.user.id in voters):
            return
        if add and not message.poll["allow_multiselect"]:
            for other in message.poll["_votes"].values():
                if member.user.id in other:
                    raise AssertionError("single-choice poll: remove the other vote first")
        (voters.append if add else voters.remove)(member.user.id)
        await self.dispatch(
            "MESSAGE_POLL_VOTE_ADD" if add else "MESSAGE_POLL_VOTE_REMOVE",
            {
                "user_id": str(member.user.id),
                "channel_id": str(message.channel_id),
                "message_id": str(message.id),
                "guild_id": str(message.guild_id),
                "answer_id": answer_id,
            },
            message.guild_id,
        )

    async def end_poll(self, message: Message, *, by: Member | None = None) -> None:
        """The poll ends: its time ran out, the bot expired it, or `by` (its author or a member who may
        manage messages) ended it early. As Discord does, the finalized poll arrives as a message update,
        then a "poll ended" message (type 46) pointing at the poll appears in the channel."""
        assert message.poll is not None
        if message.poll["results"]["is_finalized"]:
            return
        message.poll["results"] = {
            "is_finalized": True,
            "answer_counts": [
                {"id": aid, "count": len(v), "me_voted": self.bot_user.id in v}
                for aid, v in message.poll["_votes"].items()
            ],
        }
        message.edited = True
        await self.dispatch(
            "MESSAGE_UPDATE", {**message.payload(), "guild_id": str(message.guild_id)}, message.guild_id
        )
        result = Message(
            id=snowflake(),
            channel_id=message.channel_id,
            guild_id=message.guild_id,
            author=message.author,
            type=46,
            embeds=[{"type": "poll_result", "fields": [
                {"name": "poll_question_text", "value": message.poll["question"]["text"], "inline": False},
                {"name": "total_votes", "value": str(sum(len(v) for v in message.poll["_votes"].values())),
                 "inline": False},
            ]}],
        )  # fmt: skip
        result.reference = {"message_id": str(message.id), "channel_id": str(message.channel_id),
                            "guild_id": str(message.guild_id), "type": 0}  # fmt: skip
        self.messages[result.id] = result
        await self.dispatch(
            "MESSAGE_CREATE", {**result.payload(), "guild_id": str(message.guild_id)}, message.guild_id
        )

    # --- reading what the bot did (driver) ------------------------------------------------------------

    def messages_in(self, channel: Channel, *, include_ephemeral: bool = False) -> list[Message]:
        return [
            m
            for m in self.messages.values()
            if m.channel_id == channel.id and not m.deleted and (include_ephemeral or not m.ephemeral)
        ]

    def commands(self, guild: Guild | None = None) -> dict[str, dict[str, Any]]:
        return dict(self.guild_commands.get(guild.id, {})) if guild else dict(self.global_commands)


@contextlib.asynccontextmanager
async def running_fake(**kwargs: Any) -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord(**kwargs)
    await fake.start()
    try:
        with fake.patched_discord():
            yield fake
    finally:
        await fake.stop()


def _modal_inputs(modal: dict[str, Any]) -> list[dict[str, Any]]:
    inputs = []
    for row in modal.get("components") or []:
        inputs += [row["component"]] if row.get("type") == 18 else row.get("components") or []
    return [c for c in inputs if c.get("type") == 4]
