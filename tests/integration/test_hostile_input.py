"""Hostile and careless clients (issue 12): no request may wedge a shard,
lose a reply or grow memory without bound.

Over the whole module a bystander connection GETs a known key every few ms
and 1,000 canary keys wait to be checked at the end. Each case then proves
its own reply, and the watch proves what it did to everyone else: the
bystander never waited more than 50 ms (except while a case says a command
of its own is that long, and the wait is reported), no canary was lost or
altered, the server is alive, and its RSS never rose more than 64 MB over
where it started. Time and memory bounds hold for the release build; a
sanitizer build (ASan's quarantine keeps freed memory on purpose, and
everything is slower) checks the replies, the canaries and the clean exit.

TESSERA_HOSTILE_REPORT=<file> appends one line per case: the bystander's
longest wait and the RSS rise, to set beside redis-server's
(TESSERA_TEST_TARGET=redis).
"""
import contextlib
import multiprocessing
import os
import resource
import socket
import struct
import time

import pytest

from resp_socket import RespConn, encode_command
from server_fixture import faults_slowdown, sanitized_build, target

CANARIES = 1000
BYSTANDER_KEY = "bystander:key"
BYSTANDER_MAX_WAIT_S = 0.050
RSS_MAX_RISE = 64 << 20


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


class Bystander:
    """GETs one key every few ms on its own connection and keeps the longest
    wait, outside and inside the spans a case excuses. A process of its own,
    so that the test's own Python work (building a request of a million
    arguments) never holds it up."""

    def __init__(self, server):
        ctx = multiprocessing.get_context("fork")
        self.longest = ctx.Value("d", 0.0)
        self.longest_excused = ctx.Value("d", 0.0)
        self.excused = ctx.Value("i", 0)
        # Bumped as an excused span opens and closes: a GET that saw it
        # change overlapped the span.
        self.excuse_epoch = ctx.Value("i", 0)
        self.stop_flag = ctx.Event()
        self.errors = ctx.Queue()
        self.proc = ctx.Process(target=self.run, args=(server.host, server.port), daemon=True)
        self.proc.start()

    def run(self, host, port):
        conn = RespConn(port, host=host, timeout=30)
        want = b"$2\r\nok\r\n"
        while not self.stop_flag.is_set():
            with self.excused.get_lock():
                excused_at_start = self.excused.value > 0
                epoch_at_start = self.excuse_epoch.value
            t0 = time.monotonic()
            try:
                got = conn.call("GET", BYSTANDER_KEY)
            except Exception as e:  # noqa: BLE001 - any failure is the finding
                self.errors.put(repr(e))
                return
            wait = time.monotonic() - t0
            if got != want:
                self.errors.put("GET %s -> %r" % (BYSTANDER_KEY, got))
            with self.excused.get_lock():
                # Excused if any part of it overlapped the span: a GET held
                # up by the long command is answered with it, and the case
                # may close the span before this process runs again.
                overlapped = (excused_at_start or self.excused.value > 0 or
                              self.excuse_epoch.value != epoch_at_start)
                slot = self.longest_excused if overlapped else self.longest
                slot.value = max(slot.value, wait)
            time.sleep(0.003)
        conn.close()

    def take_errors(self):
        errors = []
        while not self.errors.empty():
            errors.append(self.errors.get())
        return errors

    def take_longest(self):
        """The longest unexcused wait since the last call."""
        with self.excused.get_lock():
            longest, self.longest.value = self.longest.value, 0.0
            return longest

    @contextlib.contextmanager
    def excuse(self):
        """A span in which a case runs one long command on purpose."""
        with self.excused.get_lock():
            self.excused.value += 1
            self.excuse_epoch.value += 1
            self.longest_excused.value = 0.0
        try:
            yield
        finally:
            with self.excused.get_lock():
                self.excused.value -= 1
                self.excuse_epoch.value += 1

    def finish(self):
        self.stop_flag.set()
        self.proc.join(timeout=60)


class Watch:
    def __init__(self, server):
        self.server = server
        self.pid = server.proc.pid
        self.bounds = not sanitized_build() and target() == "tessera" and faults_slowdown() == 1
        r = server.client()
        r.flushall()
        r.set(BYSTANDER_KEY, "ok")
        pipe = r.pipeline(transaction=False)
        for i in range(CANARIES):
            pipe.set("canary:%d" % i, "value:%d" % i)
        pipe.execute()
        r.close()
        self.rss_start = rss_bytes(self.pid)
        self.rss_peak = self.rss_start
        self.bystander = Bystander(server)

    def sample_rss(self):
        self.rss_peak = max(self.rss_peak, rss_bytes(self.pid))
        return self.rss_peak - self.rss_start

    def check_case(self, name):
        """After each case: the bystander was served and in time, memory
        stayed within bounds."""
        errors = self.bystander.take_errors()
        assert not errors, errors
        assert self.bystander.proc.is_alive(), "bystander stopped"
        longest = self.bystander.take_longest()
        rise = self.sample_rss()
        report(self.server, name, longest, self.bystander.longest_excused.value, rise)
        if self.bounds:
            assert longest <= BYSTANDER_MAX_WAIT_S, "bystander waited %.0f ms" % (longest * 1e3)
            assert rise <= RSS_MAX_RISE, "RSS rose %.1f MB" % (rise / 1e6)

    def finish(self):
        self.bystander.finish()
        r = self.server.client()
        values = r.mget(["canary:%d" % i for i in range(CANARIES)])
        r.close()
        lost = [i for i, v in enumerate(values) if v != b"value:%d" % i]
        assert not lost, "canaries lost or altered: %s" % lost[:20]


