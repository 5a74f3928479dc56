"""The RESP wire protocol as the server parses and writes it.

Everything here goes through raw sockets: the point is the exact bytes, how
partial and pipelined input is framed, and which malformed input makes the
server answer a protocol error and drop the connection.
"""
import pytest

from resp_socket import decode, encode_command
from server_fixture import suite_dataplane, target

# Lists, hashes, sets and sorted sets arrive with the data-types issue; until
# then these wire-format checks run against the oracle only.
needs_data_types = pytest.mark.skipif(
    target() == "tessera", reason="needs list/hash/set/zset commands (data-types issue)")


@pytest.fixture
def conn(server):
    c = server.conn()
    yield c
    c.close()


@pytest.fixture
def fresh(server, r):
    """A raw connection on a flushed database (r does the flush)."""
    c = server.conn()
    yield c
    c.close()


# --- inline commands -------------------------------------------------------------

def test_inline_ping_is_answered(conn):
    conn.send(b"PING\r\n")
    assert conn.read_frame() == b"+PONG\r\n"


def test_inline_command_terminated_by_bare_newline_is_accepted(conn):
    conn.send(b"ECHO x\nECHO y\n")
    assert conn.read_frames(2) == [b"$1\r\nx\r\n", b"$1\r\ny\r\n"]


def test_inline_set_is_visible_to_multibulk_get(fresh):
    fresh.send(b"SET inl val\r\n")
    assert fresh.read_frame() == b"+OK\r\n"
    assert fresh.call("GET", "inl") == b"$3\r\nval\r\n"


def test_inline_arguments_are_split_on_runs_of_whitespace(conn):
    conn.send(b"   ECHO    padded   \r\n")
    assert conn.read_frame() == b"$6\r\npadded\r\n"


def test_inline_tab_separates_arguments(conn):
    conn.send(b"ECHO a\tb\r\n")
    assert conn.read_frame() == b"-ERR wrong number of arguments for 'echo' command\r\n"


def test_inline_double_quotes_group_words_and_decode_escapes(fresh):
    fresh.send(b'SET "a key" "c\\x41d\\n\\t\\"q\\""\r\n')
    assert fresh.read_frame() == b"+OK\r\n"
    assert fresh.call("GET", "a key") == b"$8\r\ncAd\n\t\"q\"\r\n"


def test_inline_single_quotes_keep_backslashes_except_escaped_quote(conn):
    conn.send(b"ECHO 'a\\'b\\n'\r\n")
    assert conn.read_frame() == b"$5\r\na'b\\n\r\n"


def test_inline_empty_quoted_string_is_an_empty_argument(conn):
    conn.send(b'ECHO ""\r\n')
    assert conn.read_frame() == b"$0\r\n\r\n"


# Over the DPDK stack the 70 KiB line arrives in 1448-byte segments and the
# parser sees 64 KiB without a newline before the newline's segment comes, so
# it answers "too big inline request" (as Redis would on a segmented stream).
# The kernel backend passes only because its reads batch the whole line.
# Known and reported; not strict, as a lucky batching of segments passes.
@pytest.mark.xfail(suite_dataplane() == "dpdk", strict=False,
                   reason="inline limit checked per segment arrival over the DPDK stack")
def test_long_inline_command_with_newline_is_accepted(conn):
    # The 64 KiB inline limit applies only while no newline has been seen.
    payload = b"x" * (70 * 1024)
    conn.send(b"ECHO " + payload + b"\r\n")
    assert conn.read_frame() == b"$%d\r\n%s\r\n" % (len(payload), payload)


@pytest.mark.parametrize("noise", [b"\r\n", b"\n", b"   \r\n", b"\r\n\r\n\n",
                                   b"*0\r\n", b"*-1\r\n"],
                         ids=["crlf", "lf", "blanks", "many", "empty-multibulk",
                              "null-multibulk"])
def test_empty_requests_are_ignored_without_reply(conn, noise):
    conn.send(noise + b"PING\r\n")
    assert conn.read_frame() == b"+PONG\r\n"
    assert conn.call("ECHO", "still-in-sync") == b"$13\r\nstill-in-sync\r\n"


def test_multibulk_with_empty_command_name_is_unknown_command(conn):
    conn.send(b"*1\r\n$0\r\n\r\n")
    assert conn.read_frame() == b"-ERR unknown command '', with args beginning with: \r\n"


# --- framing: pipelining and fragmentation ------------------------------------------

