"""Multi-key commands whose keys live on different shards.

Keys are picked with keyslot.py so that they fall in different halves of the
slot space (different shards with 2 shards; with 1 shard, or against
redis-server, the same commands simply run locally and must answer the same).
"""
import random
import re
import time

import pytest
import redis

from keyslot import key_slot, keys_on_shard, shard_of, split_count
from resp_socket import RespError, decode, encode_command

E = RespError


@pytest.fixture
def nsplit(server, r):
    return split_count(server.shards)


@pytest.fixture
def raw(server, r):
    conn = server.conn()
    yield conn
    conn.close()


def on(shard, nsplit, count=1, prefix="key"):
    keys = keys_on_shard(shard, nsplit, count, prefix)
    return keys if count > 1 else keys[0]


# ---------------------------------------------------------------- keyslot.py itself

# Checked against CLUSTER KEYSLOT of redis-server 7.0 started with
# --cluster-enabled yes.
KNOWN_SLOTS = [
    (b"", 0),
    (b"a", 15495),
    (b"foo", 12182),
    (b"hello", 866),
    (b"123456789", 12739),
    (b"{user1000}.following", 3443),
    (b"foo{}{bar}", 8363),
    (b"foo{{bar}}zap", 4015),
    (b"a}b{c}", 7365),
    (b"key:0", 2592),
    (b"key:1", 6657),
    (b"\xff\xfe", 3374),
    (b"{}", 15257),
]


@pytest.mark.parametrize("key,slot", KNOWN_SLOTS)
def test_key_slot_matches_redis_cluster_keyslot(key, slot):
    assert key_slot(key) == slot


def test_hash_tag_selects_the_slot():
    assert key_slot("{user1000}.followers") == key_slot("user1000")
    assert key_slot("foo{bar}{zap}") == key_slot("bar")
    assert key_slot("foo{{bar}}") == key_slot("{bar")
    # An empty tag means the whole key is hashed.
    assert key_slot("foo{}{bar}") != key_slot("bar")


def test_shard_of_splits_the_slot_space_into_contiguous_ranges():
    assert shard_of(b"hello", 2) == 0      # slot 866
    assert shard_of(b"foo{}{bar}", 2) == 1  # slot 8363
    assert shard_of(b"a", 2) == 1          # slot 15495
    assert shard_of(b"a", 4) == 3
    assert shard_of(b"foo{}{bar}", 4) == 2
    assert shard_of(b"a", 1) == 0


def test_keys_on_shard_returns_distinct_keys_on_that_shard():
    for nshards in (2, 3, 8):
        for shard in range(nshards):
            keys = keys_on_shard(shard, nshards, 20, prefix="t")
            assert len(set(keys)) == 20
            assert all(shard_of(k, nshards) == shard for k in keys)


# ---------------------------------------------------------------- multi-key string commands

def test_mset_then_mget_across_shards_in_request_order(r, nsplit):
    a0, b0 = on(0, nsplit, 2, "a")
    a1, b1 = on(1, nsplit, 2, "a")
    assert r.mset({a0: "v-a0", a1: "v-a1", b0: "v-b0", b1: "v-b1"}) is True
    assert r.mget(b1, a0, a1, b0) == [b"v-b1", b"v-a0", b"v-a1", b"v-b0"]
    assert [r.get(k) for k in (a0, a1, b0, b1)] == [b"v-a0", b"v-a1", b"v-b0", b"v-b1"]


def test_mget_across_shards_with_missing_and_repeated_keys(r, nsplit):
    k0, m0 = on(0, nsplit, 2, "g")
    k1, m1 = on(1, nsplit, 2, "g")
    r.set(k0, "zero")
    r.set(k1, "one")
    assert r.mget(k0, m1, k1, m0, k0, k1) == [b"zero", None, b"one", None, b"zero", b"one"]


def test_mget_over_every_shard_with_many_keys(r, nsplit):
    keys = []
    for shard in range(nsplit):
        keys += on(shard, nsplit, 25, "many")
    random.Random(5).shuffle(keys)
    r.mset({k: "val:" + k for k in keys})
    assert r.mget(keys) == [("val:" + k).encode() for k in keys]


