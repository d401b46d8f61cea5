"""Thin feature cogs: Discord events in, calls on `bot/` modules, embeds out."""
