"""String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET
MSETNX INCR DECR INCRBY DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SETRANGE.

Replies are checked exactly. Error replies go through a raw RESP connection
(`raw`) because redis-py strips the "ERR " prefix and would accept an error
that lacks it; INCRBYFLOAT replies go through it too, because redis-py turns
them into floats and so hides the formatting Tessera must reproduce.
"""
import time

import pytest

from expected_errors import E, arity, bad_expire  # noqa: F401
from server_fixture import Server, target

tessera_only = pytest.mark.skipif(target() == "redis",
                                  reason="Tessera's own memory accounting")

INT64_MAX = 2 ** 63 - 1
INT64_MIN = -2 ** 63
WRONG_INT = E("ERR value is not an integer or out of range")
WRONG_FLOAT = E("ERR value is not a valid float")
SYNTAX = E("ERR syntax error")




def wait_until_gone(r, key, limit=2.0):
    """Poll with EXISTS (which expires lazily) until `key` is gone."""
    deadline = time.monotonic() + limit
    while r.exists(key):
        assert time.monotonic() < deadline, "%r still exists after %.1f s" % (key, limit)
        time.sleep(0.02)


# ---------------------------------------------------------------- GET / SET

def test_set_then_get_returns_the_value(r):
    assert r.set("greeting", "hello") is True
    assert r.get("greeting") == b"hello"


def test_get_of_missing_key_is_nil(r):
    assert r.get("nosuchkey") is None


def test_set_and_get_are_binary_safe(r):
    key = b"k\x00\r\n\xff"
    value = bytes(range(256)) * 3
    r.set(key, value)
    assert r.get(key) == value
    assert r.strlen(key) == 768


def test_set_accepts_an_empty_value(r):
    r.set("empty", "")
    assert r.get("empty") == b""
    assert r.exists("empty") == 1


def test_set_accepts_an_empty_key_name(r):
    r.set("", "v")
    assert r.get("") == b"v"


def test_set_of_a_large_value_round_trips(r):
    value = b"x" * (1 << 20) + b"end"
    r.set("big", value)
    assert r.get("big") == value


def test_set_overwrites_the_value_and_clears_an_existing_ttl(r):
    r.set("k", "old", ex=100)
    r.set("k", "new")
    assert r.get("k") == b"new"
    assert r.ttl("k") == -1


def test_set_with_a_shorter_ttl_over_a_longer_one_expires_at_the_shorter(r):
    r.set("k", "old", px=60000)
    assert r.set("k", "new", px=100) is True
    assert 0 < r.pttl("k") <= 100
    # Active expiry (DBSIZE does not expire lazily) honours the new TTL.
    deadline = time.monotonic() + 3.0
    while r.dbsize() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert r.dbsize() == 0


def test_set_with_a_longer_ttl_over_a_shorter_one_keeps_the_key_until_then(r):
    r.set("k", "old", px=100)
    assert r.set("k", "new", px=60000) is True
    time.sleep(0.3)
    assert r.dbsize() == 1
    assert r.get("k") == b"new"
    assert 59000 < r.pttl("k") <= 60000


@tessera_only
def test_a_key_refreshed_by_set_ex_over_and_over_takes_no_more_memory(r):
    # A session refreshed on every write: its TTL only grows, so its one
    # queued expiry record does; 20k refreshes used to queue 20k records.
    def refresh(n):
        with r.pipeline(transaction=False) as p:
            for _ in range(n):
                p.set("session", "v", ex=1000)
            p.execute()

    # The dataset (entries, table, expiry queue), not connection buffers.
    refresh(1)
    before = r.info("memory")["used_memory_dataset"]
    for _ in range(40):
        refresh(500)
    assert r.info("memory")["used_memory_dataset"] - before < 64 * 1024


def test_set_ex_sets_ttl_in_seconds(r):
    assert r.set("k", "v", ex=100) is True
    assert r.ttl("k") == 100
    assert 99000 < r.pttl("k") <= 100000


def test_set_px_sets_ttl_in_milliseconds(r):
    assert r.set("k", "v", px=50000) is True
    assert 49000 < r.pttl("k") <= 50000
    assert r.ttl("k") == 50


def test_set_exat_sets_an_absolute_unix_time_in_seconds(r):
    when = int(time.time()) + 1000
    assert r.set("k", "v", exat=when) is True
    assert r.expiretime("k") == when
    assert r.execute_command("PEXPIRETIME", "k") == when * 1000


def test_set_pxat_sets_an_absolute_unix_time_in_milliseconds(r):
    when = int(time.time() * 1000) + 1000000
    assert r.set("k", "v", pxat=when) is True
    assert r.execute_command("PEXPIRETIME", "k") == when


@pytest.mark.parametrize("opt", ["EXAT", "PXAT"])
def test_set_with_an_absolute_time_in_the_past_replies_ok_and_leaves_no_key(r, raw, opt):
    r.set("k", "old")
    assert raw.call_decoded("SET", "k", "v", opt, "1") == b"OK"
    assert r.exists("k") == 0
    assert r.get("k") is None