def test_mset_across_shards_with_a_repeated_key_keeps_the_last_value(raw, r, nsplit):
    k0 = on(0, nsplit, prefix="rep")
    k1 = on(1, nsplit, prefix="rep")
    assert raw.call_decoded("MSET", k0, "1", k1, "2", k0, "3") == b"OK"
    assert r.mget(k0, k1) == [b"3", b"2"]


def test_mset_across_shards_clears_ttls(r, nsplit):
    k0 = on(0, nsplit, prefix="ttl")
    k1 = on(1, nsplit, prefix="ttl")
    r.set(k0, "old", ex=100)
    r.set(k1, "old", ex=100)
    r.mset({k0: "new", k1: "new"})
    assert (r.ttl(k0), r.ttl(k1)) == (-1, -1)


def test_msetnx_across_shards_sets_all_when_none_exist(r, nsplit):
    k0 = on(0, nsplit, prefix="nx")
    k1 = on(1, nsplit, prefix="nx")
    assert r.msetnx({k0: "a", k1: "b"}) is True
    assert r.mget(k0, k1) == [b"a", b"b"]


@pytest.mark.parametrize("existing_shard", [0, 1])
def test_msetnx_across_shards_sets_nothing_when_a_key_on_any_shard_exists(r, nsplit, existing_shard):
    k0a, k0b = on(0, nsplit, 2, "nx")
    k1a, k1b = on(1, nsplit, 2, "nx")
    existing = k0b if existing_shard == 0 else k1b
    r.set(existing, "orig")
    assert r.msetnx({k0a: "x", k1a: "x", k0b: "x", k1b: "x"}) is False
    expected = {k0a: None, k1a: None, k0b: None, k1b: None}
    expected[existing] = b"orig"
    assert r.mget(k0a, k1a, k0b, k1b) == [expected[k] for k in (k0a, k1a, k0b, k1b)]
    assert r.dbsize() == 1


@pytest.mark.parametrize("cmd", ["DEL", "UNLINK"])
def test_del_across_shards_counts_each_removed_key_once(r, nsplit, cmd):
    k0, m0 = on(0, nsplit, 2, "d")
    k1, m1 = on(1, nsplit, 2, "d")
    keep = on(1, nsplit, prefix="keep")
    r.mset({k0: "1", k1: "1", keep: "1"})
    assert r.execute_command(cmd, k0, m1, k1, m0, k0, k1) == 2
    assert r.exists(k0, k1) == 0
    assert r.get(keep) == b"1"


def test_exists_and_touch_across_shards_count_repeats(r, nsplit):
    k0, m0 = on(0, nsplit, 2, "e")
    k1, m1 = on(1, nsplit, 2, "e")
    r.mset({k0: "1", k1: "1"})
    assert r.exists(k0, k1, m0, m1, k1, k0, k1) == 5
    assert r.touch(k1, m0, k0, m1, k0) == 3


def test_multi_key_commands_skip_expired_keys_on_every_shard(r, nsplit):
    k0 = on(0, nsplit, prefix="x")
    k1 = on(1, nsplit, prefix="x")
    r.set(k0, "v", px=30)
    r.set(k1, "v", px=30)
    time.sleep(0.06)
    assert r.mget(k0, k1) == [None, None]
    assert r.exists(k0, k1) == 0
    assert r.delete(k0, k1) == 0


def test_writes_across_shards_are_visible_to_another_connection_after_the_reply(server, r, nsplit):
    k0 = on(0, nsplit, prefix="vis")
    k1 = on(1, nsplit, prefix="vis")
    other = server.client()
    try:
        for i in range(50):
            r.mset({k0: str(i), k1: str(i)})
            assert other.mget(k0, k1) == [str(i).encode()] * 2
            r.delete(k0, k1)
            assert other.exists(k0, k1) == 0
    finally:
        other.close()