def test_many_pipelined_commands_in_one_send_get_replies_in_order(fresh):
    n = 1000
    batch = b"".join(encode_command("INCR", "counter") for _ in range(n))
    fresh.send(batch)
    replies = fresh.read_frames(n)
    assert replies == [b":%d\r\n" % i for i in range(1, n + 1)]
    assert fresh.call("GET", "counter") == b"$4\r\n1000\r\n"


def test_pipelined_writes_to_many_keys_are_all_applied(fresh):
    n = 300
    fresh.send(b"".join(encode_command("SET", "pk:%d" % i, "v%d" % i) for i in range(n)))
    assert fresh.read_frames(n) == [b"+OK\r\n"] * n
    fresh.send(b"".join(encode_command("GET", "pk:%d" % i) for i in range(n)))
    got = [decode(f) for f in fresh.read_frames(n)]
    assert got == [b"v%d" % i for i in range(n)]


def test_inline_and_multibulk_requests_can_be_mixed_in_one_send(conn):
    conn.send(b"PING\r\n" + encode_command("ECHO", "mb") + b"ECHO inline\r\n" +
              encode_command("PING"))
    assert conn.read_frames(4) == [b"+PONG\r\n", b"$2\r\nmb\r\n",
                                   b"$6\r\ninline\r\n", b"+PONG\r\n"]


def test_request_split_into_single_bytes_is_reassembled(conn):
    data = encode_command("ECHO", "fragmented") + b"ECHO inline-too\r\n"
    for i in range(len(data)):
        conn.send(data[i:i + 1])
    assert conn.read_frames(2) == [b"$10\r\nfragmented\r\n", b"$10\r\ninline-too\r\n"]


def test_bulk_payload_containing_crlf_is_read_by_length(conn):
    payload = b"\r\n*1\r\n$4\r\nPING\r\n"
    assert conn.call("ECHO", payload) == b"$%d\r\n%s\r\n" % (len(payload), payload)


# --- unknown command and arity errors -------------------------------------------------

def test_unknown_command_lists_its_arguments_quoted_with_trailing_space(conn):
    assert conn.call("foo", "a", "b") == \
        b"-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"


def test_unknown_command_without_arguments(conn):
    assert conn.call("foo") == b"-ERR unknown command 'foo', with args beginning with: \r\n"


def test_unknown_inline_command_reports_the_same_error(conn):
    conn.send(b"nosuchcmd x\r\n")
    assert conn.read_frame() == \
        b"-ERR unknown command 'nosuchcmd', with args beginning with: 'x' \r\n"


def test_unknown_command_error_truncates_long_name_and_arguments(conn):
    # Name is cut to 128 bytes; arguments are appended while the quoted list is
    # under 128 bytes, each one cut to the room left (128 - length so far).
    name = b"f" * 200
    assert conn.call(name, "a") == (b"-ERR unknown command '" + b"f" * 128 +
                                    b"', with args beginning with: 'a' \r\n")
    assert conn.call("foo", b"x" * 200) == (
        b"-ERR unknown command 'foo', with args beginning with: '" + b"x" * 128 + b"' \r\n")
    assert conn.call("foo", b"a" * 100, b"b" * 100, b"c") == (
        b"-ERR unknown command 'foo', with args beginning with: '" + b"a" * 100 +
        b"' '" + b"b" * 25 + b"' \r\n")


def test_unknown_command_error_replaces_newlines_with_spaces(conn):
    # An error reply is a single line, so CR and LF from user input must go.
    assert conn.call("foo", "a\r\nb", "c") == \
        b"-ERR unknown command 'foo', with args beginning with: 'a  b' 'c' \r\n"


def test_unknown_command_does_not_close_the_connection(conn):
    conn.call("foo")
    assert conn.call("PING") == b"+PONG\r\n"


@pytest.mark.parametrize("args", [["GET"], ["get", "a", "b"], ["SET", "k"]],
                         ids=["get-none", "get-two", "set-one"])
def test_arity_error_names_the_command_in_lower_case(conn, args):
    assert conn.call(*args) == \
        b"-ERR wrong number of arguments for '%s' command\r\n" % args[0].lower().encode()


# --- protocol errors that close the connection --------------------------------------

