"""Key commands: DEL UNLINK EXISTS TYPE TOUCH, the EXPIRE family with
NX/XX/GT/LT, TTL PTTL EXPIRETIME PEXPIRETIME PERSIST, RENAME RENAMENX,
RANDOMKEY, SCAN, KEYS, OBJECT; and lazy and active expiry.

Error replies are read through a raw RESP connection so that the "ERR "
prefix is checked too (redis-py strips it).
"""
import time

import pytest

from expected_errors import E, arity, bad_expire  # noqa: F401
from server_fixture import Server

INT64_MAX = 2 ** 63 - 1
INT64_MIN = -2 ** 63
WRONG_INT = E("ERR value is not an integer or out of range")
SYNTAX = E("ERR syntax error")
NX_CONFLICT = E("ERR NX and XX, GT or LT options at the same time are not compatible")
GT_LT_CONFLICT = E("ERR GT and LT options at the same time are not compatible")
LFU_NOT_SELECTED = E(
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. "
    "Please note that when switching between policies at runtime LRU and LFU data "
    "will take some time to adjust.")
LFU_SELECTED = E(
    "ERR An LFU maxmemory policy is selected, idle time not tracked. "
    "Please note that when switching between policies at runtime LRU and LFU data "
    "will take some time to adjust.")




def full_scan(r, limit=10000, **kwargs):
    """Every key a complete SCAN cursor loop returns, as a list (duplicates
    kept). Bounded so a cursor that never returns to 0 fails the test."""
    cursor, seen = 0, []
    for _ in range(limit):
        cursor, keys = r.scan(cursor=cursor, **kwargs)
        seen.extend(keys)
        if cursor == 0:
            return seen
    raise AssertionError("SCAN did not return cursor 0 within %d calls" % limit)


def raw_scan(raw, *options, limit=10000):
    """full_scan over a raw connection, for option lists redis-py will not
    send (repeated options, unknown type names)."""
    cursor, seen = b"0", []
    for _ in range(limit):
        reply = raw.call_decoded("SCAN", cursor, *options)
        assert isinstance(reply, list) and len(reply) == 2, reply
        cursor, keys = reply
        seen.extend(keys)
        if cursor == b"0":
            return seen
    raise AssertionError("SCAN did not return cursor 0 within %d calls" % limit)


# ---------------------------------------------------------------- DEL / UNLINK / EXISTS / TOUCH / TYPE

@pytest.mark.parametrize("cmd", ["DEL", "UNLINK"])
def test_del_replies_the_number_of_keys_removed(r, cmd):
    r.mset({"a": "1", "b": "2", "c": "3"})
    assert r.execute_command(cmd, "a", "b", "nokey") == 2
    assert r.exists("a", "b", "c") == 1
    assert r.get("c") == b"3"


@pytest.mark.parametrize("cmd", ["DEL", "UNLINK"])
def test_del_counts_a_repeated_key_once(r, cmd):
    r.set("a", "1")
    assert r.execute_command(cmd, "a", "a", "a") == 1


@pytest.mark.parametrize("cmd", ["DEL", "UNLINK"])
def test_del_of_an_expired_key_counts_zero(r, cmd):
    r.set("a", "1", px=30)
    time.sleep(0.06)
    assert r.execute_command(cmd, "a") == 0


def test_exists_counts_a_repeated_key_every_time(r):
    r.set("a", "1")
    assert r.exists("a", "a", "nokey", "a") == 3
    assert r.exists("nokey") == 0


def test_touch_counts_existing_keys_including_repeats(r):
    r.mset({"a": "1", "b": "2"})
    assert r.touch("a", "nokey", "a", "b") == 3
    assert r.touch("nokey") == 0


def test_type_of_a_string_is_string_and_of_a_missing_key_is_none(r):
    r.set("k", "v")
    r.set("n", "123")
    assert r.type("k") == b"string"
    assert r.type("n") == b"string"
    assert r.type("nokey") == b"none"