def test_set_nx_sets_only_a_missing_key(r):
    assert r.set("k", "first", nx=True) is True
    assert r.set("k", "second", nx=True) is None
    assert r.get("k") == b"first"


def test_set_xx_sets_only_an_existing_key(r):
    assert r.set("k", "first", xx=True) is None
    assert r.exists("k") == 0
    r.set("k", "first")
    assert r.set("k", "second", xx=True) is True
    assert r.get("k") == b"second"


def test_set_keepttl_keeps_the_existing_ttl(r):
    r.set("k", "v1", ex=100)
    assert r.set("k", "v2", keepttl=True) is True
    assert r.get("k") == b"v2"
    assert r.ttl("k") == 100


def test_set_keepttl_on_a_key_without_ttl_leaves_it_persistent(r):
    r.set("k", "v1")
    r.set("k", "v2", keepttl=True)
    assert r.ttl("k") == -1


def test_set_get_returns_the_old_value(r):
    assert r.set("k", "v1", get=True) is None
    assert r.set("k", "v2", get=True) == b"v1"
    assert r.get("k") == b"v2"


def test_set_get_with_nx_on_existing_key_returns_old_value_and_does_not_overwrite(r):
    r.set("k", "old")
    assert r.set("k", "new", nx=True, get=True) == b"old"
    assert r.get("k") == b"old"


def test_set_get_with_xx_on_missing_key_returns_nil_and_does_not_create(r):
    assert r.set("k", "new", xx=True, get=True) is None
    assert r.exists("k") == 0


def test_set_get_with_keepttl_returns_old_value_and_keeps_ttl(r):
    r.set("k", "old", ex=100)
    assert r.set("k", "new", keepttl=True, get=True) == b"old"
    assert r.ttl("k") == 100


def test_set_options_are_case_insensitive(r, raw):
    assert raw.call_decoded("set", "k", "v", "eX", "100", "Nx") == b"OK"
    assert r.ttl("k") == 100
    assert raw.call_decoded("SET", "k", "w", "KeepTTL", "xX", "gEt") == b"v"
    assert r.ttl("k") == 100


def test_set_repeating_the_same_option_is_accepted_and_last_value_wins(r, raw):
    assert raw.call_decoded("SET", "k", "v", "EX", "10", "EX", "20") == b"OK"
    assert r.ttl("k") == 20
    assert raw.call_decoded("SET", "k", "w", "XX", "XX", "KEEPTTL", "KEEPTTL", "GET", "GET") == b"v"
    assert r.ttl("k") == 20
    assert raw.call_decoded("SET", "k", "y", "NX", "NX") is None


@pytest.mark.parametrize("opts", [
    ["EX", "10", "PX", "10000"],
    ["PX", "10000", "EX", "10"],
    ["EX", "10", "EXAT", "9999999999"],
    ["PX", "10", "PXAT", "9999999999999"],
    ["EXAT", "9999999999", "PXAT", "9999999999999"],
    ["NX", "XX"],
    ["XX", "NX"],
    ["KEEPTTL", "EX", "10"],
    ["EX", "10", "KEEPTTL"],
    ["KEEPTTL", "PX", "10"],
    ["KEEPTTL", "EXAT", "9999999999"],
    ["PXAT", "9999999999999", "KEEPTTL"],
    ["PERSIST"],
    ["EX"],
    ["PX"],
    ["NX", "EX"],
    ["FOO"],
    ["EX", "10", "BAR"],
], ids=lambda o: "-".join(o))
def test_set_with_conflicting_or_unknown_options_is_a_syntax_error(r, raw, opts):
    r.set("k", "old", ex=50)
    assert raw.call_decoded("SET", "k", "new", *opts) == SYNTAX
    assert r.get("k") == b"old"
    assert r.ttl("k") == 50


@pytest.mark.parametrize("opts", [
    ["EX", "0"], ["EX", "-1"], ["PX", "0"], ["PX", "-100"],
    ["EXAT", "0"], ["EXAT", "-5"], ["PXAT", "0"], ["PXAT", "-5"],
    # Converted to absolute milliseconds these overflow a signed 64-bit.
    ["EX", str(INT64_MAX)], ["EX", "9223372036854775"], ["PX", str(INT64_MAX)],
    ["EXAT", str(INT64_MAX)],
    # The expire time is checked before NX is applied.
    ["NX", "EX", "0"], ["EX", "0", "NX"],
], ids=lambda o: "-".join(o))
def test_set_with_a_non_positive_or_overflowing_expire_is_invalid_expire_time(r, raw, opts):
    assert raw.call_decoded("SET", "k", "v", *opts) == bad_expire("set")
    assert r.exists("k") == 0


