"""Moderation: reject-reason catalogue, decisions with audit, item locks."""