@pytest.mark.parametrize("args,cmd", [
    (["DEL"], "del"), (["UNLINK"], "unlink"), (["EXISTS"], "exists"), (["TOUCH"], "touch"),
    (["TYPE"], "type"), (["TYPE", "a", "b"], "type"),
    (["EXPIRE", "k"], "expire"), (["PEXPIRE", "k"], "pexpire"),
    (["EXPIREAT", "k"], "expireat"), (["PEXPIREAT"], "pexpireat"),
    (["TTL"], "ttl"), (["TTL", "a", "b"], "ttl"), (["PTTL"], "pttl"),
    (["EXPIRETIME"], "expiretime"), (["PEXPIRETIME", "a", "b"], "pexpiretime"),
    (["PERSIST"], "persist"), (["PERSIST", "a", "b"], "persist"),
    (["RENAME", "a"], "rename"), (["RENAME", "a", "b", "c"], "rename"),
    (["RENAMENX", "a"], "renamenx"),
    (["RANDOMKEY", "x"], "randomkey"),
    (["SCAN"], "scan"), (["KEYS"], "keys"), (["KEYS", "a", "b"], "keys"),
    (["OBJECT"], "object"),
    (["OBJECT", "ENCODING"], "object|encoding"),
    (["OBJECT", "encoding", "a", "b"], "object|encoding"),
    (["OBJECT", "FREQ"], "object|freq"), (["OBJECT", "IDLETIME"], "object|idletime"),
    (["OBJECT", "HELP", "x"], "object|help"),
], ids=lambda a: "-".join(a) if isinstance(a, list) else a)
def test_wrong_number_of_arguments_names_the_command(raw, args, cmd):
    assert raw.call_decoded(*args) == arity(cmd)


# ---------------------------------------------------------------- EXPIRE family

def test_expire_sets_a_ttl_in_seconds(r):
    r.set("k", "v")
    assert r.expire("k", 100) is True
    assert r.ttl("k") == 100
    assert 99000 < r.pttl("k") <= 100000


def test_pexpire_sets_a_ttl_in_milliseconds(r):
    r.set("k", "v")
    assert r.pexpire("k", 50000) is True
    assert 49000 < r.pttl("k") <= 50000


def test_expireat_and_pexpireat_set_an_absolute_time(r):
    r.set("k", "v")
    assert r.expireat("k", 9999999999) is True
    assert r.expiretime("k") == 9999999999
    assert r.execute_command("PEXPIRETIME", "k") == 9999999999000
    assert r.pexpireat("k", 9999999999123) is True
    assert r.execute_command("PEXPIRETIME", "k") == 9999999999123


@pytest.mark.parametrize("cmd,arg", [
    ("EXPIRE", "100"), ("PEXPIRE", "100000"), ("EXPIREAT", "9999999999"),
    ("PEXPIREAT", "9999999999000"),
])
def test_expire_of_a_missing_key_replies_zero_and_creates_nothing(r, raw, cmd, arg):
    assert raw.call_decoded(cmd, "nokey", arg) == 0
    assert r.exists("nokey") == 0


@pytest.mark.parametrize("cmd,arg", [
    ("EXPIRE", "0"), ("EXPIRE", "-1"), ("PEXPIRE", "0"), ("PEXPIRE", "-100"),
    ("EXPIREAT", "1"), ("EXPIREAT", "0"), ("PEXPIREAT", "1"), ("PEXPIREAT", "-1"),
    ("PEXPIRE", str(INT64_MIN)), ("EXPIRE", "-9223372036854775"),
])
def test_expire_with_a_time_already_past_deletes_the_key_and_replies_one(r, raw, cmd, arg):
    r.set("k", "v")
    assert raw.call_decoded(cmd, "k", arg) == 1
    assert r.exists("k") == 0
    assert r.get("k") is None


def test_expire_replaces_an_existing_ttl(r):
    r.set("k", "v", ex=100)
    assert r.expire("k", 200) is True
    assert r.ttl("k") == 200


def test_overwriting_set_removes_a_ttl_given_by_expire(r):
    r.set("k", "v")
    r.expire("k", 100)
    r.set("k", "w")
    assert r.ttl("k") == -1


@pytest.mark.parametrize("cmd,arg", [
    ("EXPIRE", str(INT64_MAX)), ("EXPIRE", "9223372036854775"), ("EXPIRE", "-9223372036854776"),
    ("EXPIRE", str(INT64_MIN)),
    ("PEXPIRE", str(INT64_MAX)), ("PEXPIRE", "9223372036854775000"),
    ("EXPIREAT", str(INT64_MAX)), ("EXPIREAT", str(INT64_MIN)),
])
def test_expire_whose_absolute_time_overflows_is_invalid_expire_time(r, raw, cmd, arg):
    r.set("k", "v")
    assert raw.call_decoded(cmd, "k", arg) == bad_expire(cmd.lower())
    assert r.ttl("k") == -1


