"""A tiny raw-socket RESP client for protocol-level tests.

redis-py hides the wire: it decodes replies, adds its own handshake, and
reconnects behind our back. Protocol tests need to send arbitrary bytes and see
exactly one reply frame as it arrived, so this module talks TCP directly.

    conn = RespConn(port)
    conn.send(b"PING\\r\\n")
    conn.read_frame()            -> b"+PONG\\r\\n"        (raw bytes of one frame)
    conn.call("SET", "k", "v")   -> b"+OK\\r\\n"
    conn.call_decoded("GET", "k") -> b"v"
    decode(b"%1\\r\\n+a\\r\\n:1\\r\\n") -> {b"a": 1}

Every read is bounded by a socket timeout, so a server that never answers
fails the test instead of hanging it.
"""
import socket
import time

CRLF = b"\r\n"


class ProtocolDesync(Exception):
    """The bytes received are not a valid RESP frame."""


class ConnectionClosed(Exception):
    """The server closed the connection before a complete frame arrived."""


class RespError(object):
    """A decoded error reply (`-...` or `!...`), kept as a value, not raised,
    so tests can compare it like any other reply."""

    def __init__(self, message):
        self.message = message

    def __eq__(self, other):
        return isinstance(other, RespError) and other.message == self.message

    def __hash__(self):
        return hash(self.message)

    def __repr__(self):
        return "RespError(%r)" % (self.message,)


class Push(list):
    """A decoded RESP3 push (`>`) frame."""


class Verbatim(bytes):
    """A decoded RESP3 verbatim string; `.format` holds the 3-byte type."""

    def __new__(cls, fmt, data):
        obj = bytes.__new__(cls, data)
        obj.format = fmt
        return obj


class WithAttributes(object):
    """A reply preceded by a RESP3 attribute (`|`) frame."""

    def __init__(self, attributes, value):
        self.attributes = attributes
        self.value = value

    def __eq__(self, other):
        return (isinstance(other, WithAttributes) and other.attributes == self.attributes
                and other.value == self.value)

    def __repr__(self):
        return "WithAttributes(%r, %r)" % (self.attributes, self.value)


def encode_command(*args):
    """Encode a command as a RESP multibulk array of bulk strings."""
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def _frame_end(buf, pos):
    """Return the index just past the complete frame starting at buf[pos], or
    None when more bytes are needed. Raises ProtocolDesync on garbage."""
    if pos >= len(buf):
        return None
    eol = buf.find(CRLF, pos)
    if eol < 0:
        return None
    kind = buf[pos:pos + 1]
    line = buf[pos + 1:eol]
    after = eol + 2
    if kind in (b"+", b"-", b":", b"_", b",", b"#", b"("):
        return after
    if kind in (b"$", b"=", b"!"):
        n = _int(line)
        if n < 0:
            return after
        end = after + n + 2
        if len(buf) < end:
            return None
        if buf[end - 2:end] != CRLF:
            raise ProtocolDesync("bulk payload not followed by CRLF: %r" % buf[pos:end])
        return end
    if kind in (b"*", b"~", b">", b"%", b"|"):
        n = _int(line)
        if n < 0:
            return after
        count = n * 2 if kind in (b"%", b"|") else n
        p = after
        for _ in range(count):
            p = _frame_end(buf, p)
            if p is None:
                return None
        if kind == b"|":
            # An attribute is followed by the reply it annotates.
            return _frame_end(buf, p)
        return p
    raise ProtocolDesync("unknown RESP type byte %r in %r" % (kind, buf[pos:pos + 40]))


def _int(line):
    try:
        return int(line)
    except ValueError:
        raise ProtocolDesync("bad length/integer %r" % line)


def decode(frame):
    """Decode one complete frame (bytes) into Python values.

    simple/bulk/verbatim -> bytes (Verbatim for `=`), error -> RespError,
    integer/big number -> int, null (`_`, `$-1`, `*-1`) -> None,
    double -> float, boolean -> bool, array -> list, set -> set (or list if
    its members are unhashable), map -> dict (or list of pairs if keys are
    unhashable), push -> Push, attribute -> WithAttributes.
    """
    value, end = _decode_at(frame, 0)
    if end != len(frame):
        raise ProtocolDesync("trailing bytes after frame: %r" % frame[end:])
    return value