# ---------------------------------------------------------------- RENAME / RENAMENX between shards

DIRECTIONS = [(0, 1), (1, 0)]


@pytest.mark.parametrize("src_shard,dst_shard", DIRECTIONS)
def test_rename_between_shards_moves_value_and_ttl(r, nsplit, src_shard, dst_shard):
    src = on(src_shard, nsplit, prefix="src")
    dst = on(dst_shard, nsplit, prefix="dst")
    r.set(src, b"\x00value\r\n", px=80000)
    assert r.rename(src, dst) is True
    assert r.exists(src) == 0
    assert r.get(dst) == b"\x00value\r\n"
    assert 70000 < r.pttl(dst) <= 80000


@pytest.mark.parametrize("src_shard,dst_shard", DIRECTIONS)
def test_rename_between_shards_overwrites_destination_and_its_ttl(r, nsplit, src_shard, dst_shard):
    src = on(src_shard, nsplit, prefix="src")
    dst = on(dst_shard, nsplit, prefix="dst")
    r.set(src, "new")
    r.set(dst, "old", ex=100)
    assert r.rename(src, dst) is True
    assert r.get(dst) == b"new"
    assert r.ttl(dst) == -1
    assert r.dbsize() == 1


@pytest.mark.parametrize("src_shard,dst_shard", DIRECTIONS)
def test_rename_between_shards_keeps_an_absolute_expire_time(r, nsplit, src_shard, dst_shard):
    src = on(src_shard, nsplit, prefix="src")
    dst = on(dst_shard, nsplit, prefix="dst")
    r.set(src, "v", pxat=9999999999123)
    r.rename(src, dst)
    assert r.execute_command("PEXPIRETIME", dst) == 9999999999123


@pytest.mark.parametrize("src_shard,dst_shard", DIRECTIONS)
def test_rename_between_shards_keeps_integer_encoding(r, nsplit, src_shard, dst_shard):
    src = on(src_shard, nsplit, prefix="src")
    dst = on(dst_shard, nsplit, prefix="dst")
    r.set(src, "12345")
    r.rename(src, dst)
    assert r.object("encoding", dst) == b"int"
    assert r.incr(dst) == 12346


@pytest.mark.parametrize("cmd", ["RENAME", "RENAMENX"])
@pytest.mark.parametrize("src_shard,dst_shard", DIRECTIONS)
def test_rename_between_shards_of_a_missing_key_is_no_such_key(r, raw, nsplit, cmd, src_shard, dst_shard):
    src = on(src_shard, nsplit, prefix="src")
    dst = on(dst_shard, nsplit, prefix="dst")
    r.set(dst, "stay")
    assert raw.call_decoded(cmd, src, dst) == E("ERR no such key")
    assert r.get(dst) == b"stay"


@pytest.mark.parametrize("src_shard,dst_shard", DIRECTIONS)
def test_renamenx_between_shards_moves_to_a_missing_destination(r, nsplit, src_shard, dst_shard):
    src = on(src_shard, nsplit, prefix="src")
    dst = on(dst_shard, nsplit, prefix="dst")
    r.set(src, "v", ex=100)
    assert r.renamenx(src, dst) is True
    assert r.exists(src) == 0
    assert r.get(dst) == b"v"
    # The TTL travelled (a window, not ttl == 100: under injected loss a
    # retransmission can take a second).
    assert 90000 < r.pttl(dst) <= 100000


@pytest.mark.parametrize("src_shard,dst_shard", DIRECTIONS)
def test_renamenx_between_shards_to_an_existing_key_changes_nothing(r, nsplit, src_shard, dst_shard):
    src = on(src_shard, nsplit, prefix="src")
    dst = on(dst_shard, nsplit, prefix="dst")
    r.set(src, "a", ex=50)
    r.set(dst, "b", ex=100)
    assert r.renamenx(src, dst) is False
    assert r.mget(src, dst) == [b"a", b"b"]
    assert 40000 < r.pttl(src) <= 50000 and 90000 < r.pttl(dst) <= 100000