def test_pexpireat_accepts_the_largest_64_bit_time(r, raw):
    r.set("k", "v")
    assert raw.call_decoded("PEXPIREAT", "k", str(INT64_MAX)) == 1
    assert raw.call_decoded("PEXPIRETIME", "k") == INT64_MAX
    # EXPIRETIME rounds to the nearest second.
    assert raw.call_decoded("EXPIRETIME", "k") == 9223372036854776
    assert raw.call_decoded("EXPIRE", "k", "9223372036854") == 1


@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
@pytest.mark.parametrize("arg", ["abc", "1.5", "", " 1", "9223372036854775808"])
def test_expire_with_a_non_integer_time_is_not_an_integer(r, raw, cmd, arg):
    r.set("k", "v")
    assert raw.call_decoded(cmd, "k", arg) == WRONG_INT
    assert raw.call_decoded(cmd, "nokey", arg) == WRONG_INT


# (initial TTL in seconds or None, flags, new TTL, reply, TTL afterwards)
FLAG_CASES = [
    (None, ["NX"], 50, 1, 50),
    (100, ["NX"], 50, 0, 100),
    (None, ["XX"], 50, 0, -1),
    (100, ["XX"], 50, 1, 50),
    # A key without TTL counts as never expiring: nothing is greater.
    (None, ["GT"], 50, 0, -1),
    (100, ["GT"], 50, 0, 100),
    (100, ["GT"], 200, 1, 200),
    # ... and anything is less.
    (None, ["LT"], 50, 1, 50),
    (100, ["LT"], 50, 1, 50),
    (100, ["LT"], 200, 0, 100),
    (None, ["XX", "GT"], 200, 0, -1),
    (100, ["XX", "GT"], 200, 1, 200),
    (None, ["XX", "LT"], 50, 0, -1),
    (100, ["LT", "XX"], 50, 1, 50),
    (100, ["nx", "nx"], 50, 0, 100),
    (None, ["gt", "gt"], 50, 0, -1),
]


@pytest.mark.parametrize("initial,flags,new,reply,after", FLAG_CASES,
                         ids=["%s-%s-%d" % (c[0], "+".join(c[1]), c[2]) for c in FLAG_CASES])
@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_condition_flags(r, raw, cmd, initial, flags, new, reply, after):
    r.set("k", "v")
    if initial is not None:
        r.expire("k", initial)
    if cmd == "EXPIRE":
        arg = new
    elif cmd == "PEXPIRE":
        arg = new * 1000
    elif cmd == "EXPIREAT":
        arg = int(time.time()) + new
    else:
        arg = int(time.time() * 1000) + new * 1000
    assert raw.call_decoded(cmd, "k", str(arg), *flags) == reply
    # EXPIREAT truncates to the second, so allow it to read one less.
    assert r.ttl("k") in (after, after - 1 if after > 0 else after)


@pytest.mark.parametrize("initial,flags,reply,deleted", [
    (100, ["GT"], 0, False),
    (100, ["LT"], 1, True),
    (None, ["GT"], 0, False),
    (None, ["XX"], 0, False),
    (None, ["NX"], 1, True),
    (100, ["NX"], 0, False),
])
def test_expire_condition_flags_apply_before_a_past_time_deletes(r, raw, initial, flags, reply, deleted):
    r.set("k", "v")
    if initial is not None:
        r.expire("k", initial)
    assert raw.call_decoded("EXPIRE", "k", "-1", *flags) == reply
    assert r.exists("k") == (0 if deleted else 1)


@pytest.mark.parametrize("flags,error", [
    (["NX", "XX"], NX_CONFLICT), (["XX", "NX"], NX_CONFLICT),
    (["NX", "GT"], NX_CONFLICT), (["LT", "NX"], NX_CONFLICT),
    (["GT", "LT"], GT_LT_CONFLICT), (["LT", "GT"], GT_LT_CONFLICT),
    (["XX", "GT", "LT"], GT_LT_CONFLICT),
    # The NX check comes first when both conflicts are present.
    (["GT", "LT", "NX"], NX_CONFLICT),
    (["FOO"], E("ERR Unsupported option FOO")),
    (["Foo"], E("ERR Unsupported option Foo")),
    (["NX", "bar", "baz"], E("ERR Unsupported option bar")),
    ([""], E("ERR Unsupported option ")),
], ids=lambda v: "-".join(v) if isinstance(v, list) else None)
@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_option_errors(r, raw, cmd, flags, error):
    r.set("k", "v", ex=100)
    assert raw.call_decoded(cmd, "k", "50", *flags) == error
    assert raw.call_decoded(cmd, "nokey", "50", *flags) == error
    assert r.ttl("k") == 100


