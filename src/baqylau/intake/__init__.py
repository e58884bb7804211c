"""Channels and the immutable submission envelope: everything received is stored before it is answered."""