def report(server, name, longest, longest_excused, rise):
    path = os.environ.get("TESSERA_HOSTILE_REPORT")
    if not path:
        return
    with open(path, "a") as f:
        f.write("%s shards=%d case=%s bystander_max_ms=%.1f excused_max_ms=%.1f "
                "rss_rise_mb=%.1f\n" % (server.name, server.shards, name, longest * 1e3,
                                        longest_excused * 1e3, rise / 1e6))


def assert_connected_clients(conn, n, timeout):
    """INFO clients comes to count n connections within timeout."""
    want = b"connected_clients:%d\r\n" % n
    deadline = time.monotonic() + timeout
    while True:
        text = conn.call("INFO", "clients")
        if want in text or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert want in text, text


@pytest.fixture(scope="module")
def watch(server):
    w = Watch(server)
    yield w
    w.finish()


@pytest.fixture
def case(watch, request):
    yield watch
    watch.check_case(request.node.name)


# ---- one request with a million arguments (item 4) --------------------------

def test_a_million_key_exists_is_answered_and_parsed_in_linear_time(server, case):
    keys = 1 << 20
    request = b"".join([b"*%d\r\n$6\r\nEXISTS\r\n" % (keys + 1)] +
                       [b"$%d\r\nmissing:%d\r\n" % (len(b"missing:%d" % i), i)
                        for i in range(keys)])
    with server.conn(timeout=120) as c, case.bystander.excuse():
        c.send(request)
        assert c.read_frame(timeout=120) == b":0\r\n"
        assert c.call("PING") == b"+PONG\r\n"


# ---- replies a client does not read (item 5) ---------------------------------

UNREAD_VALUE = 1 << 20
UNREAD_GETS = 100
# The bound the issue sets for this case, over the server's RSS before it.
UNREAD_MAX_RISE = 32 << 20


def test_a_client_that_does_not_read_holds_back_its_requests_not_memory(server, case):
    r = server.client()
    value = os.urandom(UNREAD_VALUE)
    r.set("unread:big", value)
    r.close()
    before = rss_bytes(case.pid)
    with server.conn(timeout=60) as c:
        c.send(encode_command("GET", "unread:big") * UNREAD_GETS)
        # Time for a server without backpressure to make every reply.
        time.sleep(1.0)
        rise = rss_bytes(case.pid) - before
        case.sample_rss()
        # Nothing was dropped: every reply comes once the client reads.
        for _ in range(UNREAD_GETS):
            assert c.read_frame(timeout=60) == b"$%d\r\n%s\r\n" % (UNREAD_VALUE, value)
        assert c.call("PING") == b"+PONG\r\n"
    report(server, "unread replies: RSS rise while unread", 0, 0, rise)
    if case.bounds:
        assert rise <= UNREAD_MAX_RISE, "RSS rose %.1f MB" % (rise / 1e6)


# ---- malformed frames (items 1 and more of the same family) -------------------

# Each on a fresh connection: the error, then the close; the shard goes on.
MALFORMED = [
    (b"*-5\r\nPING\r\n", None),                       # a negative count: nothing to run
    (b"*2\r\n$3\r\nGET\r\n$-7\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*1\r\n$99999999999999999999\r\n", b"-ERR Protocol error: invalid bulk length\r\n"),
    (b"*3000000000\r\n", b"-ERR Protocol error: invalid multibulk length\r\n"),
    (b"PI\x00NG\r\n", b"-ERR Protocol error: NUL byte in inline request\r\n"),
    (b'GET "unterminated\r\n', b"-ERR Protocol error: unbalanced quotes in request\r\n"),
]


@pytest.mark.parametrize("frame,reply", MALFORMED, ids=range(len(MALFORMED)))
def test_a_malformed_frame_gets_its_error_and_only_its_connection_closes(server, case, frame,
                                                                        reply):
    if target() == "redis" and b"\x00" in frame:
        pytest.skip("Redis 7.0 leaves this connection waiting for a newline it has had")
    with server.conn() as c:
        c.send(frame)
        if reply is None:
            assert c.call("PING") == b"+PONG\r\n"
        else:
            assert c.read_until_closed(timeout=10) == reply


def test_nul_bytes_anywhere_in_a_multibulk_are_data(server, case):
    key, value = b"\x00k\x00ey\x00", b"\x00" * 100 + b"v\x00"
    with server.conn() as c:
        assert c.call("SET", key, value) == b"+OK\r\n"
        assert c.call("GET", key) == b"$%d\r\n%s\r\n" % (len(value), value)
        assert c.call("DEL", key) == b":1\r\n"


