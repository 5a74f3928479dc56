"""Server introspection and administration: COMMAND, INFO, CONFIG, DBSIZE,
FLUSHALL/FLUSHDB, TIME.

With several shards these commands must answer for the whole server, not for
the shard that happens to own the connection, so key-counting checks use
enough keys to land on every shard.
"""
import re
import time

import pytest

from resp_socket import decode
from server_fixture import target

tessera_only = pytest.mark.skipif(target() == "redis",
                                  reason="Tessera extension; Redis 7.0 differs")


@pytest.fixture
def conn(server, r):
    """A raw connection on a flushed database (r does the flush)."""
    c = server.conn()
    yield c
    c.close()


def crc16(data):
    """CRC16-CCITT (XMODEM), the key hash Redis Cluster and Tessera use."""
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def key_slot(key):
    start = key.find(b"{")
    if start >= 0:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1:end]
    return crc16(key) % 16384


def key_shard(key, nshards):
    return key_slot(key) * nshards // 16384


def info_fields(text):
    fields = {}
    for line in text.split(b"\r\n"):
        if line and not line.startswith(b"#"):
            name, _, value = line.partition(b":")
            fields[name.decode()] = value.decode()
    return fields


def info_sections(text):
    return [line[2:].decode() for line in text.split(b"\r\n") if line.startswith(b"# ")]


def fill(r, n, prefix="key"):
    with r.pipeline(transaction=False) as p:
        for i in range(n):
            p.set("%s:%d" % (prefix, i), i)
        p.execute()