def _decode_at(buf, pos):
    eol = buf.find(CRLF, pos)
    if eol < 0:
        raise ProtocolDesync("incomplete frame")
    kind = buf[pos:pos + 1]
    line = buf[pos + 1:eol]
    p = eol + 2
    if kind == b"+":
        return line, p
    if kind == b"-":
        return RespError(line.decode("utf-8", "replace")), p
    if kind == b":":
        return _int(line), p
    if kind == b"(":
        return _int(line), p
    if kind == b"_":
        return None, p
    if kind == b",":
        text = line.decode().lower()
        if text in ("inf", "+inf"):
            return float("inf"), p
        if text == "-inf":
            return float("-inf"), p
        return float(text), p
    if kind == b"#":
        if line == b"t":
            return True, p
        if line == b"f":
            return False, p
        raise ProtocolDesync("bad boolean %r" % line)
    if kind in (b"$", b"=", b"!"):
        n = _int(line)
        if n < 0:
            return None, p
        data = buf[p:p + n]
        if len(data) != n or buf[p + n:p + n + 2] != CRLF:
            raise ProtocolDesync("short bulk payload")
        p += n + 2
        if kind == b"=":
            if len(data) < 4 or data[3:4] != b":":
                raise ProtocolDesync("verbatim string without format prefix")
            return Verbatim(data[:3], data[4:]), p
        if kind == b"!":
            return RespError(data.decode("utf-8", "replace")), p
        return data, p
    if kind in (b"*", b"~", b">"):
        n = _int(line)
        if n < 0:
            return None, p
        items = []
        for _ in range(n):
            v, p = _decode_at(buf, p)
            items.append(v)
        if kind == b"~":
            try:
                return set(items), p
            except TypeError:
                return items, p
        if kind == b">":
            return Push(items), p
        return items, p
    if kind in (b"%", b"|"):
        n = _int(line)
        pairs = []
        for _ in range(n):
            k, p = _decode_at(buf, p)
            v, p = _decode_at(buf, p)
            pairs.append((k, v))
        try:
            mapping = dict(pairs)
        except TypeError:
            mapping = pairs
        if kind == b"|":
            value, p = _decode_at(buf, p)
            return WithAttributes(mapping, value), p
        return mapping, p
    raise ProtocolDesync("unknown RESP type byte %r" % kind)


class RespConn(object):
    """One TCP connection that reads whole RESP frames as raw bytes."""

    def __init__(self, port, host="127.0.0.1", timeout=5.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.timeout = timeout
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        # Reads shrink the socket timeout to what is left of their deadline.
        self.sock.settimeout(self.timeout)
        self.sock.sendall(data)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise socket.timeout("no complete reply within %.1f s" % self.timeout)
        self.sock.settimeout(remaining)
        try:
            chunk = self.sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            raise ConnectionClosed("closed with %d unparsed bytes: %r" %
                                   (len(self.buf), self.buf[:80]))
        self.buf += chunk

    def read_frame(self, timeout=None):
        """Return the raw bytes of exactly one complete reply frame."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            end = _frame_end(self.buf, 0)
            if end is not None:
                frame, self.buf = self.buf[:end], self.buf[end:]
                return frame
            self._fill(deadline)

    def read_frames(self, n, timeout=None):
        return [self.read_frame(timeout) for _ in range(n)]

    def call(self, *args):
        """Send one command as a multibulk and return its raw reply frame."""
        self.send(encode_command(*args))
        return self.read_frame()

    def call_decoded(self, *args):
        return decode(self.call(*args))

    def is_closed_by_peer(self, timeout=None):
        """True once the server has closed the connection (EOF or reset) with
        no further bytes pending; False if still open after `timeout`.
        Leftover unread bytes are an error: the test should have read them."""
        if self.buf:
            raise AssertionError("unread bytes before close check: %r" % self.buf[:80])
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return False
            except (ConnectionResetError, BrokenPipeError):
                return True
            if not chunk:
                return True
            raise AssertionError("unexpected bytes while waiting for close: %r" % chunk[:80])

    def read_until_closed(self, timeout=None):
        """Return every byte the server sends until it closes the connection;
        raises socket.timeout if it stays open."""
        deadline = time.monotonic() + (timeout if timeout is not None else self.timeout)
        data, self.buf = self.buf, b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise socket.timeout("connection still open; got %r" % data[:200])
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                return data
            if not chunk:
                return data
            data += chunk
