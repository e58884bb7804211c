"""Statistical signs of falsification over station-level results (pure numpy/scipy, no Django)."""