def test_expire_option_errors_are_reported_before_a_bad_time(raw):
    assert raw.call_decoded("EXPIRE", "k", "abc", "FOO") == E("ERR Unsupported option FOO")
    assert raw.call_decoded("EXPIRE", "k", "abc", "NX", "XX") == NX_CONFLICT


# ---------------------------------------------------------------- TTL / PTTL / EXPIRETIME / PERSIST

def test_ttl_family_of_a_missing_key_is_minus_two(r, raw):
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert raw.call_decoded(cmd, "nokey") == -2


def test_ttl_family_of_a_persistent_key_is_minus_one(r, raw):
    r.set("k", "v")
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert raw.call_decoded(cmd, "k") == -1


def test_ttl_rounds_the_remaining_time_to_the_nearest_second(r):
    # 2.9 s left reads 3 and 2.2 s reads 2: TTL rounds, it does not truncate.
    r.set("up", "v", px=2900)
    r.set("down", "v", px=2200)
    assert r.ttl("up") == 3
    assert r.ttl("down") == 2


@pytest.mark.parametrize("pxat,seconds", [
    (9999999999000, 9999999999), (9999999999499, 9999999999),
    (9999999999500, 10000000000), (9999999999999, 10000000000),
])
def test_expiretime_rounds_to_the_nearest_second(r, raw, pxat, seconds):
    r.set("k", "v", pxat=pxat)
    assert raw.call_decoded("EXPIRETIME", "k") == seconds
    assert raw.call_decoded("PEXPIRETIME", "k") == pxat


def test_persist_removes_the_ttl(r):
    r.set("k", "v", ex=100)
    assert r.persist("k") is True
    assert r.ttl("k") == -1
    assert r.persist("k") is False
    assert r.persist("nokey") is False
    assert r.get("k") == b"v"


def test_ttl_of_an_expired_key_is_minus_two(r):
    r.set("k", "v", px=30)
    time.sleep(0.06)
    assert r.ttl("k") == -2
    assert r.pttl("k") == -2
    assert r.persist("k") is False


# ---------------------------------------------------------------- RENAME / RENAMENX

def test_rename_moves_the_value(r):
    r.set("src", "v")
    assert r.rename("src", "dst") is True
    assert r.get("dst") == b"v"
    assert r.exists("src") == 0


def test_rename_carries_the_ttl(r):
    r.set("src", "v", px=80000)
    r.rename("src", "dst")
    assert 70000 < r.pttl("dst") <= 80000


def test_rename_overwrites_the_destination_and_its_ttl(r):
    r.set("src", "new")
    r.set("dst", "old", ex=100)
    r.rename("src", "dst")
    assert r.get("dst") == b"new"
    assert r.ttl("dst") == -1


def test_rename_to_the_same_name_keeps_value_and_ttl(r):
    r.set("k", "v", ex=100)
    assert r.rename("k", "k") is True
    assert r.get("k") == b"v"
    assert r.ttl("k") == 100


@pytest.mark.parametrize("cmd", ["RENAME", "RENAMENX"])
def test_rename_of_a_missing_key_is_no_such_key(r, raw, cmd):
    r.set("dst", "v")
    assert raw.call_decoded(cmd, "nokey", "dst") == E("ERR no such key")
    assert raw.call_decoded(cmd, "nokey", "nokey") == E("ERR no such key")
    assert r.get("dst") == b"v"


@pytest.mark.parametrize("cmd", ["RENAME", "RENAMENX"])
def test_rename_of_an_expired_key_is_no_such_key(r, raw, cmd):
    r.set("src", "v", px=30)
    time.sleep(0.06)
    assert raw.call_decoded(cmd, "src", "dst") == E("ERR no such key")
    assert r.exists("dst") == 0


def test_renamenx_moves_to_a_missing_destination(r):
    r.set("src", "v", ex=100)
    assert r.renamenx("src", "dst") is True
    assert r.get("dst") == b"v"
    assert r.ttl("dst") == 100
    assert r.exists("src") == 0


def test_renamenx_to_an_existing_destination_replies_zero_and_changes_nothing(r):
    r.set("src", "a")
    r.set("dst", "b", ex=100)
    assert r.renamenx("src", "dst") is False
    assert r.mget("src", "dst") == [b"a", b"b"]
    assert r.ttl("dst") == 100


def test_renamenx_to_the_same_name_replies_zero(r):
    r.set("k", "v")
    assert r.renamenx("k", "k") is False
    assert r.get("k") == b"v"


