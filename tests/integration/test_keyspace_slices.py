"""The keyspace under whole-keyspace commands and heavy churn: a SCAN cursor
survives the table doubling several times and shrinking to a tenth; KEYS,
which Tessera runs in slices between poll iterations, still returns every
key exactly once while another connection writes; one SCAN call does a
bounded amount of work whatever COUNT asks; FLUSHALL empties at once and
frees the memory in the background."""
import threading
import time

import pytest

from server_fixture import target

TESSERA = target() == "tessera"
tessera_only = pytest.mark.skipif(not TESSERA, reason="Tessera's slicing; Redis blocks")


def fill(r, prefix, n, batch=5000):
    for start in range(0, n, batch):
        p = r.pipeline(transaction=False)
        for i in range(start, min(n, start + batch)):
            p.set("%s:%d" % (prefix, i), "v")
        p.execute()


def delete_range(r, prefix, start, stop, batch=5000):
    for s in range(start, stop, batch):
        r.delete(*["%s:%d" % (prefix, i) for i in range(s, min(stop, s + batch))])


def scan_all(r, between_calls, count=100):
    cursor, seen, calls = 0, [], 0
    while True:
        cursor, keys = r.scan(cursor=cursor, count=count)
        seen.extend(keys)
        calls += 1
        between_calls(calls)
        if cursor == 0:
            return seen, calls
        assert calls < 100000


def test_scan_returns_every_stable_key_while_the_table_doubles_several_times(r):
    stable = {("stable:%d" % i).encode() for i in range(2000)}
    fill(r, "stable", 2000)
    added = [0]

    def grow(calls):
        # 20,000 more keys over the scan: the table doubles about four times.
        if added[0] < 20000:
            p = r.pipeline(transaction=False)
            for i in range(added[0], added[0] + 500):
                p.set("grown:%d" % i, "v")
            p.execute()
            added[0] += 500

    seen, _ = scan_all(r, grow)
    assert stable <= set(seen)
    assert r.dbsize() == 2000 + added[0]


def test_scan_returns_every_stable_key_while_the_table_shrinks_to_a_tenth(r):
    stable = {("stable:%d" % i).encode() for i in range(1000)}
    fill(r, "stable", 1000)
    fill(r, "doomed", 20000)
    deleted = [0]

    def shrink(calls):
        if deleted[0] < 20000:
            delete_range(r, "doomed", deleted[0], deleted[0] + 1000)
            deleted[0] += 1000

    seen, _ = scan_all(r, shrink)
    assert stable <= set(seen)
    assert r.dbsize() == 1000


def test_keys_returns_each_key_once_while_another_connection_writes(server, r):
    fill(r, "stable", 100000)
    stop = threading.Event()
    writes = [0]

    def writer():
        w = server.client()
        i = 0
        while not stop.is_set() and i < 200000:
            p = w.pipeline(transaction=False)
            for _ in range(200):
                p.set("churn:%d" % i, "v")
                i += 1
            p.execute()
        writes[0] = i
        w.close()

    t = threading.Thread(target=writer)
    t.start()
    try:
        keys = r.keys("stable:*")
    finally:
        stop.set()
        t.join(timeout=30)
    assert len(keys) == 100000
    assert len(set(keys)) == 100000
    assert writes[0] > 0


@tessera_only
def test_one_scan_call_does_bounded_work_whatever_count_asks(r):
    fill(r, "k", 200000)
    cursor, keys = r.scan(cursor=0, count=100000)
    # At most about 10,000 buckets a call: far fewer keys than asked, and a
    # cursor to go on with.
    assert cursor != 0
    assert 0 < len(keys) < 50000


@tessera_only
def test_flushall_empties_at_once_and_frees_the_memory_soon_after(r):
    fill(r, "k", 200000)
    used = r.info("memory")["used_memory_dataset"]
    assert r.flushall() is True
    assert r.dbsize() == 0
    assert r.get("k:1") is None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if r.info("memory")["used_memory_dataset"] < used // 10:
            break
        time.sleep(0.05)
    assert r.info("memory")["used_memory_dataset"] < used // 10
    # The keyspace works normally meanwhile and after.
    assert r.set("after", "v") is True
    assert r.dbsize() == 1
