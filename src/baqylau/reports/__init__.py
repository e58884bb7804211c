"""Election-day reports: check-in, checklists, turnout counts, violations (forms are data)."""
