"""The weekly poll: its pure arithmetic (plan) and its protocol (service)."""
