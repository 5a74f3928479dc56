"""Eviction at maxmemory, replaying the OOM post-mortem: a 64 MB cache under
volatile-lfu whose keys were all written without a TTL fills up, and then
every write fails with Redis's OOM error, because a volatile-* policy may
evict only keys that have a TTL.

Every test starts its own server (maxmemory 64mb and a policy), with 1 and 2
shards against Tessera and once against redis-server
(TESSERA_TEST_TARGET=redis). Keys are written with 272-byte values in
pipelined batches of 1000 over a raw socket (redis-py's pure-Python reply
parser would make a 400k-key fill take many seconds); redis-py is used for
everything else, so that the error text checked is redis-py's ResponseError.

Shared assertions are Redis's real behaviour (checked against Debian's
redis-server 7.0). Tessera-only ones: the keyspace_hygiene INFO section and
its log line, and the per-shard lines of INFO memory.
"""
import socket
import time

import pytest
import redis

from conftest import start_server
from server_fixture import suite_dataplane, target

# Eviction is the engine's, whatever the dataplane; over DPDK on two busy
# cores the refusal point moves with connection-buffer timing (one flaky
# volatile-ttl case in CI), so it is proven on the kernel backends only.
pytestmark = pytest.mark.skipif(suite_dataplane() == "dpdk",
                                reason="engine behaviour; timing-sensitive over busy-poll DPDK")

MAXMEMORY = 64 * 1024 * 1024
VALUE = b"v" * 272
BATCH = 1000
BOUND = 1000000  # 64 MB holds about 170k keys; volatile-ttl with every other key
                 # given a TTL writes more than twice that before none is left
OOM = "OOM command not allowed when used memory > 'maxmemory'."
OOM_REPLY = b"-" + OOM.encode()

TESSERA = target() == "tessera"
SHARDS = [1, 2] if TESSERA else [1]
tessera_only = pytest.mark.skipif(not TESSERA, reason="Tessera's own INFO fields and log")

# Tessera evicts after every write, so between commands each shard is within
# its budget. Redis evicts before each command, and INFO's used_memory counts
# what INFO itself allocates while it runs: it was seen up to 40 bytes over
# maxmemory while evicting. Both stay far below one key (~350 bytes).
USED_SLACK = 0 if TESSERA else 256


def key(i):
    return b"key:%08d" % i


def set_command(i, ttl=None):
    k = key(i)
    cmd = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(VALUE), VALUE)
    if ttl is not None:
        t = b"%d" % ttl
        cmd = (b"*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nEX\r\n$%d\r\n%s\r\n"
               % (len(k), k, len(VALUE), VALUE, len(t), t))
    return cmd