@pytest.mark.parametrize("value", ["abc", "1.5", "", " 10", "10 ", "9223372036854775808"])
def test_set_with_a_non_integer_expire_is_not_an_integer(r, raw, value):
    assert raw.call_decoded("SET", "k", "v", "EX", value) == WRONG_INT
    assert raw.call_decoded("SET", "k", "v", "PX", value) == WRONG_INT
    assert r.exists("k") == 0


def test_set_reports_a_syntax_error_before_a_bad_expire_value(raw):
    # All options are parsed before the expire value is read as a number.
    assert raw.call_decoded("SET", "k", "v", "EX", "abc", "NX", "XX") == SYNTAX
    assert raw.call_decoded("SET", "k", "v", "EX", "0", "FOO") == SYNTAX


@pytest.mark.parametrize("args,cmd", [
    (["GET"], "get"), (["GET", "a", "b"], "get"),
    (["SET"], "set"), (["SET", "k"], "set"),
    (["SETNX", "k"], "setnx"), (["SETNX", "k", "v", "w"], "setnx"),
    (["SETEX", "k", "10"], "setex"), (["PSETEX", "k", "10"], "psetex"),
    (["GETSET", "k"], "getset"), (["GETDEL"], "getdel"), (["GETDEL", "a", "b"], "getdel"),
    (["GETEX"], "getex"),
    (["MGET"], "mget"), (["MSET"], "mset"), (["MSET", "k"], "mset"),
    (["MSET", "a", "1", "b"], "mset"), (["MSETNX", "k"], "msetnx"),
    (["MSETNX", "a", "1", "b"], "msetnx"),
    (["INCR"], "incr"), (["INCR", "a", "b"], "incr"), (["DECR"], "decr"),
    (["INCRBY", "k"], "incrby"), (["INCRBY", "k", "1", "2"], "incrby"),
    (["DECRBY", "k"], "decrby"), (["INCRBYFLOAT", "k"], "incrbyfloat"),
    (["APPEND", "k"], "append"), (["STRLEN"], "strlen"), (["STRLEN", "a", "b"], "strlen"),
    (["GETRANGE", "k", "0"], "getrange"), (["SETRANGE", "k", "0"], "setrange"),
], ids=lambda a: "-".join(a) if isinstance(a, list) else a)
def test_wrong_number_of_arguments_names_the_command_in_lower_case(raw, args, cmd):
    assert raw.call_decoded(*args) == arity(cmd)


def test_arity_error_uses_lower_case_even_when_sent_in_mixed_case(raw):
    assert raw.call_decoded("gEt") == arity("get")


def test_a_rejected_set_leaves_the_old_value_and_ttl(r, raw):
    r.set("k", "keep", px=80000)
    assert raw.call_decoded("SET", "k", "x", "EX", "0") == bad_expire("set")
    assert raw.call_decoded("SET", "k", "x", "EX", "zz") == WRONG_INT
    assert r.get("k") == b"keep"
    assert 70000 < r.pttl("k") <= 80000


# ---------------------------------------------------------------- SETNX / SETEX / PSETEX

def test_setnx_sets_a_missing_key_and_replies_one(r):
    assert r.setnx("k", "v") is True
    assert r.get("k") == b"v"


def test_setnx_against_an_existing_key_replies_zero_and_keeps_value_and_ttl(r):
    r.set("k", "orig", ex=100)
    assert r.setnx("k", "other") is False
    assert r.get("k") == b"orig"
    assert r.ttl("k") == 100


def test_setnx_against_an_expired_volatile_key_sets_it(r):
    r.set("k", "old", px=30)
    time.sleep(0.06)
    assert r.setnx("k", "new") is True
    assert r.get("k") == b"new"
    assert r.ttl("k") == -1


def test_setex_sets_value_and_ttl(r):
    assert r.setex("k", 100, "v") is True
    assert r.get("k") == b"v"
    assert r.ttl("k") == 100


def test_psetex_sets_value_and_ttl_in_milliseconds(r):
    assert r.psetex("k", 100000, "v") is True
    assert r.get("k") == b"v"
    assert 99000 < r.pttl("k") <= 100000


def test_setex_replaces_value_and_ttl_of_an_existing_key(r):
    r.set("k", "old")
    r.setex("k", 50, "new")
    assert r.get("k") == b"new"
    assert r.ttl("k") == 50


@pytest.mark.parametrize("cmd", ["SETEX", "PSETEX"])
@pytest.mark.parametrize("ttl", ["0", "-1", str(INT64_MAX)])
def test_setex_with_a_non_positive_or_overflowing_ttl_is_invalid_expire_time(r, raw, cmd, ttl):
    r.set("k", "keep")
    assert raw.call_decoded(cmd, "k", ttl, "v") == bad_expire(cmd.lower())
    assert r.get("k") == b"keep"


@pytest.mark.parametrize("cmd", ["SETEX", "PSETEX"])
@pytest.mark.parametrize("ttl", ["abc", "1.5", "", "1e3"])
def test_setex_with_a_non_integer_ttl_is_not_an_integer(raw, cmd, ttl):
    assert raw.call_decoded(cmd, "k", ttl, "v") == WRONG_INT


