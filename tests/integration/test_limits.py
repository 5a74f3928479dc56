"""Configured limits: proto-max-bulk-len, client-query-buffer-limit,
client-output-buffer-limit, maxmemory-clients, maxclients and the idle
timeout.

Each test starts its own server with the limit set low. With several shards
the limits must hold for the server as a whole (e.g. maxclients counts
connections on every shard), so Tessera runs them with 1 and 2 shards.
"""
import socket
import time

import pytest

from resp_socket import decode, encode_command
from server_fixture import Server, target

SHARD_COUNTS = [1, 2] if target() == "tessera" else [1]
MiB = 1024 * 1024


def start(shards, **options):
    return Server(shards=shards, options=options).start()


def connected_clients(conn):
    text = decode(conn.call("INFO", "clients"))
    for line in text.split(b"\r\n"):
        if line.startswith(b"connected_clients:"):
            return int(line.split(b":")[1])
    raise AssertionError("no connected_clients in %r" % text)


def wait_for_clients(conn, expected, timeout=5.0):
    """The fixture's readiness probe disconnects asynchronously; wait until the
    server has noticed so the count starts from a known value."""
    deadline = time.monotonic() + timeout
    while True:
        n = connected_clients(conn)
        if n == expected or time.monotonic() > deadline:
            return n
        time.sleep(0.02)


def send_ignoring_reset(conn, data):
    """The server may close the connection while we are still sending."""
    try:
        conn.send(data)
    except OSError:
        pass


@pytest.fixture(scope="module", params=SHARD_COUNTS, ids=lambda n: "%dshard" % n)
def shards(request):
    return request.param


# --- proto-max-bulk-len --------------------------------------------------------------

@pytest.fixture(scope="module")
def bulk_limited(shards):
    srv = start(shards, **{"proto-max-bulk-len": "1mb"})
    yield srv
    srv.stop()


def test_proto_max_bulk_len_is_reported_by_config_get(bulk_limited):
    with bulk_limited.conn() as c:
        assert c.call("CONFIG", "GET", "proto-max-bulk-len") == \
            b"*2\r\n$18\r\nproto-max-bulk-len\r\n$7\r\n1048576\r\n"


