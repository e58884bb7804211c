"""Synthetic elections with injected fraud and stored ground truth (engine is pure numpy)."""