def test_setex_of_a_missing_key_with_zero_ttl_is_an_error_not_a_delete(r, raw):
    assert raw.call_decoded("SETEX", "nokey", "0", "v") == bad_expire("setex")
    assert r.exists("nokey") == 0


# ---------------------------------------------------------------- GETSET / GETDEL

def test_getset_returns_the_old_value_and_sets_the_new(r):
    r.set("k", "old")
    assert r.getset("k", "new") == b"old"
    assert r.get("k") == b"new"


def test_getset_of_a_missing_key_returns_nil_and_creates_it(r):
    assert r.getset("k", "v") is None
    assert r.get("k") == b"v"


def test_getset_clears_the_ttl(r):
    r.set("k", "old", ex=100)
    r.getset("k", "new")
    assert r.ttl("k") == -1


def test_getdel_returns_the_value_and_deletes_the_key(r):
    r.set("k", "v", ex=100)
    assert r.getdel("k") == b"v"
    assert r.exists("k") == 0
    assert r.getdel("k") is None


# ---------------------------------------------------------------- GETEX

def test_getex_without_options_returns_value_and_keeps_ttl(r):
    r.set("k", "v", ex=100)
    assert r.getex("k") == b"v"
    assert r.ttl("k") == 100


def test_getex_of_a_missing_key_is_nil(r):
    assert r.getex("nokey") is None
    assert r.getex("nokey", ex=10) is None
    assert r.exists("nokey") == 0


def test_getex_ex_and_px_set_a_relative_ttl(r):
    r.set("k", "v")
    assert r.getex("k", ex=100) == b"v"
    assert r.ttl("k") == 100
    assert r.getex("k", px=50000) == b"v"
    assert 49000 < r.pttl("k") <= 50000


def test_getex_exat_and_pxat_set_an_absolute_expire_time(r):
    r.set("k", "v")
    assert r.getex("k", exat=9999999999) == b"v"
    assert r.expiretime("k") == 9999999999
    assert r.getex("k", pxat=9999999999123) == b"v"
    assert r.execute_command("PEXPIRETIME", "k") == 9999999999123


def test_getex_persist_removes_the_ttl(r):
    r.set("k", "v", ex=100)
    assert r.getex("k", persist=True) == b"v"
    assert r.ttl("k") == -1


@pytest.mark.parametrize("opt", ["EXAT", "PXAT"])
def test_getex_with_a_past_absolute_time_returns_the_value_then_deletes(r, raw, opt):
    r.set("k", "v")
    assert raw.call_decoded("GETEX", "k", opt, "1") == b"v"
    assert r.exists("k") == 0


def test_getex_repeating_an_option_is_accepted_and_last_value_wins(r, raw):
    r.set("k", "v")
    assert raw.call_decoded("GETEX", "k", "EX", "30", "EX", "40") == b"v"
    assert r.ttl("k") == 40
    assert raw.call_decoded("GETEX", "k", "PERSIST", "PERSIST") == b"v"
    assert r.ttl("k") == -1


@pytest.mark.parametrize("opts", [
    ["PERSIST", "EX", "10"], ["EX", "10", "PERSIST"], ["EX", "10", "PX", "10"],
    ["EXAT", "9999999999", "PXAT", "9999999999999"], ["EX"], ["PXAT"],
    ["FOO"], ["KEEPTTL"], ["NX"],
], ids=lambda o: "-".join(o))
def test_getex_with_conflicting_or_unknown_options_is_a_syntax_error(r, raw, opts):
    r.set("k", "v", ex=50)
    assert raw.call_decoded("GETEX", "k", *opts) == SYNTAX
    assert r.ttl("k") == 50


@pytest.mark.parametrize("opts", [
    ["EX", "0"], ["EX", "-5"], ["PX", "0"], ["PX", "-1"], ["EXAT", "0"], ["EXAT", "-1"],
    ["PXAT", "0"], ["EX", str(INT64_MAX)], ["PX", str(INT64_MAX)],
], ids=lambda o: "-".join(o))
def test_getex_with_a_non_positive_or_overflowing_expire_is_invalid_expire_time(r, raw, opts):
    r.set("k", "v")
    assert raw.call_decoded("GETEX", "k", *opts) == bad_expire("getex")
    assert r.ttl("k") == -1


def test_getex_with_a_non_integer_expire_is_not_an_integer(r, raw):
    r.set("k", "v")
    assert raw.call_decoded("GETEX", "k", "EX", "abc") == WRONG_INT
    assert raw.call_decoded("GETEX", "k", "PXAT", "1.5") == WRONG_INT


def test_getex_of_a_missing_key_replies_nil_before_checking_the_expire_value(raw):
    # Redis looks the key up before it parses the number, so a bad or
    # non-positive time on a missing key is not reported.
    assert raw.call_decoded("GETEX", "nokey", "EX", "abc") is None
    assert raw.call_decoded("GETEX", "nokey", "EX", "0") is None
    assert raw.call_decoded("GETEX", "nokey", "PX", "-1") is None


