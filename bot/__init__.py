"""Tearjerker: a Discord bot for people who need a good cry."""
