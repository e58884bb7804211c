"""Stations in natural order everywhere they are listed: №1, №2, №10 (never text order)."""

from baqylau.elections.selectors import natural_key


def test_natural_key_orders_numbers_as_numbers():
    codes = ["10", "2", "1", "237", "23", "100-1", "100-10", "100-2", "A7", "A10"]
    assert sorted(codes, key=natural_key) == [
        "1", "2", "10", "23", "100-1", "100-2", "100-10", "237", "A7", "A10",
    ]  # fmt: skip


def test_paths_sort_naturally_level_by_level():
    paths = ["KZ/01/10", "KZ/01/2", "KZ/02/1", "KZ/01/1"]
    assert sorted(paths, key=natural_key) == ["KZ/01/1", "KZ/01/2", "KZ/01/10", "KZ/02/1"]