def test_getex_of_a_missing_key_still_reports_a_syntax_error(raw):
    assert raw.call_decoded("GETEX", "nokey", "FOO") == SYNTAX
    assert raw.call_decoded("GETEX", "nokey", "EX") == SYNTAX


# ---------------------------------------------------------------- MGET / MSET / MSETNX

def test_mget_returns_values_in_request_order_with_nil_for_missing(r):
    r.set("a", "1")
    r.set("c", "3")
    assert r.mget("a", "b", "c", "a") == [b"1", None, b"3", b"1"]


def test_mget_of_a_single_missing_key(r):
    assert r.mget("nokey") == [None]


def test_mset_sets_every_pair(r):
    assert r.mset({"a": "1", "b": "2", "c": ""}) is True
    assert r.mget("a", "b", "c") == [b"1", b"2", b""]


def test_mset_with_a_repeated_key_keeps_the_last_value(raw, r):
    assert raw.call_decoded("MSET", "k", "first", "k", "second") == b"OK"
    assert r.get("k") == b"second"


def test_mset_clears_the_ttl_of_overwritten_keys(r):
    r.set("a", "old", ex=100)
    r.mset({"a": "new"})
    assert r.ttl("a") == -1


def test_msetnx_sets_all_when_none_exist(r):
    assert r.msetnx({"a": "1", "b": "2"}) is True
    assert r.mget("a", "b") == [b"1", b"2"]


def test_msetnx_sets_nothing_when_any_key_exists(r):
    r.set("b", "orig")
    assert r.msetnx({"a": "1", "b": "2", "c": "3"}) is False
    assert r.mget("a", "b", "c") == [None, b"orig", None]


def test_msetnx_with_a_repeated_new_key_succeeds_and_keeps_the_last_value(raw, r):
    assert raw.call_decoded("MSETNX", "k", "1", "k", "2") == 1
    assert r.get("k") == b"2"


def test_msetnx_treats_an_expired_key_as_missing(r):
    r.set("a", "old", px=30)
    time.sleep(0.06)
    assert r.msetnx({"a": "new", "b": "x"}) is True
    assert r.mget("a", "b") == [b"new", b"x"]


# ---------------------------------------------------------------- INCR / DECR / INCRBY / DECRBY

def test_incr_of_a_missing_key_starts_from_zero(r):
    assert r.incr("n") == 1
    assert r.incr("n") == 2
    assert r.get("n") == b"2"


def test_decr_of_a_missing_key_goes_negative(r):
    assert r.decr("n") == -1
    assert r.get("n") == b"-1"


def test_incrby_and_decrby_add_the_given_amount(r):
    r.set("n", "10")
    assert r.incrby("n", 5) == 15
    assert r.decrby("n", 20) == -5
    assert r.incrby("n", -5) == -10
    assert r.decrby("n", -10) == 0
    assert r.get("n") == b"0"


def test_incr_preserves_the_ttl(r):
    r.set("n", "5", ex=100)
    assert r.incr("n") == 6
    assert r.decrby("n", 3) == 3
    assert r.ttl("n") == 100


def test_incr_reaches_the_64_bit_limits_exactly(r):
    r.set("n", str(INT64_MAX - 1))
    assert r.incr("n") == INT64_MAX
    r.set("m", str(INT64_MIN + 1))
    assert r.decr("m") == INT64_MIN
    assert r.get("m") == b"-9223372036854775808"


@pytest.mark.parametrize("start,args", [
    (str(INT64_MAX), ["INCR", "n"]),
    (str(INT64_MAX), ["INCRBY", "n", "1"]),
    (str(INT64_MIN), ["DECR", "n"]),
    (str(INT64_MIN), ["DECRBY", "n", "1"]),
    (str(INT64_MIN), ["INCRBY", "n", "-1"]),
    ("1", ["INCRBY", "n", str(INT64_MAX)]),
    ("-2", ["DECRBY", "n", str(INT64_MAX)]),
], ids=lambda a: "-".join(a) if isinstance(a, list) else a)
def test_incr_past_64_bits_is_an_overflow_error_and_keeps_the_value(r, raw, start, args):
    r.set("n", start)
    assert raw.call_decoded(*args) == E("ERR increment or decrement would overflow")
    assert r.get("n") == start.encode()


def test_decrby_of_int64_min_is_its_own_overflow_error(r, raw):
    # Negating the decrement itself would overflow: checked before the value.
    assert raw.call_decoded("DECRBY", "n", str(INT64_MIN)) == E("ERR decrement would overflow")
    assert r.exists("n") == 0


def test_incrby_of_int64_min_is_allowed(raw):
    assert raw.call_decoded("INCRBY", "n", str(INT64_MIN)) == INT64_MIN
    assert raw.call_decoded("DECRBY", "n", "-1") == INT64_MIN + 1


