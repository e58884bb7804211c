"""Protocol forms (data), the validation engine, protocol copies and reconciliation."""
