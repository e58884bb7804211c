"""Channels and the immutable submission envelope: everything received is stored first."""
