"""A wire-level fake Discord for end-to-end tests (a package of the test suite, not of the bot)."""

from tests.fakediscord.model import Channel, Guild, Member, Message, Overwrite, P, Role, User
from tests.fakediscord.server import DiscordError, FakeDiscord, InteractionRecord, running_fake

__all__ = [
    "Channel",
    "DiscordError",
    "FakeDiscord",
    "Guild",
    "InteractionRecord",
    "Member",
    "Message",
    "Overwrite",
    "P",
    "Role",
    "User",
    "running_fake",
]