def test_renamenx_over_an_expired_destination_succeeds(r):
    r.set("src", "a")
    r.set("dst", "b", px=30)
    time.sleep(0.06)
    assert r.renamenx("src", "dst") is True
    assert r.get("dst") == b"a"


def test_rename_keeps_binary_keys_and_values(r):
    r.set(b"s\x00rc", b"\x00\xff")
    r.rename(b"s\x00rc", b"d\r\nst")
    assert r.get(b"d\r\nst") == b"\x00\xff"


# ---------------------------------------------------------------- RANDOMKEY

def test_randomkey_of_an_empty_database_is_nil(r):
    assert r.randomkey() is None


def test_randomkey_with_one_key_returns_it(r):
    r.set("only", "v")
    assert r.randomkey() == b"only"


# RANDOMKEY reaching every key (of every shard) is in test_cross_shard.py.


def test_randomkey_skips_expired_keys(r):
    r.set("live", "v")
    for i in range(5):
        r.set("gone:%d" % i, "v", px=30)
    time.sleep(0.06)
    for _ in range(20):
        assert r.randomkey() == b"live"


def test_randomkey_when_every_key_expired_is_nil(r):
    for i in range(5):
        r.set("gone:%d" % i, "v", px=30)
    time.sleep(0.06)
    assert r.randomkey() is None


# ---------------------------------------------------------------- SCAN

def test_scan_of_an_empty_database_returns_nothing(r):
    # Only the keys are specified: a server may need several calls (one per
    # shard, say) before the cursor comes back to 0.
    assert full_scan(r) == []


def test_scan_cursor_loop_returns_every_key(r):
    keys = {("key:%d" % i).encode() for i in range(300)}
    r.mset({k: "v" for k in keys})
    assert set(full_scan(r)) == keys
    assert set(full_scan(r, count=7)) == keys
    assert set(full_scan(r, count=1000)) == keys


def test_scan_count_one_still_returns_every_key(r):
    keys = {("k%d" % i).encode() for i in range(40)}
    r.mset({k: "v" for k in keys})
    assert set(full_scan(r, count=1)) == keys


def test_scan_match_filters_keys_by_pattern(r):
    users = {("user:%d" % i).encode() for i in range(50)}
    r.mset({k: "v" for k in users})
    r.mset({"other:%d" % i: "v" for i in range(50)})
    assert set(full_scan(r, match="user:*", count=10)) == users
    assert set(full_scan(r, match="user:1?")) == {("user:1%d" % i).encode() for i in range(10)}
    assert full_scan(r, match="nomatch*") == []


def test_scan_with_repeated_match_uses_the_last_pattern(r, raw):
    r.mset({"a": "1", "b": "2"})
    assert raw_scan(raw, "MATCH", "a", "MATCH", "b", "COUNT", "100") == [b"b"]


def test_scan_type_string_returns_all_keys_and_other_types_none(r):
    keys = {("k%d" % i).encode() for i in range(30)}
    r.mset({k: "v" for k in keys})
    assert set(full_scan(r, _type="string")) == keys
    assert set(full_scan(r, _type="STRING")) == keys
    for other in ("list", "hash", "set", "zset", "stream", "none"):
        assert full_scan(r, _type=other) == []


def test_scan_type_of_an_unknown_name_returns_nothing_rather_than_an_error(r, raw):
    r.set("k", "v")
    assert raw_scan(raw, "TYPE", "foo") == []


def test_scan_combines_match_count_and_type(r):
    r.mset({"a:%d" % i: "v" for i in range(20)})
    r.mset({"b:%d" % i: "v" for i in range(20)})
    got = full_scan(r, match="a:*", count=3, _type="string")
    assert set(got) == {("a:%d" % i).encode() for i in range(20)}


def test_scan_returns_keys_present_for_the_whole_iteration_despite_writes(r):
    stable = {("stable:%d" % i).encode() for i in range(200)}
    r.mset({k: "v" for k in stable})
    r.mset({"churn:%d" % i: "v" for i in range(100)})
    cursor, seen, calls = 0, set(), 0
    while True:
        cursor, keys = r.scan(cursor=cursor, count=10)
        seen.update(keys)
        calls += 1
        # Grow and shrink the keyspace between calls.
        r.set("added:%d" % calls, "v")
        r.delete("churn:%d" % calls)
        if cursor == 0:
            break
        assert calls < 5000
    assert stable <= seen
    assert all(k.startswith((b"stable:", b"churn:", b"added:")) for k in seen)


