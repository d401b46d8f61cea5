"""What the fake Discord knows: users, guilds, channels, roles, members, messages, and their JSON shapes.

Payload shapes follow discord.py's `discord/types/*.py`, which is the spec the real client parses.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1420070400000
_counter = itertools.count(1)


def snowflake(at: float | None = None) -> int:
    """A real-shaped id: milliseconds since Discord's epoch, then a counter that keeps ids unique."""
    ms = int((time.time() if at is None else at) * 1000) - DISCORD_EPOCH_MS
    return (ms << 22) | (next(_counter) & 0x3FFFFF)


def iso_now() -> str:
    return datetime.now(UTC).isoformat()


# Permission bits used by the bot and the fake's checks (discord.py's Permissions flags).
class P:
    CREATE_INSTANT_INVITE = 1 << 0
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    READ_MESSAGE_HISTORY = 1 << 16
    USE_EXTERNAL_EMOJIS = 1 << 18
    USE_APPLICATION_COMMANDS = 1 << 31
    SEND_MESSAGES_IN_THREADS = 1 << 38
    SEND_POLLS = 1 << 49
    ALL = (1 << 53) - 1
    # What @everyone has in a new server, roughly.
    EVERYONE_DEFAULT = (
        CREATE_INSTANT_INVITE
        | ADD_REACTIONS
        | VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | READ_MESSAGE_HISTORY
        | USE_EXTERNAL_EMOJIS
        | USE_APPLICATION_COMMANDS
        | SEND_MESSAGES_IN_THREADS
        | SEND_POLLS
    )


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "public_flags": 0,
        }


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int = 1

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "hoist": False,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": False,
            "mentionable": False,
            "flags": 0,
        }


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def payload(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass
class Channel:
    id: int
    guild_id: int
    name: str
    type: int = 0  # GUILD_TEXT
    position: int = 0
    overwrites: list[Overwrite] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "type": self.type,
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [o.payload() for o in self.overwrites],
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        }


@dataclass
class Member:
    user: User
    guild_id: int
    roles: list[int] = field(default_factory=list)
    locale: str = "en-US"
    joined_at: str = field(default_factory=iso_now)

    def payload(self, permissions: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "user": self.user.payload(),
            "roles": [str(r) for r in self.roles],
            "joined_at": self.joined_at,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "nick": None,
            "avatar": None,
            "pending": False,
        }
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    preferred_locale: str = "en-US"
    roles: dict[int, Role] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    emojis: list[dict[str, Any]] = field(default_factory=list)

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def shard_id(self, shard_count: int) -> int:
        return (self.id >> 22) % shard_count

    def base_permissions(self, member: Member) -> int:
        if member.user.id == self.owner_id:
            return P.ALL
        perms = self.everyone.permissions
        for role_id in member.roles:
            perms |= self.roles[role_id].permissions
        return P.ALL if perms & P.ADMINISTRATOR else perms

    def permissions_in(self, member: Member, channel: Channel) -> int:
        """Discord's algorithm: base, then @everyone, role and member overwrites, in that order."""
        perms = self.base_permissions(member)
        if perms & P.ADMINISTRATOR:
            return P.ALL
        by_id = {o.id: o for o in channel.overwrites}
        if self.id in by_id:
            perms = (perms & ~by_id[self.id].deny) | by_id[self.id].allow
        allow = deny = 0
        for role_id in member.roles:
            if role_id in by_id:
                allow |= by_id[role_id].allow
                deny |= by_id[role_id].deny
        perms = (perms & ~deny) | allow
        if member.user.id in by_id:
            perms = (perms & ~by_id[member.user.id].deny) | by_id[member.user.id].allow
        return perms

    def create_payload(self, members: list[Member] | None = None) -> dict[str, Any]:
        """GUILD_CREATE; like Discord's, it carries the bot's own member (with its roles) at least."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": self.emojis,
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "banner": None,
            "premium_tier": 0,
            "preferred_locale": self.preferred_locale,
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
            "joined_at": iso_now(),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "voice_states": [],
            "members": [m.payload() for m in members or []],
            "channels": [c.payload() for c in self.channels.values()],
            "threads": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
        }


@dataclass
class Reaction:
    emoji: str
    users: list[int] = field(default_factory=list)
    burst_users: list[int] = field(default_factory=list)


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    poll: dict[str, Any] | None = None
    allowed_mentions: dict[str, Any] | None = None
    type: int = 0
    interaction_id: int | None = None
    webhook_id: int | None = None
    reactions: dict[str, Reaction] = field(default_factory=dict)
    files: list[tuple[str, bytes]] = field(default_factory=list)  # attachments: (filename, content)
    reference: dict[str, Any] | None = None  # message_reference: what this message points at
    deleted: bool = False
    edited: bool = False
    created: float = field(default_factory=time.time)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    def payload(self, viewer_id: int | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": datetime.fromtimestamp(self.created, UTC).isoformat(),
            "edited_timestamp": iso_now() if self.edited else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [
                {
                    "id": str(self.id + i + 1),
                    "filename": name,
                    "size": len(content),
                    "url": f"https://cdn.discordapp.invalid/attachments/{self.channel_id}/{self.id}/{name}",
                    "proxy_url": f"https://media.discordapp.invalid/attachments/{self.channel_id}/{self.id}/{name}",
                }
                for i, (name, content) in enumerate(self.files)
            ],
            "embeds": self.embeds,
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
            "components": self.components,
        }
        if self.reference is not None:
            data["message_reference"] = self.reference
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.poll is not None:
            data["poll"] = {k: v for k, v in self.poll.items() if not k.startswith("_")}
            if not self.poll["results"]["is_finalized"]:
                # Like Discord, the counts of a poll in progress, for the answers that have votes.
                data["poll"]["results"] = {
                    "is_finalized": False,
                    "answer_counts": [
                        {"id": aid, "count": len(voters), "me_voted": viewer_id in voters}
                        for aid, voters in self.poll["_votes"].items()
                        if voters
                    ],
                }
        if self.reactions:
            data["reactions"] = [
                {
                    "emoji": {"id": None, "name": r.emoji},
                    "count": len(r.users) + len(r.burst_users),
                    "count_details": {"normal": len(r.users), "burst": len(r.burst_users)},
                    "me": viewer_id in r.users,
                    "me_burst": viewer_id in r.burst_users,
                    "burst_colors": [],
                }
                for r in self.reactions.values()
                if r.users or r.burst_users
            ]
        return data

    # Convenience for tests.
    @property
    def embed(self) -> dict[str, Any]:
        assert self.embeds, f"message {self.id} has no embed"
        return self.embeds[0]

    def custom_ids(self) -> list[str]:
        return [
            c["custom_id"] for row in self.components for c in row.get("components", []) if "custom_id" in c
        ]

    def field(self, name: str) -> str:
        for f in self.embed.get("fields", []):
            if f["name"] == name:
                return f["value"]
        raise KeyError(f"no embed field {name!r} in {[f['name'] for f in self.embed.get('fields', [])]}")