def wait_for(predicate, timeout=5.0):
    """Poll until predicate() is true; connection closes are processed by the
    server asynchronously, so counts may lag the client by a moment."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.02)


# --- COMMAND ---------------------------------------------------------------------

def test_command_count_is_a_positive_integer(conn):
    frame = conn.call("COMMAND", "COUNT")
    assert re.fullmatch(rb":[1-9][0-9]*\r\n", frame)


def test_command_count_with_extra_argument_is_an_arity_error(conn):
    assert conn.call("COMMAND", "COUNT", "x") == \
        b"-ERR wrong number of arguments for 'command|count' command\r\n"


def test_command_info_describes_name_arity_flags_and_key_positions(conn):
    get, set_, missing = decode(conn.call("COMMAND", "INFO", "get", "set", "no-such-cmd"))
    assert len(get) == 10 and len(set_) == 10
    assert get[:6] == [b"get", 2, [b"readonly", b"fast"], 1, 1, 1]
    assert set_[:6] == [b"set", -3, [b"write", b"denyoom"], 1, 1, 1]
    assert b"@string" in get[6] and b"@read" in get[6]
    assert b"@string" in set_[6] and b"@write" in set_[6]
    assert missing is None


def test_command_info_accepts_any_case(conn):
    reply = decode(conn.call("COMMAND", "INFO", "GeT"))
    assert reply[0][:2] == [b"get", 2]


def test_command_info_for_keyless_command_has_zero_key_positions(conn):
    (ping,) = decode(conn.call("COMMAND", "INFO", "ping"))
    assert ping[0] == b"ping" and ping[1] == -1
    assert ping[3:6] == [0, 0, 0]


def test_command_docs_pairs_command_name_with_its_documentation(conn):
    reply = decode(conn.call("COMMAND", "DOCS", "get"))
    assert isinstance(reply, list) and len(reply) == 2
    assert reply[0] == b"get"
    doc = dict(zip(reply[1][0::2], reply[1][1::2]))
    assert doc[b"group"] == b"string"
    for field in (b"summary", b"since", b"complexity"):
        assert isinstance(doc[field], bytes) and doc[field]


def test_command_docs_of_unknown_command_is_empty(conn):
    assert conn.call("COMMAND", "DOCS", "no-such-cmd") == b"*0\r\n"


def test_command_docs_in_resp3_is_a_map_keyed_by_name(conn):
    conn.call("HELLO", "3")
    frame = conn.call("COMMAND", "DOCS", "get")
    assert frame.startswith(b"%1\r\n$3\r\nget\r\n%")
    assert decode(frame)[b"get"][b"group"] == b"string"


def test_command_unknown_subcommand_points_to_help(conn):
    assert conn.call("COMMAND", "NOSUCH") == \
        b"-ERR unknown subcommand 'NOSUCH'. Try COMMAND HELP.\r\n"


# --- INFO ------------------------------------------------------------------------

def test_info_default_has_the_standard_sections(conn):
    sections = info_sections(decode(conn.call("INFO")))
    for name in ("Server", "Clients", "Memory", "Stats", "Keyspace"):
        assert name in sections


def test_info_is_crlf_terminated_lines_with_blank_line_between_sections(conn):
    text = decode(conn.call("INFO", "server", "clients"))
    assert text.startswith(b"# Server\r\n")
    assert text.endswith(b"\r\n") and not text.endswith(b"\r\n\r\n")
    server_part, clients_part = text.split(b"\r\n\r\n")
    assert clients_part.startswith(b"# Clients\r\n")
    for part in (server_part, clients_part[:-2]):
        body = part.split(b"\r\n")[1:]
        assert body and all(re.fullmatch(rb"[a-z0-9_]+:[^\r\n]*", line) for line in body)


def test_info_server_reports_port_and_process_id(server, conn):
    fields = info_fields(decode(conn.call("INFO", "server")))
    assert fields["tcp_port"] == str(server.port)
    assert fields["process_id"] == str(server.proc.pid)
    assert int(fields["uptime_in_seconds"]) >= 0


def test_info_with_one_section_returns_only_that_section(conn):
    text = decode(conn.call("INFO", "clients"))
    assert info_sections(text) == ["Clients"]


def test_info_section_names_are_case_insensitive_and_combinable(conn):
    text = decode(conn.call("INFO", "CLIENTS", "Memory"))
    assert sorted(info_sections(text)) == ["Clients", "Memory"]


def test_info_unknown_section_is_empty_bulk(conn):
    assert conn.call("INFO", "no-such-section") == b"$0\r\n\r\n"


def test_info_clients_counts_connected_clients_across_the_server(server, conn):
    def count():
        return int(info_fields(decode(conn.call("INFO", "clients")))["connected_clients"])

    base = count()
    extra = [server.conn() for _ in range(4)]
    try:
        for c in extra:
            assert c.call("PING") == b"+PONG\r\n"
        assert count() == base + 4
    finally:
        for c in extra:
            c.close()
    assert wait_for(lambda: count() == base)


def test_info_memory_reports_used_memory_and_maxmemory(conn):
    fields = info_fields(decode(conn.call("INFO", "memory")))
    assert int(fields["used_memory"]) > 0
    assert fields["maxmemory"] == "0"
    assert fields["maxmemory_policy"] == "noeviction"


def test_info_stats_counts_keyspace_hits_and_misses_since_resetstat(conn):
    conn.call("SET", "k", "v")
    assert conn.call("CONFIG", "RESETSTAT") == b"+OK\r\n"
    conn.call("GET", "k")
    conn.call("GET", "k")
    conn.call("GET", "missing")
    fields = info_fields(decode(conn.call("INFO", "stats")))
    assert fields["keyspace_hits"] == "2"
    assert fields["keyspace_misses"] == "1"
    assert int(fields["total_commands_processed"]) >= 4


def test_info_keyspace_is_empty_when_database_is_empty(conn):
    assert conn.call("INFO", "keyspace") == b"$12\r\n# Keyspace\r\n\r\n"


def test_info_keyspace_counts_keys_and_expires_over_all_shards(conn, r):
    fill(r, 40)
    for i in range(7):
        r.set("ttl:%d" % i, "v", ex=1000)
    text = decode(conn.call("INFO", "keyspace"))
    assert re.fullmatch(rb"# Keyspace\r\ndb0:keys=47,expires=7,avg_ttl=\d+\r\n", text)


@tessera_only
def test_info_keyspace_avg_ttl_of_keys_expiring_at_the_end_of_time_is_right(conn, r):
    # Two TTLs near 2^63 ms overflowed the shard's int64 sum (UBSan, found
    # by tests/fuzz/fuzz_commands). Redis 7.0's sum overflows too: it
    # answers about 5.1e18 here, so this is Tessera's own.
    for i in range(20):
        r.set("end-of-time:%d" % i, "v")
        r.pexpireat("end-of-time:%d" % i, 9223372036854775807)
    ttl = r.pttl("end-of-time:0")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        m = re.search(rb"avg_ttl=(\d+)", decode(conn.call("INFO", "keyspace")))
        if m and int(m.group(1)) > 0:
            break
        time.sleep(0.1)
    assert abs(int(m.group(1)) - ttl) < ttl // 1000


@tessera_only
def test_info_shards_lists_each_shard_with_its_key_count(server, conn, r):
    keys = [b"shard-key:%d" % i for i in range(60)]
    with r.pipeline(transaction=False) as p:
        for k in keys:
            p.set(k, "v")
        p.execute()
    expected = [0] * server.shards
    for k in keys:
        expected[key_shard(k, server.shards)] += 1

    text = decode(conn.call("INFO", "shards"))
    assert info_sections(text) == ["Shards"]
    fields = info_fields(text)
    assert fields["shards"] == str(server.shards)
    for n in range(server.shards):
        # Later fields (e.g. memory) may follow the three that are specified.
        m = re.fullmatch(r"keys=(\d+),ops=(\d+),connections=(\d+)(,[a-z_]+=[^,]*)*",
                         fields["shard%d" % n])
        assert m, fields["shard%d" % n]
        assert int(m.group(1)) == expected[n]
    assert "shard%d" % server.shards not in fields


def longest_iterations(conn, shards):
    fields = info_fields(decode(conn.call("INFO", "shards")))
    return [int(re.search(r"longest_iteration_us=(\d+)", fields["shard%d" % n]).group(1))
            for n in range(shards)]


@tessera_only
def test_info_shards_longest_iteration_covers_a_big_command_until_resetstat(server, conn):
    conn.call("CONFIG", "RESETSTAT")
    # One MSET of 100k keys is one iteration's work on every shard it
    # touches: far more than a millisecond, however fast the machine.
    args = []
    for i in range(100000):
        args += ["iter-key:%d" % i, "v"]
    assert conn.call("MSET", *args) == b"+OK\r\n"
    busy = longest_iterations(conn, server.shards)
    assert all(us >= 1000 for us in busy), busy
    # After RESETSTAT only quiet iterations count. One of them may be
    # preempted for longer than the MSET took on a loaded machine, so a
    # second reset is allowed; two such preemptions in a row are not.
    for _ in range(2):
        conn.call("CONFIG", "RESETSTAT")
        after = longest_iterations(conn, server.shards)
        if all(a < b for a, b in zip(after, busy)):
            break
    assert all(a < b for a, b in zip(after, busy)), (after, busy)


@tessera_only
def test_info_all_includes_the_shards_section(conn):
    assert "Shards" in info_sections(decode(conn.call("INFO", "all")))


# --- CONFIG ----------------------------------------------------------------------

def config_get(conn, *patterns):
    reply = decode(conn.call("CONFIG", "GET", *patterns))
    return dict(zip(reply[0::2], reply[1::2]))


@pytest.fixture
def restore_config(conn):
    """Put back the settings these tests change; the server is shared."""
    yield
    conn.call("CONFIG", "SET", "maxmemory", "0")
    conn.call("CONFIG", "SET", "timeout", "0")
    conn.call("CONFIG", "SET", "maxmemory-policy", "noeviction")
    if target() == "tessera":
        conn.call("CONFIG", "SET", "client-output-backpressure", "4mb")


def test_config_get_exact_name_returns_name_value_pair(conn):
    assert conn.call("CONFIG", "GET", "maxmemory") == \
        b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"


def test_config_get_unknown_parameter_is_empty_array(conn):
    assert conn.call("CONFIG", "GET", "no-such-parameter") == b"*0\r\n"


def test_config_get_glob_matches_every_parameter_with_the_prefix(conn):
    found = config_get(conn, "maxmemory*")
    assert found[b"maxmemory"] == b"0"
    assert found[b"maxmemory-policy"] == b"noeviction"
    assert all(name.startswith(b"maxmemory") for name in found)


def test_config_get_glob_suffix_and_question_mark(conn):
    assert config_get(conn, "*policy") == {b"maxmemory-policy": b"noeviction"}
    assert config_get(conn, "tim?out") == {b"timeout": b"0"}


def test_config_get_several_patterns_in_one_call(server, conn):
    found = config_get(conn, "maxmemory", "timeout", "port")
    assert found == {b"maxmemory": b"0", b"timeout": b"0", b"port": str(server.port).encode()}


def test_config_get_same_parameter_twice_is_reported_once(conn):
    assert conn.call("CONFIG", "GET", "maxmemory", "maxmemory") == \
        b"*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"


@pytest.mark.parametrize("name,value", [
    ("bind", b"127.0.0.1"), ("requirepass", b""), ("proto-max-bulk-len", b"536870912"),
    ("client-query-buffer-limit", b"1073741824"), ("maxclients", b"10000"),
    ("tcp-keepalive", b"300"), ("dbfilename", b"dump.rdb"), ("loglevel", b"notice"),
    ("protected-mode", b"yes"),
])
def test_config_get_reports_defaults_of_supported_options(conn, name, value):
    assert config_get(conn, name) == {name.encode(): value}


@tessera_only
def test_client_output_backpressure_defaults_to_4mb_and_takes_memory_units(conn, restore_config):
    assert config_get(conn, "client-output-backpressure") == {
        b"client-output-backpressure": b"4194304"}
    assert conn.call("CONFIG", "SET", "client-output-backpressure", "8mb") == b"+OK\r\n"
    assert config_get(conn, "client-output-backpressure") == {
        b"client-output-backpressure": b"8388608"}


def test_config_get_without_pattern_is_an_arity_error(conn):
    assert conn.call("CONFIG", "GET") == \
        b"-ERR wrong number of arguments for 'config|get' command\r\n"


@pytest.mark.parametrize("value,stored", [
    ("10mb", b"10485760"), ("1gb", b"1073741824"), ("1kb", b"1024"), ("1k", b"1000"),
    ("123456", b"123456"),
])
def test_config_set_maxmemory_accepts_units(conn, restore_config, value, stored):
    assert conn.call("CONFIG", "SET", "maxmemory", value) == b"+OK\r\n"
    assert config_get(conn, "maxmemory") == {b"maxmemory": stored}


def test_config_set_maxmemory_is_visible_in_info_memory(conn, restore_config):
    conn.call("CONFIG", "SET", "maxmemory", "64mb")
    assert info_fields(decode(conn.call("INFO", "memory")))["maxmemory"] == "67108864"


def test_config_set_timeout_is_reported_by_config_get(conn, restore_config):
    assert conn.call("CONFIG", "SET", "timeout", "300") == b"+OK\r\n"
    assert config_get(conn, "timeout") == {b"timeout": b"300"}


def test_config_set_policy_is_case_insensitive_and_stored_lower_case(conn, restore_config):
    assert conn.call("CONFIG", "SET", "maxmemory-policy", "ALLKEYS-LRU") == b"+OK\r\n"
    assert config_get(conn, "maxmemory-policy") == {b"maxmemory-policy": b"allkeys-lru"}


def test_config_set_several_parameters_at_once(conn, restore_config):
    assert conn.call("CONFIG", "SET", "timeout", "7", "maxmemory", "1mb") == b"+OK\r\n"
    assert config_get(conn, "timeout", "maxmemory") == \
        {b"timeout": b"7", b"maxmemory": b"1048576"}


def test_config_set_unknown_parameter_is_an_error(conn):
    assert conn.call("CONFIG", "SET", "no-such-parameter", "1") == \
        b"-ERR Unknown option or number of arguments for CONFIG SET - 'no-such-parameter'\r\n"


@pytest.mark.parametrize("name,value,reason", [
    ("maxmemory", "abc", b"argument must be a memory value"),
    ("maxmemory", "-1", b"argument must be a memory value"),
    ("timeout", "abc", b"argument couldn't be parsed into an integer"),
    ("timeout", "-1", b"argument must be between 0 and 2147483647 inclusive"),
    ("maxclients", "abc", b"argument couldn't be parsed into an integer"),
    ("maxmemory-policy", "bogus",
     b"argument(s) must be one of the following: volatile-lru, volatile-lfu, "
     b"volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
])
def test_config_set_bad_value_error_names_parameter_and_reason(conn, name, value, reason):
    before = config_get(conn, name)
    assert conn.call("CONFIG", "SET", name, value) == (
        b"-ERR CONFIG SET failed (possibly related to argument '%s') - %s\r\n"
        % (name.encode(), reason))
    assert config_get(conn, name) == before


def test_config_set_rejects_a_duplicate_parameter_and_changes_nothing(conn, restore_config):
    assert conn.call("CONFIG", "SET", "timeout", "5", "timeout", "6") == \
        b"-ERR CONFIG SET failed (possibly related to argument 'timeout') - duplicate parameter\r\n"
    assert config_get(conn, "timeout") == {b"timeout": b"0"}


def test_config_set_with_one_bad_value_applies_none(conn, restore_config):
    reply = conn.call("CONFIG", "SET", "timeout", "9", "maxmemory", "lots")
    assert reply.startswith(b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory')")
    assert config_get(conn, "timeout") == {b"timeout": b"0"}


def test_config_set_without_value_is_an_arity_error(conn):
    assert conn.call("CONFIG", "SET", "maxmemory") == \
        b"-ERR wrong number of arguments for 'config|set' command\r\n"


def test_config_resetstat_replies_ok_and_takes_no_arguments(conn):
    assert conn.call("CONFIG", "RESETSTAT") == b"+OK\r\n"
    assert conn.call("CONFIG", "RESETSTAT", "x") == \
        b"-ERR wrong number of arguments for 'config|resetstat' command\r\n"


def test_config_resetstat_zeroes_hit_counters(conn):
    conn.call("GET", "missing")
    conn.call("CONFIG", "RESETSTAT")
    fields = info_fields(decode(conn.call("INFO", "stats")))
    assert fields["keyspace_hits"] == "0"
    assert fields["keyspace_misses"] == "0"


def test_error_replies_are_counted_by_code_once_wherever_they_are_made(server, conn):
    assert conn.call("CONFIG", "RESETSTAT") == b"+OK\r\n"
    assert conn.call("NOSUCHCOMMAND").startswith(b"-ERR unknown command")
    assert conn.call("GET").startswith(b"-ERR wrong number of arguments")
    # Keys on every shard: an error made on another shard counts once.
    for i in range(10):
        conn.call("SET", "text:%d" % i, "abc")
        assert conn.call("INCR", "text:%d" % i) == (
            b"-ERR value is not an integer or out of range\r\n")
    with server.conn() as other:
        other.send(b"*1\r\n$abc\r\n")
        assert other.read_until_closed() == b"-ERR Protocol error: invalid bulk length\r\n"
    assert decode(conn.call("INFO", "errorstats")) == b"# Errorstats\r\nerrorstat_ERR:count=13\r\n"
    fields = info_fields(decode(conn.call("INFO", "stats")))
    assert fields["total_error_replies"] == "13"
    assert conn.call("CONFIG", "RESETSTAT") == b"+OK\r\n"
    assert decode(conn.call("INFO", "errorstats")) == b"# Errorstats\r\n"
    assert info_fields(decode(conn.call("INFO", "stats")))["total_error_replies"] == "0"


def test_config_without_subcommand_and_unknown_subcommand(conn):
    assert conn.call("CONFIG") == b"-ERR wrong number of arguments for 'config' command\r\n"
    assert conn.call("CONFIG", "NOSUCH") == \
        b"-ERR unknown subcommand 'NOSUCH'. Try CONFIG HELP.\r\n"


# --- DBSIZE / FLUSHALL / FLUSHDB -------------------------------------------------------

def test_dbsize_counts_keys_on_every_shard(conn, r):
    assert conn.call("DBSIZE") == b":0\r\n"
    fill(r, 100)
    assert conn.call("DBSIZE") == b":100\r\n"


def test_dbsize_takes_no_arguments(conn):
    assert conn.call("DBSIZE", "x") == b"-ERR wrong number of arguments for 'dbsize' command\r\n"


@pytest.mark.parametrize("command", [["FLUSHALL"], ["FLUSHALL", "SYNC"], ["FLUSHALL", "ASYNC"],
                                     ["FLUSHDB"], ["FLUSHDB", "SYNC"], ["flushdb", "async"]],
                         ids=lambda c: "-".join(c).lower())
def test_flush_removes_every_key_on_every_shard(conn, r, command):
    fill(r, 100)
    assert conn.call(*command) == b"+OK\r\n"
    assert conn.call("DBSIZE") == b":0\r\n"
    assert conn.call("GET", "key:1") == b"$-1\r\n"


@pytest.mark.parametrize("command", [["FLUSHALL", "FOO"], ["FLUSHDB", "FOO"],
                                     ["FLUSHDB", "ASYNC", "SYNC"]],
                         ids=lambda c: "-".join(c).lower())
def test_flush_with_unknown_mode_is_a_syntax_error_and_keeps_keys(conn, command):
    conn.call("SET", "kept", "1")
    assert conn.call(*command) == b"-ERR syntax error\r\n"
    assert conn.call("DBSIZE") == b":1\r\n"


# --- TIME ------------------------------------------------------------------------

def test_time_replies_seconds_and_microseconds_as_bulk_strings(conn):
    before = int(time.time())
    frame = conn.call("TIME")
    after = int(time.time())
    m = re.fullmatch(rb"\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n", frame)
    assert m, frame
    seconds, micros = int(m.group(1)), int(m.group(2))
    # Same host clock; the slack only absorbs rounding at second boundaries.
    assert before - 1 <= seconds <= after + 1
    assert 0 <= micros <= 999999


def test_time_takes_no_arguments(conn):
    assert conn.call("TIME", "x") == b"-ERR wrong number of arguments for 'time' command\r\n"
