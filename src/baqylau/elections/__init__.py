"""Elections, contests, choices, the administrative tree and official results."""