def test_scan_does_not_return_expired_keys(r):
    r.set("live", "v")
    for i in range(10):
        r.set("gone:%d" % i, "v", px=30)
    time.sleep(0.06)
    # SCAN may return a key twice when the table shrinks mid-scan (as here,
    # when active expiry removes the others): compare the set of keys.
    assert set(full_scan(r)) == {b"live"}


@pytest.mark.parametrize("args,error", [
    (["abc"], E("ERR invalid cursor")),
    (["1.5"], E("ERR invalid cursor")),
    (["18446744073709551616"], E("ERR invalid cursor")),
    (["0", "COUNT", "0"], SYNTAX),
    (["0", "COUNT", "-1"], SYNTAX),
    (["0", "COUNT", "abc"], WRONG_INT),
    (["0", "COUNT", "1", "COUNT", "0"], SYNTAX),
    (["0", "COUNT"], SYNTAX),
    (["0", "MATCH"], SYNTAX),
    (["0", "TYPE"], SYNTAX),
    (["0", "FOO", "bar"], SYNTAX),
    (["0", "MATCH", "*", "extra"], SYNTAX),
], ids=lambda v: "-".join(v) if isinstance(v, list) else None)
def test_scan_argument_errors(r, raw, args, error):
    r.set("k", "v")
    assert raw.call_decoded("SCAN", *args) == error


# ---------------------------------------------------------------- KEYS

GLOB_KEYS = [
    b"hello", b"hallo", b"hxllo", b"hllo", b"heeello", b"hEllo", b"h-llo",
    b"h*llo", b"h?llo", b"h[llo", b"h]llo", b"h\\llo",
    b"a", b"b", b"c", b"d", b"-", b"^", b"]", b"_", b"ab", b"abc", b"ha", b"he",
    b"x\x00y", b"",
]


@pytest.fixture
def glob_keys(r):
    r.mset({k: "v" for k in GLOB_KEYS})
    return r


@pytest.mark.parametrize("pattern,expected", [
    (b"h?llo", [b"h*llo", b"h-llo", b"h?llo", b"hEllo", b"h[llo", b"h\\llo", b"h]llo",
                b"hallo", b"hello", b"hxllo"]),
    (b"h*llo", [b"h*llo", b"h-llo", b"h?llo", b"hEllo", b"h[llo", b"h\\llo", b"h]llo",
                b"hallo", b"heeello", b"hello", b"hllo", b"hxllo"]),
    (b"h[ae]llo", [b"hallo", b"hello"]),
    (b"h[^e]llo", [b"h*llo", b"h-llo", b"h?llo", b"hEllo", b"h[llo", b"h\\llo", b"h]llo",
                   b"hallo", b"hxllo"]),
    (b"h[a-e]llo", [b"hallo", b"hello"]),
    (b"[a-c]", [b"a", b"b", b"c"]),
    # A reversed range is swapped, not empty.
    (b"[c-a]", [b"a", b"b", b"c"]),
    (b"[^a-c]", [b"-", b"]", b"^", b"_", b"d"]),
    (b"h[a-ce-f]llo", [b"hallo", b"hello"]),
    (b"h[Ee]llo", [b"hEllo", b"hello"]),
    (b"H*", []),
    (b"h\\*llo", [b"h*llo"]),
    (b"h\\?llo", [b"h?llo"]),
    (b"h\\[llo", [b"h[llo"]),
    (b"h\\\\llo", [b"h\\llo"]),
    (b"h[\\]]llo", [b"h]llo"]),
    (b"h[a\\-e]llo", [b"h-llo", b"hallo", b"hello"]),
    (b"?", [b"-", b"]", b"^", b"_", b"a", b"b", b"c", b"d"]),
    (b"??", [b"ab", b"ha", b"he"]),
    (b"a*b*c", [b"abc"]),
    (b"*c", [b"abc", b"c"]),
    (b"x?y", [b"x\x00y"]),
    (b"x\x00*", [b"x\x00y"]),
    (b"nomatch", []),
    (b"abc", [b"abc"]),
    (b"", [b""]),
])
def test_keys_glob_patterns(glob_keys, pattern, expected):
    assert sorted(glob_keys.keys(pattern)) == sorted(expected)


