"""Group commit (pure threading): batching, hand-over, and one bad item failing alone."""

import threading
import time

import pytest

from baqylau.intake.group_commit import GroupCommit


class Store:
    """A slow batch writer that records what it wrote; items equal to "bad" make a batch fail."""

    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.written: list = []
        self.batches: list[list] = []
        self.lock = threading.Lock()

    def write_batch(self, items):
        time.sleep(self.delay)
        if "bad" in items:
            raise ValueError("bad item")
        with self.lock:
            self.batches.append(list(items))
            self.written.extend(items)


def run_threads(group: GroupCommit, items: list) -> dict:
    results: dict = {}

    def one(item):
        try:
            results[item] = ("ok", group.submit(item))
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[item] = ("error", exc)

    threads = [threading.Thread(target=one, args=(item,)) for item in items]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a submitter never returned"
    return results


def test_a_lone_caller_writes_its_own_item_at_once():
    store = Store()
    group = GroupCommit(store.write_batch)
    assert group.submit("a") == "a"
    assert group.submit("b") == "b"
    assert store.batches == [["a"], ["b"]]


def test_concurrent_items_are_written_together_and_each_exactly_once():
    store = Store(delay=0.02)
    group = GroupCommit(store.write_batch)
    items = [f"r{i}" for i in range(60)]
    results = run_threads(group, items)
    assert {k: v[0] for k, v in results.items()} == dict.fromkeys(items, "ok")
    assert sorted(store.written) == sorted(items)
    assert len(store.batches) < len(items)  # some were batched
    assert max(len(b) for b in store.batches) > 1
    assert sum(group.batch_sizes) == len(items)


def test_batches_are_capped():
    store = Store(delay=0.02)
    group = GroupCommit(store.write_batch, max_batch=5)
    run_threads(group, [f"r{i}" for i in range(40)])
    assert max(len(b) for b in store.batches) <= 5
    assert len(store.written) == 40


def test_one_bad_item_fails_alone_and_the_others_are_written():
    store = Store(delay=0.02)
    group = GroupCommit(store.write_batch)
    items = [f"r{i}" for i in range(20)] + ["bad"]
    results = run_threads(group, items)
    assert results["bad"][0] == "error"
    assert isinstance(results["bad"][1], ValueError)
    assert all(results[i][0] == "ok" for i in items if i != "bad")
    assert sorted(store.written) == sorted(i for i in items if i != "bad")


def test_a_lone_failing_item_raises_to_its_caller_and_the_group_recovers():
    store = Store()
    group = GroupCommit(store.write_batch)
    with pytest.raises(ValueError):
        group.submit("bad")
    assert group.submit("after") == "after"
    assert store.written == ["after"]


def test_write_one_is_used_for_the_retry_of_a_failed_batch():
    store = Store(delay=0.02)
    alone: list = []

    def write_one(item):
        alone.append(item)
        if item == "bad":
            store.write_batch(["rescued"])  # e.g. stored as rejected instead
            return
        store.write_batch([item])

    group = GroupCommit(store.write_batch, write_one)
    results = run_threads(group, [f"r{i}" for i in range(10)] + ["bad"])
    assert results["bad"][0] == "ok"
    assert "rescued" in store.written
    assert "bad" in alone