def test_rename_chain_visits_every_shard_and_returns(r, nsplit):
    hops = [on(s, nsplit, prefix="hop") for s in range(nsplit)] + [on(0, nsplit, 2, "hop")[1]]
    r.set(hops[0], "traveller", ex=100)
    for src, dst in zip(hops, hops[1:]):
        assert r.rename(src, dst) is True
    assert r.dbsize() == 1
    assert r.get(hops[-1]) == b"traveller"
    assert 90000 < r.pttl(hops[-1]) <= 100000


# ---------------------------------------------------------------- whole-keyspace commands

@pytest.fixture
def spread(r, nsplit):
    """40 keys on every shard."""
    keys = []
    for shard in range(nsplit):
        keys += on(shard, nsplit, 40, "s%d" % shard)
    r.mset({k: "v" for k in keys})
    return {k.encode() for k in keys}


def test_dbsize_counts_keys_of_every_shard(r, spread):
    assert r.dbsize() == len(spread)


def test_keys_returns_keys_of_every_shard(r, spread):
    assert sorted(r.keys("*")) == sorted(spread)
    assert sorted(r.keys("s1:*")) == sorted(k for k in spread if k.startswith(b"s1:"))


def test_scan_returns_keys_of_every_shard(r, spread):
    for count in (1, 10, 1000):
        cursor, seen = 0, set()
        for _ in range(10000):
            cursor, keys = r.scan(cursor=cursor, count=count)
            seen.update(keys)
            if cursor == 0:
                break
        assert cursor == 0
        assert seen == spread


def test_scan_match_across_shards(r, spread):
    want = {k for k in spread if k.startswith(b"s0:")}
    assert set(r.scan_iter(match="s0:*", count=5)) == want


@pytest.mark.parametrize("shard", [0, 1])
def test_randomkey_finds_the_only_key_whichever_shard_holds_it(r, nsplit, shard):
    key = on(shard, nsplit, prefix="only")
    r.set(key, "v")
    for _ in range(5):
        assert r.randomkey() == key.encode()


def test_randomkey_returns_keys_from_every_shard(r, nsplit):
    keys = {on(s, nsplit, prefix="rk").encode() for s in range(nsplit)}
    for k in keys:
        r.set(k, "v")
    seen = set()
    for _ in range(300):
        seen.add(r.randomkey())
        if seen == keys:
            break
    assert seen == keys


def test_flushall_empties_every_shard(r, spread):
    assert r.flushall() is True
    assert r.dbsize() == 0
    assert r.keys("*") == []
    assert r.randomkey() is None


@pytest.mark.timing
def test_active_expiry_runs_on_every_shard(r, nsplit):
    keep = []
    for shard in range(nsplit):
        keep.append(on(shard, nsplit, prefix="keep"))
        for key in on(shard, nsplit, 15, "vol"):
            r.set(key, "v", px=100)
    for key in keep:
        r.set(key, "v")
    assert r.dbsize() == 16 * nsplit
    deadline = time.monotonic() + 3.0
    size = r.dbsize()
    while size != nsplit and time.monotonic() < deadline:
        time.sleep(0.05)
        size = r.dbsize()
    assert size == nsplit
    assert sorted(r.keys("*")) == sorted(k.encode() for k in keep)


# ---------------------------------------------------------------- pipelining across shards

INT_RE = re.compile(rb"-?[1-9][0-9]*|0")


def _is_int64(value):
    return INT_RE.fullmatch(value) is not None and -2 ** 63 <= int(value) < 2 ** 63