@pytest.mark.parametrize("pattern,expected", [
    # '!' is not a negation in Redis globs, just a character in the class.
    (b"h[!e]llo", [b"hello"]),
    # "[]" matches nothing; "[^]" matches any one character.
    (b"[]", []),
    (b"[^]", [b"-", b"]", b"^", b"_", b"a", b"b", b"c", b"d"]),
    # An unterminated class ends at the end of the pattern.
    (b"h[ae", [b"ha", b"he"]),
    (b"h[", []),
    # In "[a-]" the range runs from 'a' to the closing ']' (swapped).
    (b"[a-]", [b"]", b"^", b"_", b"a"]),
    (b"[-a]", [b"-", b"a"]),
    # A trailing backslash matches a literal backslash.
    (b"*\\", []),
    (b"\\h*llo", [b"h*llo", b"h-llo", b"h?llo", b"hEllo", b"h[llo", b"h\\llo", b"h]llo",
                  b"hallo", b"heeello", b"hello", b"hllo", b"hxllo"]),
])
def test_keys_glob_corner_cases_match_redis(glob_keys, pattern, expected):
    assert sorted(glob_keys.keys(pattern)) == sorted(expected)


def test_keys_star_returns_every_key_but_double_star_misses_the_empty_key(glob_keys):
    # A lone "*" skips matching altogether; any other pattern goes through
    # the glob matcher, which never matches an empty key against "*...".
    assert sorted(glob_keys.keys("*")) == sorted(GLOB_KEYS)
    assert sorted(glob_keys.keys("**")) == sorted(k for k in GLOB_KEYS if k)


def test_scan_match_star_returns_the_empty_key_but_double_star_does_not(r):
    r.mset({"": "v", "a": "v"})
    assert sorted(full_scan(r, match="*")) == [b"", b"a"]
    assert full_scan(r, match="**") == [b"a"]


def test_keys_of_an_empty_database_is_empty(r):
    assert r.keys("*") == []


def test_keys_does_not_return_expired_keys(r):
    r.set("live", "v")
    r.set("gone", "v", px=30)
    time.sleep(0.06)
    assert r.keys("*") == [b"live"]


# ---------------------------------------------------------------- OBJECT

@pytest.mark.parametrize("value,encoding", [
    (b"0", b"int"), (b"12345", b"int"), (b"-5", b"int"),
    (b"9223372036854775807", b"int"), (b"-9223372036854775808", b"int"),
    (b"9223372036854775808", b"embstr"), (b"01", b"embstr"), (b"+1", b"embstr"),
    (b" 1", b"embstr"), (b"1.0", b"embstr"), (b"-0", b"embstr"),
    (b"", b"embstr"), (b"a" * 44, b"embstr"), (b"a" * 45, b"raw"),
    (b"1" * 20, b"embstr"), (b"1" * 45, b"raw"), (b"x\x00y", b"embstr"),
], ids=lambda v: v[:24].decode(errors="replace") if isinstance(v, bytes) else None)
def test_object_encoding_of_set_values(r, value, encoding):
    r.set("k", value)
    assert r.object("encoding", "k") == encoding


def test_object_encoding_after_modifying_commands(r, raw):
    r.set("k", "abc")
    r.append("k", "d")
    assert r.object("encoding", "k") == b"raw"
    r.set("k", "a" * 44)
    r.append("k", "")
    assert r.object("encoding", "k") == b"raw"
    r.set("k", "abc")
    r.setrange("k", 0, "x")
    assert r.object("encoding", "k") == b"raw"
    r.set("n", "10")
    r.append("n", "0")
    assert r.object("encoding", "n") == b"raw"
    r.incr("n")
    assert r.object("encoding", "n") == b"int"
    raw.call_decoded("INCRBYFLOAT", "f", "3")
    assert r.object("encoding", "f") == b"embstr"
    # A new key made by APPEND holds the argument as SET would.
    r.append("fresh", "123")
    assert r.object("encoding", "fresh") == b"int"
    r.setrange("fresh2", 0, "123")
    assert r.object("encoding", "fresh2") == b"raw"
    r.mset({"m": "42", "m2": "x" * 50})
    assert r.object("encoding", "m") == b"int"
    assert r.object("encoding", "m2") == b"raw"
    r.setex("s", 100, "42")
    assert r.object("encoding", "s") == b"int"
    r.rename("s", "s2")
    assert r.object("encoding", "s2") == b"int"


def test_object_of_a_missing_key_is_nil(r, raw):
    for sub in ("ENCODING", "FREQ", "IDLETIME", "REFCOUNT"):
        assert raw.call_decoded("OBJECT", sub, "nokey") is None


def test_object_freq_without_an_lfu_policy_is_an_error(r, raw):
    r.set("k", "v")
    assert raw.call_decoded("OBJECT", "FREQ", "k") == LFU_NOT_SELECTED


