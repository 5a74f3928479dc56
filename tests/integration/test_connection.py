"""Connection-level commands: PING, ECHO, QUIT, HELLO, AUTH, SELECT, CLIENT.

Replies are checked as raw RESP bytes, because clients depend on the exact
frame type (simple string vs bulk, RESP2 array vs RESP3 map) and the exact
error text, not just on the decoded value.
"""

import socket

import pytest

from resp_socket import decode, encode_command
from server_fixture import Server, target

tessera_only = pytest.mark.skipif(target() == "redis",
                                  reason="Tessera extension; Redis 7.0 differs")

HELLO_KEYS = [b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"]

NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"


@pytest.fixture
def conn(server):
    c = server.conn()
    yield c
    c.close()


def client_id(c):
    return decode(c.call("CLIENT", "ID"))


def addr_of(c):
    """The addr= field CLIENT INFO reports for this connection, as ip:port."""
    local = c.sock.getsockname()
    return "%s:%d" % (local[0], local[1])


def expected_hello_frame(proto, cid):
    """Redis 7.0's exact HELLO reply; only checked against the oracle because
    server name and version legitimately differ in Tessera."""
    fields = [b"$6\r\nserver\r\n$5\r\nredis\r\n",
              b"$7\r\nversion\r\n$6\r\n7.0.15\r\n",
              b"$5\r\nproto\r\n:%d\r\n" % proto,
              b"$2\r\nid\r\n:%d\r\n" % cid,
              b"$4\r\nmode\r\n$10\r\nstandalone\r\n",
              b"$4\r\nrole\r\n$6\r\nmaster\r\n",
              b"$7\r\nmodules\r\n*0\r\n"]
    header = b"%7\r\n" if proto == 3 else b"*14\r\n"
    return header + b"".join(fields)


def check_hello_reply(frame, proto, cid):
    if target() == "redis":
        assert frame == expected_hello_frame(proto, cid)
        return
    header = b"%7\r\n" if proto == 3 else b"*14\r\n"
    assert frame.startswith(header)
    value = decode(frame)
    if proto == 2:
        assert isinstance(value, list)
        keys, values = value[0::2], value[1::2]
        value = dict(zip(keys, values))
        assert keys == HELLO_KEYS
    else:
        assert list(value.keys()) == HELLO_KEYS
    assert value[b"proto"] == proto
    assert value[b"id"] == cid


# --- PING / ECHO -------------------------------------------------------------

def test_ping_without_argument_replies_simple_string_pong(conn):
    assert conn.call("PING") == b"+PONG\r\n"


def test_ping_with_argument_replies_the_argument_as_bulk_string(conn):
    assert conn.call("PING", "hello world") == b"$11\r\nhello world\r\n"


def test_ping_with_two_arguments_is_an_arity_error(conn):
    assert conn.call("PING", "a", "b") == \
        b"-ERR wrong number of arguments for 'ping' command\r\n"


def test_command_names_are_case_insensitive(conn):
    assert conn.call("pInG") == b"+PONG\r\n"
    assert conn.call("echo", "x") == b"$1\r\nx\r\n"


def test_echo_returns_binary_payload_byte_for_byte(conn):
    payload = b"a\r\nb\x00c\xff"
    assert conn.call("ECHO", payload) == b"$7\r\n" + payload + b"\r\n"


def test_echo_of_empty_string_is_empty_bulk(conn):
    assert conn.call("ECHO", "") == b"$0\r\n\r\n"


@pytest.mark.parametrize("args", [[], ["a", "b"]], ids=["none", "two"])
def test_echo_with_wrong_argument_count_is_an_arity_error(conn, args):
    assert conn.call("ECHO", *args) == \
        b"-ERR wrong number of arguments for 'echo' command\r\n"


# --- QUIT ----------------------------------------------------------------------

def test_quit_replies_ok_then_server_closes_the_connection(server, conn):
    other = server.conn()
    try:
        conn.send(encode_command("QUIT"))
        assert conn.read_until_closed() == b"+OK\r\n"
        assert other.call("PING") == b"+PONG\r\n"
    finally:
        other.close()


def test_quit_ignores_extra_arguments(conn):
    # Redis 7.0 declares QUIT with arity -1, so extra words are not an error.
    conn.send(encode_command("QUIT", "now", "please"))
    assert conn.read_until_closed() == b"+OK\r\n"


def test_commands_pipelined_after_quit_are_not_executed(server, conn, r):
    conn.send(b"QUIT\r\nSET after-quit 1\r\n")
    assert conn.read_until_closed() == b"+OK\r\n"
    assert r.exists("after-quit") == 0


# --- HELLO -------------------------------------------------------------------

def test_hello_without_arguments_replies_resp2_array_and_keeps_resp2(conn):
    cid = client_id(conn)
    check_hello_reply(conn.call("HELLO"), 2, cid)
    assert conn.call("GET", "no-such-key") == b"$-1\r\n"


def test_hello_2_replies_flat_array_of_field_value_pairs(conn):
    cid = client_id(conn)
    check_hello_reply(conn.call("HELLO", "2"), 2, cid)


def test_hello_3_switches_replies_to_resp3_maps(conn):
    cid = client_id(conn)
    check_hello_reply(conn.call("HELLO", "3"), 3, cid)
    assert conn.call("GET", "no-such-key") == b"_\r\n"
    # Asking again while already in RESP3 answers with a map again.
    check_hello_reply(conn.call("HELLO"), 3, cid)


def test_hello_2_after_hello_3_switches_back_to_resp2(conn):
    cid = client_id(conn)
    conn.call("HELLO", "3")
    check_hello_reply(conn.call("HELLO", "2"), 2, cid)
    assert conn.call("GET", "no-such-key") == b"$-1\r\n"


@pytest.mark.parametrize("version", ["1", "4", "-1", "0"])
def test_hello_with_unsupported_version_answers_noproto(conn, version):
    assert conn.call("HELLO", version) == b"-NOPROTO unsupported protocol version\r\n"


def test_hello_with_non_integer_version_is_an_error(conn):
    assert conn.call("HELLO", "three") == \
        b"-ERR Protocol version is not an integer or out of range\r\n"


def test_hello_setname_sets_the_connection_name(conn):
    cid = client_id(conn)
    check_hello_reply(conn.call("HELLO", "3", "SETNAME", "worker-1"), 3, cid)
    assert conn.call("CLIENT", "GETNAME") == b"$8\r\nworker-1\r\n"


def test_hello_setname_with_space_is_rejected_and_protocol_unchanged(conn):
    assert conn.call("HELLO", "3", "SETNAME", "bad name") == \
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
    assert conn.call("GET", "no-such-key") == b"$-1\r\n"


def test_hello_with_unknown_option_is_a_syntax_error_and_protocol_unchanged(conn):
    assert conn.call("HELLO", "3", "FOO") == b"-ERR Syntax error in HELLO option 'FOO'\r\n"
    assert conn.call("GET", "no-such-key") == b"$-1\r\n"


@pytest.mark.parametrize("args,option", [
    (["3", "AUTH", "default"], "AUTH"),
    (["2", "SETNAME"], "SETNAME"),
], ids=["auth-missing-password", "setname-missing-name"])
def test_hello_option_missing_its_argument_is_a_syntax_error(conn, args, option):
    assert conn.call("HELLO", *args) == \
        b"-ERR Syntax error in HELLO option '%s'\r\n" % option.encode()


def test_hello_auth_as_default_user_succeeds_without_requirepass(conn):
    # With no requirepass the default user accepts any password.
    cid = client_id(conn)
    check_hello_reply(conn.call("HELLO", "3", "AUTH", "default", "anything"), 3, cid)


# --- AUTH without requirepass -----------------------------------------------

def test_auth_without_configured_password_is_an_error(conn):
    assert conn.call("AUTH", "secret") == (
        b"-ERR AUTH <password> called without any password configured for the "
        b"default user. Are you sure your configuration is correct?\r\n")


def test_auth_with_unknown_user_is_wrongpass(conn):
    assert conn.call("AUTH", "nobody", "secret") == WRONGPASS


def test_auth_without_arguments_is_an_arity_error(conn):
    assert conn.call("AUTH") == b"-ERR wrong number of arguments for 'auth' command\r\n"


# --- AUTH with requirepass ----------------------------------------------------

class _AuthServer(Server):
    """redis-py's readiness PING would fail with NOAUTH, so wait with a raw
    socket and accept the NOAUTH error as proof the server is serving."""

    def ready(self):
        with self.conn(timeout=1) as c:
            return c.call("PING") in (b"+PONG\r\n", NOAUTH)


@pytest.fixture(scope="module", params=[1, 2] if target() == "tessera" else [1],
                ids=lambda n: "%dshard" % n)
def auth_server(request):
    srv = _AuthServer(shards=request.param, options={"requirepass": "s3cret"}).start()
    yield srv
    srv.stop()


@pytest.fixture
def aconn(auth_server):
    c = auth_server.conn()
    yield c
    c.close()


@pytest.mark.parametrize("args", [["PING"], ["GET", "k"], ["CLIENT", "ID"], ["DBSIZE"],
                                  ["SELECT", "0"]], ids=lambda a: a[0])
def test_commands_before_auth_are_refused_with_noauth(aconn, args):
    assert aconn.call(*args) == NOAUTH


def test_hello_before_auth_is_refused_with_explanation(aconn):
    expected = (b"-NOAUTH HELLO must be called with the client already authenticated, "
                b"otherwise the HELLO AUTH <user> <pass> option can be used to "
                b"authenticate the client and select the RESP protocol version at the "
                b"same time\r\n")
    assert aconn.call("HELLO", "3") == expected


def test_auth_with_wrong_password_is_wrongpass_and_stays_unauthenticated(aconn):
    assert aconn.call("AUTH", "wrong") == WRONGPASS
    assert aconn.call("AUTH", "default", "wrong") == WRONGPASS
    assert aconn.call("PING") == NOAUTH


def test_auth_with_correct_password_unlocks_commands(aconn):
    assert aconn.call("AUTH", "s3cret") == b"+OK\r\n"
    assert aconn.call("PING") == b"+PONG\r\n"


def test_auth_with_default_user_and_correct_password_succeeds(aconn):
    assert aconn.call("AUTH", "default", "s3cret") == b"+OK\r\n"
    assert aconn.call("PING") == b"+PONG\r\n"


def test_auth_with_three_arguments_is_a_syntax_error(aconn):
    assert aconn.call("AUTH", "a", "b", "c") == b"-ERR syntax error\r\n"


def test_hello_3_auth_with_correct_password_authenticates_and_switches(aconn):
    reply = aconn.call("HELLO", "3", "AUTH", "default", "s3cret")
    assert reply.startswith(b"%7\r\n")
    assert decode(reply)[b"proto"] == 3
    assert aconn.call("GET", "no-such-key") == b"_\r\n"


def test_hello_3_auth_with_wrong_password_is_wrongpass(aconn):
    assert aconn.call("HELLO", "3", "AUTH", "default", "nope") == WRONGPASS
    assert aconn.call("PING") == NOAUTH


def test_hello_auth_with_setname_applies_both(aconn):
    reply = aconn.call("HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "n1")
    assert reply.startswith(b"*14\r\n")
    assert aconn.call("CLIENT", "GETNAME") == b"$2\r\nn1\r\n"


def test_quit_is_allowed_before_auth(aconn):
    aconn.send(encode_command("QUIT"))
    assert aconn.read_until_closed() == b"+OK\r\n"


def test_auth_is_per_connection(auth_server, aconn):
    assert aconn.call("AUTH", "s3cret") == b"+OK\r\n"
    with auth_server.conn() as other:
        assert other.call("PING") == NOAUTH


def test_unauthenticated_multibulk_over_10_elements_closes_connection(aconn):
    # Unauthenticated clients may not make the server buffer large requests.
    aconn.send(b"*11\r\n")
    assert aconn.read_until_closed() == \
        b"-ERR Protocol error: unauthenticated multibulk length\r\n"


def test_unauthenticated_bulk_over_16k_closes_connection(aconn):
    aconn.send(b"*1\r\n$16385\r\n")
    assert aconn.read_until_closed() == \
        b"-ERR Protocol error: unauthenticated bulk length\r\n"


# --- SELECT --------------------------------------------------------------------

def test_select_0_is_ok(conn):
    assert conn.call("SELECT", "0") == b"+OK\r\n"


@pytest.mark.parametrize("index", ["1", "15", "-1"])
def test_select_other_database_is_out_of_range(conn, index):
    assert conn.call("SELECT", index) == b"-ERR DB index is out of range\r\n"


def test_select_non_integer_is_an_error(conn):
    assert conn.call("SELECT", "abc") == b"-ERR value is not an integer or out of range\r\n"


# --- CLIENT ID / SETNAME / GETNAME ---------------------------------------------

def test_client_id_is_an_integer_that_grows_with_each_connection(server, conn):
    first = client_id(conn)
    assert isinstance(first, int) and first > 0
    with server.conn() as later:
        assert client_id(later) > first
    assert client_id(conn) == first


def test_client_getname_is_null_until_setname(conn):
    assert conn.call("CLIENT", "GETNAME") == b"$-1\r\n"
    assert conn.call("CLIENT", "SETNAME", "alpha") == b"+OK\r\n"
    assert conn.call("CLIENT", "GETNAME") == b"$5\r\nalpha\r\n"


def test_client_setname_empty_string_clears_the_name(conn):
    conn.call("CLIENT", "SETNAME", "alpha")
    assert conn.call("CLIENT", "SETNAME", "") == b"+OK\r\n"
    assert conn.call("CLIENT", "GETNAME") == b"$-1\r\n"


@pytest.mark.parametrize("name", [b"a b", b"a\nb", b"caf\xc3\xa9"],
                         ids=["space", "newline", "non-ascii"])
def test_client_setname_rejects_invalid_characters(conn, name):
    assert conn.call("CLIENT", "SETNAME", name) == \
        b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"


def test_client_names_are_per_connection(server, conn):
    conn.call("CLIENT", "SETNAME", "mine")
    with server.conn() as other:
        assert other.call("CLIENT", "GETNAME") == b"$-1\r\n"


@pytest.mark.parametrize("args,sub", [
    (["ID", "x"], "id"), (["GETNAME", "x"], "getname"),
    (["SETNAME"], "setname"), (["SETNAME", "a", "b"], "setname"),
])
def test_client_subcommand_arity_errors_name_the_subcommand(conn, args, sub):
    assert conn.call("CLIENT", *args) == \
        b"-ERR wrong number of arguments for 'client|%s' command\r\n" % sub.encode()


def test_client_without_subcommand_is_an_arity_error(conn):
    assert conn.call("CLIENT") == b"-ERR wrong number of arguments for 'client' command\r\n"


def test_client_unknown_subcommand_points_to_help(conn):
    assert conn.call("CLIENT", "NOSUCH") == \
        b"-ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.\r\n"


# --- CLIENT LIST ---------------------------------------------------------------

def parse_client_line(line):
    fields = {}
    for item in line.split(b" "):
        key, _, value = item.partition(b"=")
        fields[key] = value
    return fields


def test_client_list_has_one_newline_terminated_line_per_connection(server, conn):
    conn.call("CLIENT", "SETNAME", "lister")
    with server.conn() as other:
        other.call("CLIENT", "SETNAME", "listed")
        other_id = client_id(other)
        text = decode(conn.call("CLIENT", "LIST"))
        assert text.endswith(b"\n")
        lines = [parse_client_line(l) for l in text[:-1].split(b"\n")]
        by_id = {int(f[b"id"]): f for f in lines}
        mine = by_id[client_id(conn)]
        assert mine[b"name"] == b"lister"
        assert mine[b"addr"] == addr_of(conn).encode()
        assert by_id[other_id][b"name"] == b"listed"
        assert by_id[other_id][b"addr"] == addr_of(other).encode()


def test_client_list_id_filters_to_the_given_client(conn):
    cid = client_id(conn)
    text = decode(conn.call("CLIENT", "LIST", "ID", str(cid)))
    assert text.count(b"\n") == 1
    assert parse_client_line(text[:-1])[b"id"] == str(cid).encode()


def test_client_list_id_of_unknown_client_is_empty_bulk(conn):
    assert conn.call("CLIENT", "LIST", "ID", "987654321") == b"$0\r\n\r\n"


# --- CLIENT KILL -----------------------------------------------------------------

def test_client_kill_id_closes_that_connection_and_counts_one(server, conn):
    victim = server.conn()
    try:
        vid = client_id(victim)
        assert conn.call("CLIENT", "KILL", "ID", str(vid)) == b":1\r\n"
        assert victim.is_closed_by_peer()
        assert conn.call("PING") == b"+PONG\r\n"
    finally:
        victim.close()


def test_client_kill_addr_closes_that_connection(server, conn):
    victim = server.conn()
    try:
        client_id(victim)
        assert conn.call("CLIENT", "KILL", "ADDR", addr_of(victim)) == b":1\r\n"
        assert victim.is_closed_by_peer()
    finally:
        victim.close()


def test_client_kill_legacy_address_form_replies_ok(server, conn):
    victim = server.conn()
    try:
        client_id(victim)
        assert conn.call("CLIENT", "KILL", addr_of(victim)) == b"+OK\r\n"
        assert victim.is_closed_by_peer()
    finally:
        victim.close()


def test_client_kill_legacy_form_with_unknown_address_is_an_error(conn):
    assert conn.call("CLIENT", "KILL", "10.9.8.7:65000") == b"-ERR No such client\r\n"


def test_client_kill_unknown_id_or_addr_counts_zero(conn):
    assert conn.call("CLIENT", "KILL", "ID", "987654321") == b":0\r\n"
    assert conn.call("CLIENT", "KILL", "ADDR", "10.9.8.7:65000") == b":0\r\n"


def test_client_kill_own_id_is_skipped_by_default(conn):
    # SKIPME defaults to yes, so a client cannot kill itself by ID.
    assert conn.call("CLIENT", "KILL", "ID", str(client_id(conn))) == b":0\r\n"
    assert conn.call("PING") == b"+PONG\r\n"


def test_client_kill_own_id_with_skipme_no_replies_one_then_closes(conn):
    # ioredis reads this :1; Tessera used to close first when the KILL's
    # reply waited on other shards (issue 12, item 6).
    conn.send(encode_command("CLIENT", "KILL", "ID", str(client_id(conn)), "SKIPME", "no"))
    assert conn.read_until_closed() == b":1\r\n"


def test_quit_behind_a_pipelined_get_replies_to_both_then_closes(conn):
    conn.send(encode_command("SET", "quit:k", "v") + encode_command("GET", "quit:k") +
              encode_command("QUIT"))
    assert conn.read_until_closed() == b"+OK\r\n$1\r\nv\r\n+OK\r\n"


# --- half-close ---------------------------------------------------------------

def test_half_close_after_1000_pings_gets_1000_pongs_then_close(conn):
    # shutdown(SHUT_WR), as `nc -N` or a script piping commands does: every
    # request read before the end of input is answered (issue 12, item 2).
    conn.send(b"PING\r\n" * 1000)
    conn.sock.shutdown(socket.SHUT_WR)
    assert conn.read_until_closed(timeout=10) == b"+PONG\r\n" * 1000


def test_half_close_answers_requests_served_by_other_shards(conn):
    keys = ["half:%d" % i for i in range(50)]
    conn.send(b"".join(encode_command("SET", k, k) for k in keys) +
              b"".join(encode_command("GET", k) for k in keys) +
              encode_command("MGET", *keys))
    conn.sock.shutdown(socket.SHUT_WR)
    want = (b"+OK\r\n" * len(keys) +
            b"".join(b"$%d\r\n%s\r\n" % (len(k), k.encode()) for k in keys) +
            b"*%d\r\n" % len(keys) +
            b"".join(b"$%d\r\n%s\r\n" % (len(k), k.encode()) for k in keys))
    assert conn.read_until_closed(timeout=10) == want


@pytest.mark.parametrize("bad", ["abc", "0", "-5"])
def test_client_kill_with_invalid_id_is_an_error(conn, bad):
    assert conn.call("CLIENT", "KILL", "ID", bad) == \
        b"-ERR client-id should be greater than 0\r\n"


def test_client_kill_with_unknown_filter_is_a_syntax_error(conn):
    assert conn.call("CLIENT", "KILL", "FOO", "bar") == b"-ERR syntax error\r\n"


# --- CLIENT SETINFO (Redis 7.2 behaviour, adopted by Tessera) -------------------

@tessera_only
def test_client_setinfo_lib_name_is_accepted(conn):
    assert conn.call("CLIENT", "SETINFO", "LIB-NAME", "redis-py") == b"+OK\r\n"


@tessera_only
def test_client_setinfo_lib_ver_is_accepted(conn):
    assert conn.call("CLIENT", "SETINFO", "LIB-VER", "1.0") == b"+OK\r\n"


@tessera_only
def test_client_setinfo_attribute_names_are_case_insensitive(conn):
    assert conn.call("CLIENT", "SETINFO", "lib-name", "x") == b"+OK\r\n"


@tessera_only
def test_client_setinfo_unknown_attribute_is_rejected(conn):
    assert conn.call("CLIENT", "SETINFO", "foo", "bar") == \
        b"-ERR Unrecognized option 'foo'\r\n"


@pytest.mark.skipif(target() != "redis", reason="documents the oracle's behaviour")
def test_client_setinfo_is_unknown_to_redis_7_0(conn):
    # Why the SETINFO tests above are Tessera-only.
    assert conn.call("CLIENT", "SETINFO", "LIB-NAME", "x") == \
        b"-ERR unknown subcommand 'SETINFO'. Try CLIENT HELP.\r\n"


def test_errors_do_not_close_the_connection(conn):
    assert conn.call("SELECT", "abc") == b"-ERR value is not an integer or out of range\r\n"
    assert conn.call("PING") == b"+PONG\r\n"


def test_a_flood_of_failed_auths_shows_in_errorstats(auth_server):
    with auth_server.conn() as admin:
        assert admin.call("AUTH", "s3cret") == b"+OK\r\n"
        assert admin.call("CONFIG", "RESETSTAT") == b"+OK\r\n"
        for _ in range(3):
            with auth_server.conn() as c:
                for _ in range(10):
                    assert c.call("AUTH", "wrong") == WRONGPASS
                assert c.call("GET", "k") == NOAUTH
        assert decode(admin.call("INFO", "errorstats")) == (
            b"# Errorstats\r\nerrorstat_NOAUTH:count=3\r\nerrorstat_WRONGPASS:count=30\r\n")
        assert b"\r\ntotal_error_replies:33\r\n" in decode(admin.call("INFO", "stats"))