def _build_pipeline(keys, rng, count):
    """`count` commands over `keys` plus the reply each must get, computed on
    a model of the keyspace. Errors are expected as their message text."""
    model = {}
    commands, expected = [], []
    for _ in range(count):
        op = rng.choice(["SET", "GET", "INCR", "INCRBY", "APPEND", "STRLEN", "DEL",
                         "EXISTS", "MGET", "MSET", "GETSET"])
        k = rng.choice(keys)
        if op == "SET":
            v = rng.choice([b"v%d" % rng.randrange(1000), b"%d" % rng.randrange(-50, 50)])
            model[k] = v
            commands.append(("SET", k, v))
            expected.append(True)
        elif op == "GET":
            commands.append(("GET", k))
            expected.append(model.get(k))
        elif op in ("INCR", "INCRBY"):
            by = 1 if op == "INCR" else rng.randrange(-100, 100)
            commands.append(("INCR", k) if op == "INCR" else ("INCRBY", k, by))
            cur = model.get(k, b"0")
            if _is_int64(cur):
                model[k] = b"%d" % (int(cur) + by)
                expected.append(int(model[k]))
            else:
                expected.append("value is not an integer or out of range")
        elif op == "APPEND":
            s = rng.choice([b"x", b"yz", b""])
            model[k] = model.get(k, b"") + s
            commands.append(("APPEND", k, s))
            expected.append(len(model[k]))
        elif op == "STRLEN":
            commands.append(("STRLEN", k))
            expected.append(len(model.get(k, b"")))
        elif op == "DEL":
            ks = rng.sample(keys, 3)
            commands.append(("DEL",) + tuple(ks))
            expected.append(sum(1 for x in ks if model.pop(x, None) is not None))
        elif op == "EXISTS":
            ks = [rng.choice(keys) for _ in range(4)]
            commands.append(("EXISTS",) + tuple(ks))
            expected.append(sum(1 for x in ks if x in model))
        elif op == "MGET":
            ks = [rng.choice(keys) for _ in range(4)]
            commands.append(("MGET",) + tuple(ks))
            expected.append([model.get(x) for x in ks])
        elif op == "MSET":
            ks = rng.sample(keys, 3)
            args = []
            for x in ks:
                v = b"m%d" % rng.randrange(1000)
                model[x] = v
                args += [x, v]
            commands.append(("MSET",) + tuple(args))
            expected.append(True)
        else:
            v = b"g%d" % rng.randrange(1000)
            commands.append(("GETSET", k, v))
            expected.append(model.get(k))
            model[k] = v
    return commands, expected, model


def test_pipeline_of_mixed_commands_over_every_shard_replies_in_order(r, nsplit):
    keys = []
    for shard in range(nsplit):
        keys += [k.encode() for k in on(shard, nsplit, 6, "p")]
    commands, expected, model = _build_pipeline(keys, random.Random(20240611), 1000)
    pipe = r.pipeline(transaction=False)
    for cmd in commands:
        pipe.execute_command(*cmd)
    replies = pipe.execute(raise_on_error=False)
    assert len(replies) == len(commands)
    for i, (cmd, want, got) in enumerate(zip(commands, expected, replies)):
        if isinstance(want, str):
            assert isinstance(got, redis.exceptions.ResponseError), (i, cmd, got)
            assert str(got) == want, (i, cmd)
        else:
            assert got == want, (i, cmd, got, want)
    assert r.mget(keys) == [model.get(k) for k in keys]


def test_raw_pipeline_in_one_send_replies_in_order(raw, nsplit):
    # One write carrying commands for both shards, so that the replies of a
    # fast local command can not overtake a slower remote one.
    k0 = on(0, nsplit, prefix="raw").encode()
    k1 = on(1, nsplit, prefix="raw").encode()
    batch = []
    for i in range(200):
        batch.append(encode_command("INCR", k0 if i % 2 else k1))
        batch.append(encode_command("MGET", k0, k1))
    raw.send(b"".join(batch))
    frames = raw.read_frames(len(batch))
    n0 = n1 = 0
    for i, frame in enumerate(frames):
        if i % 2 == 0:
            if (i // 2) % 2:
                n0 += 1
                assert frame == b":%d\r\n" % n0, i
            else:
                n1 += 1
                assert frame == b":%d\r\n" % n1, i
        else:
            assert decode(frame) == [b"%d" % n0 if n0 else None, b"%d" % n1 if n1 else None], i