@pytest.mark.parametrize("value", [
    "abc", "", "1.5", "1.0", " 1", "1 ", "+1", "01", "-0", "0x10", "1e3",
    "9223372036854775808", "-9223372036854775809", "12345678901234567890123",
    "1\x002",
])
def test_incr_of_a_value_that_is_not_a_canonical_integer_is_an_error(r, raw, value):
    r.set("n", value)
    assert raw.call_decoded("INCR", "n") == WRONG_INT
    assert raw.call_decoded("DECRBY", "n", "1") == WRONG_INT
    assert r.get("n") == value.encode()


@pytest.mark.parametrize("amount", [
    "abc", "", "1.0", " 1", "1 ", "9223372036854775808", "-9223372036854775809",
])
def test_incrby_with_a_non_integer_amount_is_an_error(r, raw, amount):
    r.set("n", "5")
    assert raw.call_decoded("INCRBY", "n", amount) == WRONG_INT
    assert raw.call_decoded("DECRBY", "n", amount) == WRONG_INT
    assert r.get("n") == b"5"


def test_incr_result_is_stored_as_its_decimal_text(r):
    r.set("n", "-10")
    r.incrby("n", 7)
    assert r.get("n") == b"-3"
    assert r.strlen("n") == 2


# ---------------------------------------------------------------- INCRBYFLOAT

