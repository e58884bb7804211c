"""The independent count, comparison with official results, estimates (pure core in engine.py)."""