class Writer:
    """Pipelined SETs on a raw socket. Every SET reply is one line (+OK or
    an error), so a batch's replies are its first len(batch) lines."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port))
        self.sock.settimeout(10)
        self.pending = b""

    def batch(self, commands):
        self.sock.sendall(b"".join(commands))
        replies = []
        while len(replies) < len(commands):
            end = self.pending.find(b"\r\n")
            if end < 0:
                data = self.sock.recv(1 << 20)
                if not data:
                    raise ConnectionError("server closed the connection")
                self.pending += data
                continue
            replies.append(self.pending[:end])
            self.pending = self.pending[end + 2:]
        return replies

    def close(self):
        self.sock.close()


@pytest.fixture(params=SHARDS, ids=lambda n: "%dshard" % n)
def launch(request):
    """launch(policy, **options) -> (server, redis-py client, Writer)."""
    started = []

    def _launch(policy, **options):
        options = dict({"maxmemory": "64mb", "maxmemory-policy": policy}, **options)
        srv = start_server(request.param, **options)
        started.append(srv)
        return srv, srv.client(), Writer(srv.host, srv.port)

    yield _launch
    for srv in started:
        status = srv.stop()
        assert status == 0, "server exited with %s:\n%s" % (status, srv.log_text()[-4000:])


def used_memory(r):
    return r.info("memory")["used_memory"]


def dataset_memory(r):
    return r.info("memory")["used_memory_dataset"]


def evicted_keys(r):
    return r.info("stats")["evicted_keys"]


def keyspace_counts(r):
    """(keys, keys with a TTL) from INFO keyspace."""
    db = r.info("keyspace").get("db0", {})
    return db.get("keys", 0), db.get("expires", 0)


def count_existing(r, indices):
    """How many of these keys exist (EXISTS counts, 1000 keys at a time)."""
    indices = list(indices)
    pipe = r.pipeline(transaction=False)
    for at in range(0, len(indices), 1000):
        pipe.exists(*[key(i) for i in indices[at:at + 1000]])
    return sum(pipe.execute())


def fill_until_error(w, start=0, bound=BOUND, ttl_of=lambda i: None, after_batch=None):
    """Write keys start.. in batches until a batch has an error reply or
    `bound` keys were written. Returns (next index, indices written OK,
    the failing batch's replies from its first error on, or [])."""
    ok = []
    i = start
    while i < bound:
        n = min(BATCH, bound - i)
        replies = w.batch([set_command(j, ttl_of(j)) for j in range(i, i + n)])
        ok.extend(i + x for x, reply in enumerate(replies) if reply == b"+OK")
        if after_batch:
            after_batch(i + n, ok)
        for j, reply in enumerate(replies):
            if reply != b"+OK":
                return i + n, ok, replies[j:]
        i += n
    return i, ok, []


# Keys written after the first refusal, always without a TTL, are numbered
# from here, so that a test can tell them from its own.
REFUSE_FROM = 10000000


def write_until_all_refused(w, ok, after_batch=None):
    """After a first refusal: write keys without a TTL (REFUSE_FROM..) until
    a whole batch is refused. With several shards each refuses once its own
    share of maxmemory is full, and the others fill up a little later; under
    volatile-* the TTL keys left anywhere are evicted first."""
    nxt = REFUSE_FROM
    for _ in range(50):
        replies = w.batch([set_command(j) for j in range(nxt, nxt + BATCH)])
        ok.extend(nxt + x for x, reply in enumerate(replies) if reply == b"+OK")
        assert set(replies) <= {b"+OK", OOM_REPLY}, set(replies)
        nxt += BATCH
        if after_batch:
            after_batch(nxt, ok)
        if set(replies) == {OOM_REPLY}:
            return ok
    pytest.fail("writes without a TTL were never all refused")


def fill_until_refused(w, ttl_of=lambda i: None, after_batch=None):
    """fill_until_error, then write_until_all_refused. Returns (indices
    written OK, the first error reply)."""
    _, ok, failed = fill_until_error(w, ttl_of=ttl_of, after_batch=after_batch)
    assert failed, "no write failed in %d keys" % BOUND
    return write_until_all_refused(w, ok, after_batch), failed[0]


def hygiene(r):
    return r.info("keyspace_hygiene")


def log_lines_with(srv, text, wait_s=0.0):
    """Lines of the server's log that contain `text`, polling up to wait_s."""
    deadline = time.time() + wait_s
    while True:
        lines = [l for l in srv.log_text().splitlines() if text in l]
        if lines or time.time() >= deadline:
            return lines
        time.sleep(0.05)


# ---- volatile-lfu and keys without TTL: the post-mortem -------------------

def test_volatile_lfu_without_ttls_refuses_writes_with_oom_once_full(launch):
    srv, r, w = launch("volatile-lfu")
    _, ok, failed = fill_until_error(w)
    # It filled up (64 MB holds ~170k such keys), then refused.
    assert failed, "no write failed in %d keys" % BOUND
    assert failed[0] == OOM_REPLY
    assert 100000 < len(ok) < 250000
    if srv.shards == 1:
        # Once refused, the rest of that pipelined batch is refused alike.
        # (With several shards, one whose share is not full yet still
        # accepts writes for its keys.)
        assert set(failed) == {OOM_REPLY}
    else:
        assert set(failed) <= {b"+OK", OOM_REPLY}
        write_until_all_refused(w, ok)
    # Nothing was evicted, nothing lost.
    assert evicted_keys(r) == 0
    assert r.dbsize() == len(ok)
    # What a client sees: redis-py's ResponseError with Redis's exact text,
    # for a new key and for an overwrite alike.
    for k in (b"brand-new-key", key(ok[-1])):
        with pytest.raises(redis.ResponseError) as err:
            r.set(k, VALUE)
        assert str(err.value) == OOM
    assert r.get(key(ok[-1])) == VALUE


def test_volatile_lfu_at_oom_reads_and_deletes_still_work_and_free_room(launch):
    srv, r, w = launch("volatile-lfu")
    ok, first = fill_until_refused(w)
    assert first == OOM_REPLY
    # Connection buffers count as used memory and shrink once the pipelined
    # batches are done, which can leave room for a few more keys: write
    # until the refusal comes back (bounded).
    extra = 0
    with pytest.raises(redis.ResponseError) as err:
        while extra < 1000:
            r.set(b"after:%d" % extra, VALUE)
            extra += 1
    assert str(err.value) == OOM
    # Reads are not refused.
    assert r.get(key(ok[0])) == VALUE
    assert r.get(key(ok[-1])) == VALUE
    assert r.exists(key(ok[1])) == 1
    assert r.dbsize() == len(ok) + extra
    # DEL is not refused, and frees memory. The keyspace's figure: used
    # memory also counts connection buffers, and this DEL's own request
    # (60 KB) grows one.
    before = dataset_memory(r)
    doomed = [key(i) for i in ok[:2000]]
    assert r.delete(*doomed) == 2000
    assert dataset_memory(r) < before - 2000 * len(VALUE)
    # Then writes succeed again.
    assert r.set(b"after", VALUE) is True
    assert r.get(b"after") == VALUE
    assert r.dbsize() == len(ok) + extra - 2000 + 1
    assert evicted_keys(r) == 0


@tessera_only
def test_volatile_lfu_without_ttls_warns_in_info_and_log_before_oom(launch):
    srv, r, w = launch("volatile-lfu")
    # Fresh server: no keys, no warning.
    assert hygiene(r)["hygiene_warning"] == "none"
    # 10k keys without a TTL: about 6% of maxmemory, far from OOM, and the
    # warning is already there.
    _, ok, failed = fill_until_error(w, bound=10000)
    assert failed == [] and len(ok) == 10000
    h = hygiene(r)
    assert h["hygiene_warning"].startswith(
        "maxmemory-policy volatile-lfu can evict only keys with a TTL, and they hold 0.0% "
        "of used memory (less than 10%): at maxmemory, writes will fail with OOM.")
    assert h["total"]["keys_with_ttl"] == 0
    assert h["total"]["keys_without_ttl"] == 10000
    assert h["total"]["bytes_with_ttl"] == 0
    assert h["total"]["evictable_perc"] == 0
    shards = [v for name, v in h.items() if name.startswith("shard")]
    assert len(shards) == srv.shards
    assert sum(s["keys_without_ttl"] for s in shards) == 10000
    lines = log_lines_with(srv, "# WARNING maxmemory-policy volatile-lfu can evict only keys "
                                "with a TTL", wait_s=2.0)
    assert len(lines) == 1, srv.log_text()[-2000:]
    # At OOM the warning is still there, and the log line is not repeated
    # within the minute.
    fill_until_error(w, start=10000)
    assert hygiene(r)["hygiene_warning"] != "none"
    assert len(log_lines_with(srv, "# WARNING maxmemory-policy")) == 1


@tessera_only
def test_allkeys_lru_never_raises_the_hygiene_warning(launch):
    srv, r, w = launch("allkeys-lru")
    _, ok, failed = fill_until_error(w, bound=250000)
    assert failed == []
    assert evicted_keys(r) > 0
    h = hygiene(r)
    assert h["hygiene_warning"] == "none"
    assert h["total"]["keys_with_ttl"] == 0
    assert h["total"]["evictable_perc"] > 99   # all but the shards' own state
    time.sleep(0.3)   # a few ticks: the log check runs on shard 0's tick
    assert log_lines_with(srv, "WARNING maxmemory-policy") == []


@tessera_only
def test_hygiene_counts_no_expired_keys_present_once_active_expiry_ran(launch):
    srv, r, w = launch("allkeys-lru")
    p = r.pipeline(transaction=False)
    for i in range(3000):
        p.set("soon:%d" % i, "v", px=1500)
        p.set("later:%d" % i, "v", ex=3600)
    p.execute()
    # Keys not due yet are not counted, on any shard.
    h = hygiene(r)
    shards = [v for name, v in h.items() if name.startswith("shard")]
    assert len(shards) == srv.shards
    assert [s["expired_present"] for s in shards] == [0] * srv.shards
    assert h["total"]["expired_present"] == 0
    # Past their TTL, the 3000 are deleted by active expiry without access.
    deadline = time.monotonic() + 6.0
    while r.dbsize() != 3000 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.dbsize() == 3000
    assert hygiene(r)["total"]["expired_present"] == 0


# ---- allkeys-*: writes never fail -----------------------------------------

@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-random"])
def test_allkeys_policies_never_refuse_writes_and_keep_used_memory_within_maxmemory(
        launch, policy):
    srv, r, w = launch(policy)
    samples = []

    def sample(i, ok):
        mem = r.info("memory")
        samples.append((i, mem["used_memory"]))

    _, ok, failed = fill_until_error(w, after_batch=sample)
    assert failed == []
    assert len(ok) == BOUND
    over = [(i, used) for i, used in samples if used > MAXMEMORY + USED_SLACK]
    assert over == [], "used_memory over maxmemory (%d) after these writes: %s" % (
        MAXMEMORY, over[:10])
    # It did fill up: the samples reach within 1% of maxmemory.
    assert max(used for _, used in samples) > MAXMEMORY * 0.99
    # Every key written is either still there or was evicted. A shard may
    # still be evicting in the background (its connections' buffers count
    # too), so read the pair until no eviction fell between the reads.
    for _ in range(100):
        evicted = evicted_keys(r)
        size = r.dbsize()
        if evicted_keys(r) == evicted:
            break
        time.sleep(0.05)
    assert evicted > 0
    assert evicted + size == BOUND
    assert r.info("memory")["maxmemory_policy"] == policy


# ---- volatile-ttl, half the keys with a TTL --------------------------------

def dataset_settled(r, quiet_s=0.3, limit_s=5.0):
    """Wait until used_memory_dataset (the keyspaces alone, not connection
    buffers) has not changed for quiet_s."""
    start = time.time()
    last, since = None, time.time()
    while time.time() - start < limit_s:
        now = int(r.info("memory")["used_memory_dataset"])
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= quiet_s:
            return
        time.sleep(0.05)


def test_volatile_ttl_evicts_only_ttl_keys_until_none_remain_then_refuses(launch):
    srv, r, w = launch("volatile-ttl")

    def ttl_of(i):
        return 3600 if i % 2 == 0 and i < REFUSE_FROM else None

    samples = []

    def sample(i, ok):
        # Every 25 batches: are all keys written without a TTL still there?
        # (Counted with EXISTS: INFO keyspace's keys and expires are not a
        # snapshot across shards while they evict.)
        if (i // BATCH) % 25 == 0:
            persistent = [j for j in ok if ttl_of(j) is None]
            samples.append((i, len(persistent), count_existing(r, persistent)))

    # Until the first refusal, then keys without a TTL until a whole batch
    # is refused: the TTL keys left (on any shard) are evicted first, then
    # there is nothing to evict.
    ok, first = fill_until_refused(w, ttl_of=ttl_of, after_batch=sample)
    assert first == OOM_REPLY
    # No key without a TTL was lost at any sample.
    assert len(samples) >= 10
    assert [s for s in samples if s[1] != s[2]] == []
    # Evicting the TTL keys left table segments sparse, and shards shrink
    # and merge those in the background: the memory that frees lets a few
    # more keys in. Wait until the keyspaces stop shrinking, then write keys
    # without a TTL, as a client would, until every shard refuses (20
    # refusals in a row).
    dataset_settled(r)
    extra = refused = attempts = 0
    while refused < 20 and attempts < 400:
        try:
            r.set(b"one-more:%d" % attempts, VALUE)
            extra += 1
            refused = 0
        except redis.ResponseError as err:
            assert str(err) == OOM
            refused += 1
        attempts += 1
    assert refused == 20
    # And now writes fail, with or without a TTL, as redis-py reports them.
    for k, ttl in ((b"one-more", None), (b"one-more", 100), (key(0), None)):
        with pytest.raises(redis.ResponseError) as err:
            r.set(k, VALUE, ex=ttl)
        assert str(err.value) == OOM
    persistent = [i for i in ok if ttl_of(i) is None]
    with_ttl = [i for i in ok if ttl_of(i) is not None]
    # No TTL key is left, every key without a TTL is: exactly the TTL keys
    # were evicted.
    keys, expires = keyspace_counts(r)
    assert expires == 0
    assert keys == len(persistent) + extra
    assert evicted_keys(r) == len(with_ttl)
    assert len(with_ttl) > 0
    assert count_existing(r, persistent) == len(persistent)
    assert count_existing(r, with_ttl) == 0


# ---- maxmemory lowered at run time -----------------------------------------

def test_config_set_lower_maxmemory_evicts_down_to_it_within_two_seconds(launch):
    srv, r, w = launch("allkeys-lru")
    _, ok, failed = fill_until_error(w, bound=250000)
    assert failed == []
    assert used_memory(r) > MAXMEMORY * 0.99
    keys_before = r.dbsize()
    new_max = MAXMEMORY // 2
    start = time.time()
    assert r.config_set("maxmemory", str(new_max)) is True
    used = used_memory(r)
    while used > new_max + USED_SLACK and time.time() - start < 2.0:
        time.sleep(0.02)
        used = used_memory(r)
    elapsed = time.time() - start
    assert used <= new_max + USED_SLACK, (
        "used_memory %d still over the new maxmemory %d after %.2f s (%d of %d keys left)"
        % (used, new_max, elapsed, r.dbsize(), keys_before))
    assert r.info("memory")["maxmemory"] == new_max
    # About half the keys went, and writes still succeed within the new limit.
    assert keys_before * 0.4 < r.dbsize() < keys_before * 0.6
    _, ok, failed = fill_until_error(w, start=BOUND, bound=BOUND + 20000)
    assert failed == []
    assert used_memory(r) <= new_max + USED_SLACK


# ---- INFO memory, per shard ------------------------------------------------

@tessera_only
def test_info_memory_shard_budgets_sum_to_maxmemory_and_each_shard_stays_within(launch):
    srv, r, w = launch("allkeys-lru")
    over = []

    def sample(i, ok):
        info = r.info("memory")
        for n in range(srv.shards):
            s = info["shard%d_memory" % n]
            if s["used"] > s["budget"]:
                over.append((i, n, s))

    _, ok, failed = fill_until_error(w, bound=250000, after_batch=sample)
    assert failed == []
    assert over == []
    info = r.info("memory")
    lines = [info["shard%d_memory" % n] for n in range(srv.shards)]
    assert "shard%d_memory" % srv.shards not in info
    budgets = [s["budget"] for s in lines]
    assert budgets == [MAXMEMORY // srv.shards] * srv.shards
    assert 0 <= MAXMEMORY - sum(budgets) < srv.shards
    # Every shard filled to near its budget and evicted; the totals agree.
    for s in lines:
        assert s["budget"] * 0.99 < s["used"] <= s["budget"]
        assert s["dataset"] <= s["used"]
        assert s["evicted_keys"] > 0
    assert sum(s["evicted_keys"] for s in lines) == evicted_keys(r)
    assert sum(s["used"] for s in lines) == info["used_memory"]
    assert info["used_memory"] <= info["maxmemory"] == MAXMEMORY