PROTOCOL_ERRORS = [
    ("multibulk-not-a-number", b"*abc\r\n",
     b"-ERR Protocol error: invalid multibulk length\r\n"),
    ("multibulk-empty-count", b"*\r\n",
     b"-ERR Protocol error: invalid multibulk length\r\n"),
    ("multibulk-above-int-max", b"*2147483648\r\n",
     b"-ERR Protocol error: invalid multibulk length\r\n"),
    ("bulk-not-a-number", b"*1\r\n$abc\r\n",
     b"-ERR Protocol error: invalid bulk length\r\n"),
    ("bulk-negative", b"*1\r\n$-1\r\n",
     b"-ERR Protocol error: invalid bulk length\r\n"),
    ("bulk-empty-length", b"*1\r\n$\r\n",
     b"-ERR Protocol error: invalid bulk length\r\n"),
    ("bulk-above-default-proto-max-bulk-len", b"*1\r\n$536870913\r\n",
     b"-ERR Protocol error: invalid bulk length\r\n"),
    ("element-not-a-bulk", b"*1\r\nx4\r\nPING\r\n",
     b"-ERR Protocol error: expected '$', got 'x'\r\n"),
    ("array-where-bulk-expected", b"*2\r\n$4\r\nECHO\r\n*1\r\n",
     b"-ERR Protocol error: expected '$', got '*'\r\n"),
    ("inline-unbalanced-double-quote", b'SET "a b\r\n',
     b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ("inline-unbalanced-single-quote", b"SET 'a b\r\n",
     b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    ("inline-text-glued-after-closing-quote", b'SET "a"b c\r\n',
     b"-ERR Protocol error: unbalanced quotes in request\r\n"),
    # Redis 7.0 hangs this connection (its inline parser stops at the NUL);
    # Tessera looped forever on it, taking the whole shard (issue 12).
    ("inline-nul-byte-inside-a-command", b"PI\x00NG\r\nPING\r\n",
     b"-ERR Protocol error: NUL byte in inline request\r\n"),
    ("inline-line-of-only-a-nul-byte", b"\x00\r\n",
     b"-ERR Protocol error: NUL byte in inline request\r\n"),
    ("inline-over-64k-without-newline", b"A" * (70 * 1024),
     b"-ERR Protocol error: too big inline request\r\n"),
    ("multibulk-count-over-64k-without-newline", b"*" + b"1" * (70 * 1024),
     b"-ERR Protocol error: too big mbulk count string\r\n"),
    ("bulk-count-over-64k-without-newline", b"*1\r\n$" + b"1" * (70 * 1024),
     b"-ERR Protocol error: too big bulk count string\r\n"),
]


@pytest.mark.parametrize("payload,error", [(p, e) for _, p, e in PROTOCOL_ERRORS],
                         ids=[name for name, _, _ in PROTOCOL_ERRORS])
def test_protocol_error_is_reported_then_only_that_connection_closes(server, payload, error):
    if target() == "redis" and b"\x00" in payload:
        pytest.skip("Redis 7.0 leaves this connection waiting for a newline it has had")
    bystander = server.conn()
    victim = server.conn()
    try:
        assert bystander.call("PING") == b"+PONG\r\n"
        victim.send(payload)
        assert victim.read_until_closed() == error
        assert bystander.call("PING") == b"+PONG\r\n"
        with server.conn() as newcomer:
            assert newcomer.call("PING") == b"+PONG\r\n"
    finally:
        bystander.close()
        victim.close()


def test_replies_to_commands_before_a_protocol_error_are_delivered(conn):
    conn.send(b"PING\r\n" + encode_command("ECHO", "first") + b"*abc\r\n" +
              encode_command("ECHO", "never"))
    assert conn.read_until_closed() == (
        b"+PONG\r\n$5\r\nfirst\r\n-ERR Protocol error: invalid multibulk length\r\n")


def test_large_multibulk_count_waits_for_elements_instead_of_failing(conn):
    # Only counts above INT_MAX are invalid; a big count is a pending request.
    conn.send(b"*1048577\r\n")
    assert not conn.is_closed_by_peer(timeout=0.3)


# --- RESP3 -------------------------------------------------------------------------

@pytest.fixture
def resp3(fresh):
    assert fresh.call("HELLO", "3").startswith(b"%7\r\n")
    return fresh


def test_resp3_missing_key_is_null_type(resp3):
    assert resp3.call("GET", "missing") == b"_\r\n"


def test_resp2_missing_key_is_null_bulk(fresh):
    assert fresh.call("GET", "missing") == b"$-1\r\n"


@needs_data_types
def test_resp3_null_array_is_also_null_type(resp3):
    assert resp3.call("LPOP", "missing", "2") == b"_\r\n"


@needs_data_types
def test_resp2_null_array_is_star_minus_one(fresh):
    assert fresh.call("LPOP", "missing", "2") == b"*-1\r\n"


def test_resp3_null_inside_array(resp3):
    resp3.call("SET", "present", "v")
    assert resp3.call("MGET", "missing", "present") == b"*2\r\n_\r\n$1\r\nv\r\n"


def test_resp3_config_get_is_a_map(resp3):
    assert resp3.call("CONFIG", "GET", "maxmemory") == b"%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n"
    assert resp3.call("CONFIG", "GET", "no-such-parameter") == b"%0\r\n"


@needs_data_types
def test_resp3_hgetall_is_a_map(resp3):
    resp3.call("HSET", "h", "f", "1")
    assert resp3.call("HGETALL", "h") == b"%1\r\n$1\r\nf\r\n$1\r\n1\r\n"
    assert resp3.call("HGETALL", "missing") == b"%0\r\n"


@needs_data_types
def test_resp3_smembers_is_a_set(resp3):
    resp3.call("SADD", "s", "m")
    assert resp3.call("SMEMBERS", "s") == b"~1\r\n$1\r\nm\r\n"
    assert resp3.call("SMEMBERS", "missing") == b"~0\r\n"


@needs_data_types
def test_resp3_scores_are_doubles_formatted_with_17_significant_digits(resp3):
    resp3.call("ZADD", "z", "2", "two", "1.5", "frac", "0.1", "tenth",
               "inf", "pinf", "-inf", "ninf")
    assert resp3.call("ZSCORE", "z", "two") == b",2\r\n"
    assert resp3.call("ZSCORE", "z", "frac") == b",1.5\r\n"
    assert resp3.call("ZSCORE", "z", "tenth") == b",0.10000000000000001\r\n"
    assert resp3.call("ZSCORE", "z", "pinf") == b",inf\r\n"
    assert resp3.call("ZSCORE", "z", "ninf") == b",-inf\r\n"
    assert resp3.call("ZSCORE", "z", "missing") == b"_\r\n"


@needs_data_types
def test_resp3_withscores_pairs_member_with_double(resp3):
    resp3.call("ZADD", "z", "1.5", "m")
    assert resp3.call("ZRANGE", "z", "0", "-1", "WITHSCORES") == \
        b"*1\r\n*2\r\n$1\r\nm\r\n,1.5\r\n"


@needs_data_types
def test_resp2_scores_are_bulk_strings(fresh):
    fresh.call("ZADD", "z", "1.5", "m")
    assert fresh.call("ZSCORE", "z", "m") == b"$3\r\n1.5\r\n"
    assert fresh.call("ZRANGE", "z", "0", "-1", "WITHSCORES") == \
        b"*2\r\n$1\r\nm\r\n$3\r\n1.5\r\n"


def test_resp3_incrbyfloat_still_replies_bulk_string(resp3):
    resp3.call("SET", "f", "1.5")
    assert resp3.call("INCRBYFLOAT", "f", "1") == b"$3\r\n2.5\r\n"


def test_resp3_info_is_a_verbatim_txt_string(resp3):
    frame = resp3.call("INFO", "keyspace")
    assert frame == b"=16\r\ntxt:# Keyspace\r\n\r\n"


def test_resp3_client_list_is_a_verbatim_txt_string(resp3):
    assert resp3.call("CLIENT", "LIST", "ID", "987654321") == b"=4\r\ntxt:\r\n"
    frame = resp3.call("CLIENT", "INFO")
    assert frame.startswith(b"=")
    value = decode(frame)
    assert value.format == b"txt"
    assert value.startswith(b"id=") and value.endswith(b"\n")


def test_resp3_client_getname_unset_is_null_type(resp3):
    assert resp3.call("CLIENT", "GETNAME") == b"_\r\n"


def test_resp3_errors_and_simple_replies_are_unchanged(resp3):
    assert resp3.call("PING") == b"+PONG\r\n"
    assert resp3.call("SET", "k", "v") == b"+OK\r\n"
    assert resp3.call("DBSIZE") == b":1\r\n"
    assert resp3.call("GET", "k") == b"$1\r\nv\r\n"
    assert resp3.call("SELECT", "1") == b"-ERR DB index is out of range\r\n"


def test_resp3_is_per_connection(server, resp3):
    with server.conn() as other:
        assert other.call("GET", "missing") == b"$-1\r\n"
    assert resp3.call("GET", "missing") == b"_\r\n"