def test_frames_cut_short_then_closed_leave_nothing_behind(server, case):
    frame = encode_command("SET", "cut:key", "v" * 1000)
    for cut in (1, 5, 12, 30, len(frame) - 1):
        with server.conn() as c:
            c.send(frame[:cut])
    with server.conn() as c:
        assert c.call("EXISTS", "cut:key") == b":0\r\n"


def test_a_bulk_longer_than_declared_is_read_as_redis_reads_it(server, case):
    # Redis takes the declared bytes, skips two for the CRLF it does not
    # check, and reads what follows as the next request: so does Tessera.
    with server.conn() as c:
        c.send(b"*2\r\n$4\r\nECHO\r\n$3\r\nabcdef\r\n")
        assert c.read_frame() == b"$3\r\nabc\r\n"
        assert c.read_frame() == b"-ERR unknown command 'f', with args beginning with: \r\n"
        c.send(b"PING\rPING\r\n")   # CR without LF: a space in an inline request
        assert c.read_frame() == b"$4\r\nPING\r\n"
        assert c.call("PING") == b"+PONG\r\n"


# ---- slow and many clients ---------------------------------------------------------

def test_huge_declared_bulks_sent_slowly_do_not_take_memory_they_were_not_sent(server, case):
    conns = [server.conn() for _ in range(20)]
    try:
        for c in conns:
            c.send(b"*3\r\n$3\r\nSET\r\n$4\r\nslow\r\n$100000000\r\n")
        for _ in range(10):
            for c in conns:
                c.send(b"x" * 4096)
            time.sleep(0.02)
        case.sample_rss()
    finally:
        for c in conns:
            c.close()
    with server.conn() as c:
        assert c.call("EXISTS", "slow") == b":0\r\n"


def test_slowloris_connections_trickling_requests_do_not_hold_up_others(server, case):
    request = encode_command("SET", "loris", "v")
    conns = [server.conn() for _ in range(200)]
    try:
        for i in range(len(request) - 1):
            for c in conns:
                c.send(request[i:i + 1])
            time.sleep(0.005)
        for c in conns:
            c.send(request[-1:])
        for c in conns:
            assert c.read_frame(timeout=30) == b"+OK\r\n"
    finally:
        for c in conns:
            c.close()


def test_two_thousand_connections_reset_at_once(server, case):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4096:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(4096, hard), hard))
    socks = []
    try:
        # Opened in paced batches (on two cores this process would otherwise
        # take the CPU the bystander needs); reset all at once.
        for i in range(2000):
            s = socket.create_connection((server.host, server.port), timeout=30)
            s.sendall(b"*2\r\n$3\r\nGET\r\n$6\r\nunseen\r\n")
            socks.append(s)
            if i % 50 == 49:
                time.sleep(0.005)
        for s in socks:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        for s in socks:
            s.close()   # with SO_LINGER 0: an RST each
    # Left: the bystander and this check (earlier cases' closes are done
    # by then too).
    with server.conn() as c:
        assert_connected_clients(c, 2, timeout=30)


# ---- closes: half, by the server, of a client that reads nothing ------------------

def test_a_half_closed_client_gets_every_reply_before_the_close(server, case):
    # Item 2: 1,000 PINGs, then shutdown(SHUT_WR) (nc -N, a piped script):
    # every request read before the FIN is answered, then the server closes.
    with server.conn() as c:
        c.send(b"PING\r\n" * 1000)
        c.sock.shutdown(socket.SHUT_WR)
        assert c.read_until_closed(timeout=20) == b"+PONG\r\n" * 1000


def test_client_kill_of_itself_answers_one_then_closes(server, case):
    # Item 6: ioredis reads that 1.
    with server.conn() as c:
        own = c.call("CLIENT", "ID")[1:-2]
        c.send(encode_command("CLIENT", "KILL", "ID", own, "SKIPME", "no"))
        assert c.read_until_closed(timeout=10) == b":1\r\n"


def test_a_killed_client_that_reads_nothing_is_gone_at_once(server, case):
    # Its replies (20 x 1 MB) wait in the server, or in the kernel's or the
    # userspace stack's send queue behind a closed window: the close must
    # not wait on them (over DPDK it did: a FIN queued behind them, probed
    # for ever).
    with server.conn() as setup:
        assert setup.call("SET", "killed:big", "x" * (1 << 20)) == b"+OK\r\n"
    reader = socket.create_connection((server.host, server.port), timeout=30)
    try:
        reader.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        reader.sendall(encode_command("CLIENT", "ID"))
        own = reader.recv(64).strip()[1:]
        reader.sendall(encode_command("GET", "killed:big") * 20)
        time.sleep(0.5)
        with server.conn() as admin:
            assert admin.call("CLIENT", "KILL", "ID", own) == b":1\r\n"
            assert_connected_clients(admin, 2, timeout=10)   # the bystander and admin
    finally:
        reader.close()
    with server.conn() as c:
        assert c.call("DEL", "killed:big") == b":1\r\n"