def test_bulk_longer_than_proto_max_bulk_len_is_a_protocol_error(bulk_limited):
    with bulk_limited.conn() as bystander, bulk_limited.conn() as c:
        assert bystander.call("PING") == b"+PONG\r\n"
        # Rejected as soon as the length is read, before any payload is sent.
        c.send(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n" % (MiB + 1))
        assert c.read_until_closed() == b"-ERR Protocol error: invalid bulk length\r\n"
        assert bystander.call("PING") == b"+PONG\r\n"


def test_bulk_exactly_proto_max_bulk_len_is_accepted(bulk_limited):
    with bulk_limited.conn() as c:
        value = b"v" * MiB
        assert c.call("SET", "big", value) == b"+OK\r\n"
        assert c.call("STRLEN", "big") == b":1048576\r\n"


# --- client-query-buffer-limit ---------------------------------------------------------

@pytest.fixture(scope="module")
def query_limited(shards):
    srv = start(shards, **{"client-query-buffer-limit": "1mb"})
    yield srv
    srv.stop()


def test_client_query_buffer_limit_is_reported_by_config_get(query_limited):
    with query_limited.conn() as c:
        assert c.call("CONFIG", "GET", "client-query-buffer-limit") == \
            b"*2\r\n$25\r\nclient-query-buffer-limit\r\n$7\r\n1048576\r\n"


def test_query_under_the_buffer_limit_is_served(query_limited):
    with query_limited.conn() as c:
        value = b"q" * (512 * 1024)
        assert c.call("SET", "half", value) == b"+OK\r\n"
        assert c.call("STRLEN", "half") == b":524288\r\n"


def test_query_over_the_buffer_limit_closes_the_connection_without_reply(query_limited):
    with query_limited.conn() as bystander, query_limited.conn() as c:
        assert bystander.call("PING") == b"+PONG\r\n"
        # The bulk length itself is legal (below proto-max-bulk-len), only the
        # amount the server would have to buffer is not.
        send_ignoring_reset(c, encode_command("SET", "huge", b"h" * (2 * MiB)))
        assert c.read_until_closed(timeout=10) == b""
        assert bystander.call("PING") == b"+PONG\r\n"
        assert bystander.call("EXISTS", "huge") == b":0\r\n"


# --- client-output-buffer-limit -----------------------------------------------------

OBUF_DEFAULT = b"normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"


@pytest.fixture(scope="module")
def output_server(shards):
    srv = start(shards)
    yield srv
    srv.stop()


def config_value(conn, name):
    reply = decode(conn.call("CONFIG", "GET", name))
    return reply[1] if reply else None


def test_client_output_buffer_limit_has_redis_defaults_and_sets_one_class(output_server):
    with output_server.conn() as c:
        assert config_value(c, "client-output-buffer-limit") == OBUF_DEFAULT
        assert c.call("CONFIG", "SET", "client-output-buffer-limit",
                      "replica 1mb 512kb 30") == b"+OK\r\n"
        assert config_value(c, "client-output-buffer-limit") == (
            b"normal 0 0 0 slave 1048576 524288 30 pubsub 33554432 8388608 60")
        assert c.call("CONFIG", "SET", "client-output-buffer-limit", "") == b"+OK\r\n"
        assert c.call("CONFIG", "SET", "client-output-buffer-limit",
                      OBUF_DEFAULT.decode()) == b"+OK\r\n"
        assert config_value(c, "client-output-buffer-limit") == OBUF_DEFAULT


@pytest.mark.parametrize("value,reason", [
    ("normal 1", "Wrong number of arguments in buffer limit configuration."),
    ("bogus 1 1 1", "Invalid client class specified in buffer limit configuration."),
    ("normal x 1 1", "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
    ("normal 1 1 -1", "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
    ("normal 1 1 1 pubsub -1 0 0",
     "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
])
def test_client_output_buffer_limit_rejects_bad_groups_and_changes_nothing(output_server, value,
                                                                           reason):
    with output_server.conn() as c:
        assert c.call("CONFIG", "SET", "client-output-buffer-limit", value) == (
            b"-ERR CONFIG SET failed (possibly related to argument "
            b"'client-output-buffer-limit') - " + reason.encode() + b"\r\n")
        assert config_value(c, "client-output-buffer-limit") == OBUF_DEFAULT


def test_a_reply_over_the_normal_hard_limit_closes_the_client_without_it(output_server):
    with output_server.conn() as c, output_server.conn() as bystander:
        assert c.call("SET", "obuf:big", b"v" * (2 * MiB)) == b"+OK\r\n"
        assert bystander.call("CONFIG", "SET", "client-output-buffer-limit",
                              "normal 1mb 0 0") == b"+OK\r\n"
        try:
            c.send(encode_command("GET", "obuf:big"))
            assert c.read_until_closed(timeout=10) == b""
            assert bystander.call("STRLEN", "obuf:big") == b":2097152\r\n"
        finally:
            bystander.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")


def test_a_client_over_the_soft_limit_for_its_seconds_is_closed(output_server):
    with output_server.conn() as c, output_server.conn() as bystander:
        assert c.call("SET", "obuf:soft", b"s" * (256 * 1024)) == b"+OK\r\n"
        assert bystander.call("CONFIG", "SET", "client-output-buffer-limit",
                              "normal 0 1mb 1") == b"+OK\r\n"
        if target() == "tessera":
            # Backpressure would keep this client's replies under 1 MB
            # (the socket buffers hold the rest): without it, Redis's case.
            bystander.call("CONFIG", "SET", "client-output-backpressure", "0")
        try:
            # Never read: the replies stay over 1 MB (the socket buffers
            # take a few MB first) until the soft limit's second is up.
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            send_ignoring_reset(c, encode_command("GET", "obuf:soft") * 200)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and connected_clients(bystander) > 1:
                time.sleep(0.1)
            assert connected_clients(bystander) == 1
        finally:
            bystander.call("CONFIG", "SET", "client-output-buffer-limit", "normal 0 0 0")
            if target() == "tessera":
                bystander.call("CONFIG", "SET", "client-output-backpressure", "4mb")


# --- maxmemory-clients -----------------------------------------------------------------

@pytest.mark.parametrize("value,stored", [("0", b"0"), ("10%", b"10%"), ("100%", b"100%"),
                                          ("2mb", b"2097152")])
def test_maxmemory_clients_takes_bytes_or_a_percentage(output_server, value, stored):
    with output_server.conn() as c:
        assert c.call("CONFIG", "SET", "maxmemory-clients", value) == b"+OK\r\n"
        assert config_value(c, "maxmemory-clients") == stored
        assert c.call("CONFIG", "SET", "maxmemory-clients", "0") == b"+OK\r\n"


@pytest.mark.parametrize("value,reason", [
    ("101%", "percentage argument must be less or equal to 100"),
    ("-5", "argument must be a memory or percent value"),
    ("5%x", "argument must be a memory or percent value"),
])
def test_maxmemory_clients_rejects_bad_values(output_server, value, reason):
    with output_server.conn() as c:
        assert c.call("CONFIG", "SET", "maxmemory-clients", value) == (
            b"-ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - " +
            reason.encode() + b"\r\n")


def info_field(conn, section, name):
    for line in decode(conn.call("INFO", section)).split(b"\r\n"):
        if line.startswith(name.encode() + b":"):
            return int(line.split(b":")[1])
    raise AssertionError("no %s in INFO %s" % (name, section))


def test_maxmemory_clients_closes_the_biggest_clients_and_spares_no_evict(shards):
    srv = start(shards, **{"maxmemory-clients": "4mb"})
    try:
        with srv.conn() as watcher:
            assert watcher.call("CLIENT", "NO-EVICT", "on") == b"+OK\r\n"
            # Each holds a partial 2 MB SET: a query buffer of about 1 MB.
            hogs = [srv.conn() for _ in range(12)]
            for h in hogs:
                h.send(b"*3\r\n$3\r\nSET\r\n$3\r\nhog\r\n$2097152\r\n" + b"h" * MiB)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline and info_field(watcher, "stats",
                                                               "evicted_clients") == 0:
                time.sleep(0.1)
            evicted = info_field(watcher, "stats", "evicted_clients")
            assert evicted >= 12 - 4
            assert info_field(watcher, "memory", "mem_clients_normal") <= 4 * MiB + 256 * 1024
            closed = sum(1 for h in hogs if h.is_closed_by_peer(timeout=0.5))
            assert closed == evicted
            assert watcher.call("PING") == b"+PONG\r\n"
            for h in hogs:
                h.close()
    finally:
        srv.stop()


def test_client_no_evict_takes_on_or_off(output_server):
    with output_server.conn() as c:
        assert c.call("CLIENT", "NO-EVICT", "maybe") == b"-ERR syntax error\r\n"
        assert c.call("CLIENT", "NO-EVICT") == (
            b"-ERR wrong number of arguments for 'client|no-evict' command\r\n")
        assert c.call("CLIENT", "NO-EVICT", "ON") == b"+OK\r\n"
        assert b" flags=e " in decode(c.call("CLIENT", "INFO"))
        assert c.call("CLIENT", "NO-EVICT", "off") == b"+OK\r\n"
        assert b" flags=N " in decode(c.call("CLIENT", "INFO"))


def test_info_reports_client_buffer_memory_and_recent_peaks(output_server):
    with output_server.conn() as c, output_server.conn() as reader:
        # One reply bigger than the socket buffers can take, not read.
        assert c.call("SET", "obuf:peak", b"p" * (32 * MiB)) == b"+OK\r\n"
        c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        c.send(encode_command("GET", "obuf:peak"))
        deadline = time.monotonic() + 10
        peak = 0
        while time.monotonic() < deadline and peak < MiB:
            time.sleep(0.1)
            peak = info_field(reader, "clients", "client_recent_max_output_buffer")
        assert peak >= MiB
        assert info_field(reader, "memory", "mem_clients_normal") >= MiB
        assert info_field(reader, "clients", "client_recent_max_input_buffer") >= 0


# --- maxclients ------------------------------------------------------------------------

@pytest.fixture
def few_clients(shards):
    # Fresh per test: connections closed by an earlier test may still count
    # against the limit until the server notices they are gone.
    srv = start(shards, maxclients="3")
    yield srv
    srv.stop()


def test_maxclients_is_reported_by_config_get(few_clients):
    with few_clients.conn() as c:
        assert c.call("CONFIG", "GET", "maxclients") == b"*2\r\n$10\r\nmaxclients\r\n$1\r\n3\r\n"


def test_connection_over_maxclients_is_refused_with_error_then_closed(few_clients):
    first = few_clients.conn()
    opened = [first]
    try:
        assert wait_for_clients(first, 1) == 1
        for _ in range(2):
            c = few_clients.conn()
            opened.append(c)
            assert c.call("PING") == b"+PONG\r\n"
        over = few_clients.conn()
        opened.append(over)
        assert over.read_until_closed() == b"-ERR max number of clients reached\r\n"
        # The clients admitted before the limit keep working.
        for c in opened[:3]:
            assert c.call("PING") == b"+PONG\r\n"
        assert connected_clients(first) == 3
    finally:
        for c in opened:
            c.close()


def test_slot_freed_by_a_disconnect_can_be_reused(few_clients):
    first = few_clients.conn()
    opened = [first]
    try:
        assert wait_for_clients(first, 1) == 1
        for _ in range(2):
            c = few_clients.conn()
            opened.append(c)
            c.call("PING")
        opened.pop().close()
        assert wait_for_clients(first, 2) == 2
        with few_clients.conn() as again:
            assert again.call("PING") == b"+PONG\r\n"
    finally:
        for c in opened:
            c.close()


# --- timeout -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def idle_limited(shards):
    srv = start(shards, timeout="1")
    yield srv
    srv.stop()


def test_idle_clients_are_closed_after_timeout_without_reply(idle_limited):
    active = idle_limited.conn()
    silent = socket.create_connection((idle_limited.host, idle_limited.port), timeout=10)
    try:
        assert active.call("PING") == b"+PONG\r\n"
        # timeout is 1 s; the bound only keeps a broken server from hanging us.
        assert active.is_closed_by_peer(timeout=10)
        # A client that connected but never sent a byte is idle too.
        try:
            assert silent.recv(16) == b""
        except ConnectionResetError:
            pass
        with idle_limited.conn() as fresh:
            assert fresh.call("CONFIG", "GET", "timeout") == \
                b"*2\r\n$7\r\ntimeout\r\n$1\r\n1\r\n"
    finally:
        active.close()
        silent.close()


def test_timeout_zero_leaves_idle_clients_connected(shards):
    srv = start(shards, timeout="0")
    try:
        with srv.conn() as idle:
            idle.call("PING")
            # Zero disables the idle check, so the connection must outlive the
            # time in which a 1 s timeout would have closed it.
            assert not idle.is_closed_by_peer(timeout=2.5)
            assert idle.call("PING") == b"+PONG\r\n"
    finally:
        srv.stop()