@pytest.mark.parametrize("start,incr,result", [
    (None, "3", b"3"),
    (None, "-3.5", b"-3.5"),
    ("10.50", "0.1", b"10.6"),
    ("5.0e3", "2.0e2", b"5200"),
    ("3", "1.5", b"4.5"),
    ("3.0", "1", b"4"),
    ("-3.5", "3.5", b"0"),
    ("1", ".5", b"1.5"),
    ("1", "5.", b"6"),
    ("1", "1e17", b"100000000000000001"),
    # 1e21 + 1 needs more than the 64-bit mantissa of a long double.
    ("1", "1e21", b"1000000000000000000000"),
    # Hex input is accepted, as strtold parses it.
    ("0x10", "1", b"17"),
    ("1", "0x1p3", b"9"),
    ("-0.0", "0", b"0"),
    ("1", "1e-4940", b"1"),
    ("7", str(INT64_MAX), b"9223372036854775814"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_incrbyfloat_adds_and_formats_like_redis(r, raw, start, incr, result):
    if start is not None:
        r.set("n", start)
    assert raw.call_decoded("INCRBYFLOAT", "n", incr) == result
    assert r.get("n") == result


def test_incrbyfloat_computes_in_long_double_precision(r, raw):
    # 80-bit long double, printed with 17 significant digits: a double would
    # print 5010.6 here.
    r.set("n", "10.6")
    assert raw.call_decoded("INCRBYFLOAT", "n", "5000") == b"5010.60000000000000009"
    assert raw.call_decoded("INCRBYFLOAT", "n", "-5000") == b"10.60000000000000009"


def test_incrbyfloat_preserves_the_ttl(r, raw):
    r.set("n", "1", ex=100)
    assert raw.call_decoded("INCRBYFLOAT", "n", "1.5") == b"2.5"
    assert r.ttl("n") == 100


def test_incrbyfloat_result_can_be_incremented_as_an_integer_when_whole(r, raw):
    r.set("n", "1.5")
    raw.call_decoded("INCRBYFLOAT", "n", "0.5")
    assert r.incr("n") == 3


@pytest.mark.parametrize("incr", [
    "abc", "", " 1", "1 ", "1e", "nan", "-nan", "1e5000", "1e-5000", "1,5", "0" * 5120,
])
def test_incrbyfloat_with_an_invalid_increment_is_not_a_valid_float(r, raw, incr):
    r.set("n", "5")
    assert raw.call_decoded("INCRBYFLOAT", "n", incr) == WRONG_FLOAT
    assert r.get("n") == b"5"


def test_incrbyfloat_accepts_a_long_increment_just_under_the_length_limit(raw):
    assert raw.call_decoded("INCRBYFLOAT", "n", "0" * 5119) == b"0"


@pytest.mark.parametrize("value", ["abc", " 1", "1 ", "nan", "1e5000", ""])
def test_incrbyfloat_of_a_value_that_is_not_a_float_is_an_error(r, raw, value):
    r.set("n", value)
    assert raw.call_decoded("INCRBYFLOAT", "n", "1") == WRONG_FLOAT
    assert r.get("n") == value.encode()


@pytest.mark.parametrize("start,incr", [
    ("5", "inf"), ("5", "-inf"), ("5", "infinity"), ("inf", "1"), ("-inf", "0"),
    ("1e4932", "1e4932"), ("-1e4932", "-1e4932"),
])
def test_incrbyfloat_to_an_infinite_result_is_refused(r, raw, start, incr):
    r.set("n", start)
    assert raw.call_decoded("INCRBYFLOAT", "n", incr) == E("ERR increment would produce NaN or Infinity")
    assert r.get("n") == start.encode()


def test_incrbyfloat_beyond_double_range_stays_finite_in_long_double(r, raw):
    # 2e308 would be infinite as a double; printed with %.17Lf in full.
    r.set("n", "1e308")
    assert raw.call_decoded("INCRBYFLOAT", "n", "1e308") == (
        b"1999999999999999999933717593116912913211201996948311344155940959898434697376761237442002"
        b"5384377707864089349445010802644630426949918792116719484162886039283753591820003920638155"
        b"7326219209014213335878306791577877829121087126122536729803237260434173178506889763247582"
        b"601711514636284849020905456510092687857156096")


# ---------------------------------------------------------------- APPEND / STRLEN

def test_append_to_a_missing_key_creates_it(r):
    assert r.append("k", "hello") == 5
    assert r.get("k") == b"hello"


def test_append_returns_the_new_length(r):
    r.set("k", "hello")
    assert r.append("k", " world") == 11
    assert r.get("k") == b"hello world"


def test_append_is_binary_safe(r):
    r.set("k", b"\x00a")
    assert r.append("k", b"\r\n\x00") == 5
    assert r.get("k") == b"\x00a\r\n\x00"


def test_append_of_an_empty_string_to_a_missing_key_creates_an_empty_key(r):
    assert r.append("k", "") == 0
    assert r.exists("k") == 1
    assert r.get("k") == b""


def test_append_preserves_the_ttl(r):
    r.set("k", "a", ex=100)
    r.append("k", "b")
    assert r.ttl("k") == 100


def test_append_to_an_integer_value_appends_to_its_text(r):
    r.set("k", "10")
    assert r.append("k", "0") == 3
    assert r.incr("k") == 101


def test_strlen_of_a_missing_key_is_zero(r):
    assert r.strlen("nokey") == 0


def test_strlen_counts_bytes(r):
    r.set("k", "h\xe9llo")  # é is two bytes in UTF-8
    assert r.strlen("k") == 6
    r.set("e", "")
    assert r.strlen("e") == 0


def test_strlen_of_an_integer_value_is_the_length_of_its_text(r):
    r.set("k", "-12345")
    assert r.strlen("k") == 6
    r.set("k", str(INT64_MIN))
    assert r.strlen("k") == 20


# ---------------------------------------------------------------- GETRANGE

@pytest.mark.parametrize("start,end,expected", [
    (0, -1, b"Hello, World"),
    (0, 4, b"Hello"),
    (7, 11, b"World"),
    (-5, -1, b"World"),
    (-5, -3, b"Wor"),
    (-100, 4, b"Hello"),
    (5, 100, b", World"),
    (0, 0, b"H"),
    (11, 11, b"d"),
    (-1, -1, b"d"),
    (4, 3, b""),
    (-1, -2, b""),
    (12, 20, b""),
    (100, 200, b""),
    (0, INT64_MAX, b"Hello, World"),
    # A negative end past the start is clamped to 0, not to "empty".
    (0, -100, b"H"),
    (INT64_MIN, INT64_MIN, b"H"),
    (0, INT64_MIN, b"H"),
    (3, -100, b""),
])
def test_getrange_takes_inclusive_offsets_counting_negatives_from_the_end(r, start, end, expected):
    r.set("k", "Hello, World")
    assert r.getrange("k", start, end) == expected


def test_getrange_of_a_missing_or_empty_key_is_empty(r):
    assert r.getrange("nokey", 0, -1) == b""
    r.set("e", "")
    assert r.getrange("e", 0, -1) == b""
    assert r.getrange("e", 0, 0) == b""
    assert r.getrange("e", -1, -1) == b""


def test_getrange_of_an_integer_value_works_on_its_text(r):
    r.set("k", "1234567")
    assert r.getrange("k", 1, 3) == b"234"


@pytest.mark.parametrize("start,end", [("a", "1"), ("0", "1.5"), ("", "1"), ("0", "9223372036854775808")])
def test_getrange_with_non_integer_offsets_is_an_error(r, raw, start, end):
    r.set("k", "abc")
    assert raw.call_decoded("GETRANGE", "k", start, end) == WRONG_INT


# ---------------------------------------------------------------- SETRANGE

def test_setrange_overwrites_part_of_the_string(r):
    r.set("k", "Hello World")
    assert r.setrange("k", 6, "Redis") == 11
    assert r.get("k") == b"Hello Redis"


def test_setrange_extends_the_string(r):
    r.set("k", "Hello")
    assert r.setrange("k", 3, "p me!") == 8
    assert r.get("k") == b"Help me!"


def test_setrange_past_the_end_pads_with_zero_bytes(r):
    r.set("k", "ab")
    assert r.setrange("k", 5, "Z") == 6
    assert r.get("k") == b"ab\x00\x00\x00Z"


def test_setrange_of_a_missing_key_creates_a_zero_padded_string(r):
    assert r.setrange("k", 3, "x") == 4
    assert r.get("k") == b"\x00\x00\x00x"


def test_setrange_with_an_empty_value_on_a_missing_key_creates_nothing(r):
    assert r.setrange("k", 10, "") == 0
    assert r.exists("k") == 0


def test_setrange_with_an_empty_value_returns_length_and_changes_nothing(r):
    r.set("k", "abc")
    assert r.setrange("k", 10, "") == 3
    assert r.get("k") == b"abc"


def test_setrange_with_an_empty_value_skips_the_size_limit(r):
    r.set("k", "abc")
    assert r.setrange("k", 536870912, "") == 3
    assert r.setrange("nokey", 536870912, "") == 0


def test_setrange_preserves_the_ttl(r):
    r.set("k", "abc", ex=100)
    r.setrange("k", 1, "X")
    assert r.ttl("k") == 100
    assert r.get("k") == b"aXc"


def test_setrange_on_an_integer_value_edits_its_text(r):
    r.set("k", "10")
    assert r.setrange("k", 0, "2") == 2
    assert r.incr("k") == 21


def test_setrange_with_a_negative_offset_is_out_of_range(r, raw):
    r.set("k", "abc")
    assert raw.call_decoded("SETRANGE", "k", "-1", "x") == E("ERR offset is out of range")
    assert raw.call_decoded("SETRANGE", "nokey", "-1", "x") == E("ERR offset is out of range")
    assert r.get("k") == b"abc"


def test_setrange_with_a_non_integer_offset_is_an_error(raw):
    assert raw.call_decoded("SETRANGE", "k", "x", "y") == WRONG_INT
    assert raw.call_decoded("SETRANGE", "k", "1.5", "y") == WRONG_INT


def test_setrange_beyond_512mb_exceeds_the_maximum_size(r, raw):
    big = E("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    assert raw.call_decoded("SETRANGE", "k", "536870912", "x") == big
    assert raw.call_decoded("SETRANGE", "k", "536870911", "xy") == big
    assert raw.call_decoded("SETRANGE", "k", str(INT64_MAX), "x") == big
    assert r.exists("k") == 0


@pytest.fixture(scope="module")
def small_bulk_server():
    """A server whose proto-max-bulk-len is the 1 MB minimum, so that the
    size limit can be reached without allocating 512 MB."""
    srv = Server(options={"proto-max-bulk-len": "1mb"}).start()
    yield srv
    assert srv.stop() == 0


def test_setrange_and_append_obey_a_lowered_proto_max_bulk_len(small_bulk_server):
    limit = 1024 * 1024
    big = E("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    conn = small_bulk_server.conn()
    try:
        conn.call_decoded("FLUSHALL")
        assert conn.call_decoded("SETRANGE", "k", str(limit), "x") == big
        assert conn.call_decoded("SETRANGE", "k", str(limit - 1), "x") == limit
        assert conn.call_decoded("APPEND", "k", "y") == big
        assert conn.call_decoded("STRLEN", "k") == limit
        assert conn.call_decoded("SET", "j", "a" * (limit - 1)) == b"OK"
        assert conn.call_decoded("APPEND", "j", "b") == limit
        assert conn.call_decoded("APPEND", "j", "c") == big
        assert conn.call_decoded("APPEND", "j", "") == limit
    finally:
        conn.close()


# ---------------------------------------------------------------- expiry through string commands

def test_get_of_a_key_whose_ttl_passed_is_nil(r):
    r.set("k", "v", px=50)
    assert r.get("k") == b"v"
    time.sleep(0.08)
    assert r.get("k") is None


def test_expired_key_is_gone_for_every_string_read(r):
    for key in ("a", "b", "c", "d", "e"):
        r.set(key, "12", px=40)
    time.sleep(0.07)
    assert r.strlen("a") == 0
    assert r.getrange("b", 0, -1) == b""
    assert r.mget("c", "d") == [None, None]
    assert r.getdel("e") is None


def test_incr_of_an_expired_key_starts_again_from_zero_without_ttl(r):
    r.set("n", "100", px=40)
    time.sleep(0.07)
    assert r.incr("n") == 1
    assert r.ttl("n") == -1


def test_append_to_an_expired_key_starts_a_new_string(r):
    r.set("k", "old", px=40)
    time.sleep(0.07)
    assert r.append("k", "new") == 3
    assert r.get("k") == b"new"
    assert r.ttl("k") == -1


def test_set_xx_on_an_expired_key_does_nothing(r):
    r.set("k", "old", px=40)
    time.sleep(0.07)
    assert r.set("k", "new", xx=True) is None
    assert r.exists("k") == 0


def test_set_ex_key_expires_after_its_ttl(r):
    r.set("k", "v", px=120)
    assert r.exists("k") == 1
    wait_until_gone(r, "k")
    assert r.ttl("k") == -2
