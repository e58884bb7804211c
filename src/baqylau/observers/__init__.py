"""Observer organisations, coalitions, observers (pseudonymous), placement and coverage."""