def test_object_unknown_subcommand_is_an_error(r, raw):
    r.set("k", "v")
    assert raw.call_decoded("OBJECT", "foo", "k") == E("ERR unknown subcommand 'foo'. Try OBJECT HELP.")
    assert raw.call_decoded("OBJECT", "FOO") == E("ERR unknown subcommand 'FOO'. Try OBJECT HELP.")


def test_object_help_lists_the_subcommands(raw):
    assert raw.call_decoded("OBJECT", "HELP") == [
        b"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        b"ENCODING <key>",
        b"    Return the kind of internal representation used in order to store the value",
        b"    associated with a <key>.",
        b"FREQ <key>",
        b"    Return the access frequency index of the <key>. The returned integer is",
        b"    proportional to the logarithm of the recent access frequency of the key.",
        b"IDLETIME <key>",
        b"    Return the idle time of the <key>, that is the approximated number of",
        b"    seconds elapsed since the last access to the key.",
        b"REFCOUNT <key>",
        b"    Return the number of references of the value associated with the specified",
        b"    <key>.",
        b"HELP",
        b"    Prints this help.",
    ]


def test_object_idletime_of_a_fresh_key_is_zero(r):
    r.set("k", "v")
    assert r.object("idletime", "k") == 0


def test_object_idletime_grows_and_is_reset_by_reads_but_not_by_metadata_commands(r):
    # Values are not small integers: Redis shares those objects between
    # keys, so touching one would reset the idle time of all of them.
    names = ["exists", "type", "ttl", "pttl", "expiretime", "object",
             "touch", "get", "strlen", "getrange", "append", "untouched"]
    for name in names:
        r.set(name, "value-" + name)
    time.sleep(2.1)
    r.exists("exists")
    r.type("type")
    r.ttl("ttl")
    r.pttl("pttl")
    r.expiretime("expiretime")
    r.object("idletime", "object")
    r.touch("touch")
    r.get("get")
    r.strlen("strlen")
    r.getrange("getrange", 0, 1)
    r.append("append", "x")
    idle = {name: r.object("idletime", name) for name in names}
    for name in ("exists", "type", "ttl", "pttl", "expiretime", "object", "untouched"):
        assert idle[name] >= 2, (name, idle)
    for name in ("touch", "get", "strlen", "getrange", "append"):
        assert idle[name] <= 1, (name, idle)


@pytest.fixture(scope="module")
def lfu_server():
    srv = Server(options={"maxmemory-policy": "allkeys-lfu"}).start()
    yield srv
    assert srv.stop() == 0


@pytest.fixture
def lfu(lfu_server):
    conn = lfu_server.conn()
    conn.call_decoded("FLUSHALL")
    yield conn
    conn.close()


def test_object_freq_under_an_lfu_policy_starts_at_five_and_counts_accesses(lfu):
    lfu.call_decoded("SET", "k", "v")
    # A new key starts at the LFU initial value, 5.
    assert lfu.call_decoded("OBJECT", "FREQ", "k") == 5
    lfu.call_decoded("GET", "k")
    # The first access always increments; 5 only if a decay minute ticked.
    assert lfu.call_decoded("OBJECT", "FREQ", "k") in (5, 6)
    assert lfu.call_decoded("OBJECT", "FREQ", "nokey") is None


def test_object_idletime_under_an_lfu_policy_is_an_error(lfu):
    lfu.call_decoded("SET", "k", "v")
    assert lfu.call_decoded("OBJECT", "IDLETIME", "k") == LFU_SELECTED
    assert lfu.call_decoded("OBJECT", "IDLETIME", "nokey") is None


# ---------------------------------------------------------------- expiry

def test_expired_key_disappears_on_access(r):
    r.set("k", "v", px=100)
    r.set("keep", "v")
    assert r.exists("k") == 1
    time.sleep(0.15)
    assert r.exists("k") == 0
    assert r.get("k") is None
    assert r.type("k") == b"none"
    assert r.ttl("k") == -2
    assert r.object("encoding", "k") is None
    assert r.keys("*") == [b"keep"]


def test_expired_keys_are_removed_without_access(r):
    r.set("keep", "v")
    for i in range(30):
        r.set("vol:%d" % i, "v", px=100)
    r.pexpire("keep2", 100)  # missing key: no effect
    assert r.dbsize() == 31
    deadline = time.monotonic() + 3.0
    size = r.dbsize()
    while size != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
        size = r.dbsize()
    assert size == 1
    assert r.get("keep") == b"v"


def test_a_key_made_persistent_before_its_ttl_survives(r):
    r.set("k", "v", px=100)
    assert r.persist("k") is True
    time.sleep(0.15)
    assert r.get("k") == b"v"
