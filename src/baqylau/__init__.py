"""Baqylau: independent election observation platform."""

__version__ = "0.1.0"
