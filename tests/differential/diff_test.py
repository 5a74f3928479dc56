#!/usr/bin/python3
"""Differential test: a seeded random stream of string/key/expiry commands is
sent to Debian's redis-server (the oracle, "A") and to the server under test
("B"); every reply must be byte-identical.

    /usr/bin/python3 tests/differential/diff_test.py                  # vs build/tessera-server, 2 shards
    /usr/bin/python3 tests/differential/diff_test.py --shards 1 --seed 42 --count 50000
    /usr/bin/python3 tests/differential/diff_test.py --against-redis  # validate the script itself
    /usr/bin/python3 tests/differential/diff_test.py --ports 6379,7000 # servers already running

Commands travel as raw RESP over plain sockets, in pipelined batches; replies
are read back as the exact bytes of each RESP frame, so nothing is decoded or
normalised on the way. The only replies not compared byte for byte are the
clock-dependent ones (see README.md): TTL, PTTL, EXPIRETIME, PEXPIRETIME and
the KEYS listings (compared as sorted sets).

Exit status: 0 when no reply differed, 1 on the first difference (after
printing the seed, the index, the command, both replies and the recent history
of the keys involved), 2 on a usage or start-up error.
"""
import argparse
import os
import random
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CRLF = b"\r\n"

# Tolerances for clock-dependent replies (see README.md).
PTTL_TOLERANCE_MS = 2000
# A relative TTL is drawn once per run and never reused, from a grid of
# multiples of GRID seconds; absolute ones sit half-way between grid points.
# Expiry comparisons (EXPIRE GT/LT) are then the same on both servers as long
# as the run lasts less than GRID / 2 seconds.
GRID = 10000
MAX_RUN_SECONDS = GRID // 2


# --------------------------------------------------------------------------
# RESP on the wire
# --------------------------------------------------------------------------

class ProtocolError(Exception):
    pass


class ServerGone(Exception):
    pass


def encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        out.append(b"$%d\r\n" % len(a))
        out.append(a)
        out.append(CRLF)
    return b"".join(out)


def frame_end(buf, pos):
    """End offset of the complete RESP2 frame starting at buf[pos], or -1 if
    more bytes are needed. Raises ProtocolError on bytes that are not RESP."""
    if pos >= len(buf):
        return -1
    nl = buf.find(CRLF, pos)
    if nl < 0:
        return -1
    t = buf[pos]
    if t in b"+-:":
        return nl + 2
    try:
        n = int(buf[pos + 1:nl])
    except ValueError:
        raise ProtocolError("bad length line %r" % bytes(buf[pos:nl + 2]))
    if t == ord("$"):
        if n < 0:
            return nl + 2
        end = nl + 2 + n + 2
        if len(buf) < end:
            return -1
        if buf[end - 2:end] != CRLF:
            raise ProtocolError("bulk string not terminated by CRLF")
        return end
    if t == ord("*"):
        p = nl + 2
        for _ in range(max(n, 0)):
            p = frame_end(buf, p)
            if p < 0:
                return -1
        return p
    raise ProtocolError("unexpected type byte %r" % bytes([t]))


class Conn:
    def __init__(self, name, port):
        self.name = name
        self.port = port
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.buf = bytearray()
        self.pos = 0

    def close(self):
        self.sock.close()


def roundtrip(conns, payload, nreplies, timeout):
    """Write `payload` to every connection at once and read `nreplies` raw
    frames from each. Returns one list of replies per connection. On a closed
    connection or timeout, raises ServerGone carrying the replies so far."""
    sel = selectors.DefaultSelector()
    state = {}
    for c in conns:
        state[c] = [memoryview(payload), []]
        sel.register(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
    deadline = time.monotonic() + timeout
    pending = len(conns)
    try:
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ServerGone(["%s: only %d of %d replies within %.0f s" %
                                  (c.name, len(state[c][1]), nreplies, timeout)
                                  for c in conns if len(state[c][1]) < nreplies],
                                 {c.name: state[c][1] for c in conns})
            for key, events in sel.select(min(left, 1.0)):
                c = key.data
                out, replies = state[c]
                if events & selectors.EVENT_WRITE and len(out):
                    try:
                        n = c.sock.send(out[:65536])
                    except (BlockingIOError, InterruptedError):
                        n = 0
                    except OSError as e:
                        raise ServerGone(["%s: send failed: %s" % (c.name, e)],
                                         {x.name: state[x][1] for x in conns})
                    out = state[c][0] = out[n:]
                if events & selectors.EVENT_READ:
                    try:
                        data = c.sock.recv(262144)
                    except (BlockingIOError, InterruptedError):
                        data = None
                    except OSError as e:
                        raise ServerGone(["%s: recv failed: %s" % (c.name, e)],
                                         {x.name: state[x][1] for x in conns})
                    if data == b"":
                        raise ServerGone(["%s: connection closed after %d of %d replies" %
                                          (c.name, len(replies), nreplies)],
                                         {x.name: state[x][1] for x in conns})
                    if data:
                        c.buf += data
                        while len(replies) < nreplies:
                            end = frame_end(c.buf, c.pos)
                            if end < 0:
                                break
                            replies.append(bytes(c.buf[c.pos:end]))
                            c.pos = end
                        if len(replies) == nreplies and len(c.buf) > c.pos:
                            raise ServerGone(["%s: unexpected bytes after the last reply: %r" %
                                              (c.name, bytes(c.buf[c.pos:c.pos + 200]))],
                                             {x.name: state[x][1] for x in conns})
                if not len(out):
                    mask = selectors.EVENT_READ
                    if len(replies) == nreplies:
                        sel.unregister(c.sock)
                        pending -= 1
                    elif key.events != mask:
                        sel.modify(c.sock, mask, c)
    finally:
        sel.close()
    for c in conns:
        del c.buf[:c.pos]
        c.pos = 0
    return [state[c][1] for c in conns]


def int_reply(raw):
    if raw[:1] == b":" and raw.endswith(CRLF):
        try:
            return int(raw[1:-2])
        except ValueError:
            return None
    return None


def bulk_array(raw):
    """The elements of a flat array of bulk strings, or None."""
    if raw[:1] != b"*":
        return None
    nl = raw.find(CRLF)
    n = int(raw[1:nl])
    items, p = [], nl + 2
    for _ in range(max(n, 0)):
        if raw[p:p + 1] != b"$":
            return None
        nl = raw.find(CRLF, p)
        ln = int(raw[p + 1:nl])
        if ln < 0:
            items.append(None)
            p = nl + 2
        else:
            items.append(raw[nl + 2:nl + 2 + ln])
            p = nl + 2 + ln + 2
    return items


# --------------------------------------------------------------------------
# The random command stream
# --------------------------------------------------------------------------

# ~50 keys, so collisions are frequent. The {tag} groups put several keys on
# one slot (multi-key commands on one shard); plain keys spread over the
# shards (multi-key commands across shards). The odd ones check that keys are
# binary-safe and that hash tags are parsed like Redis Cluster does ("{}" and
# an unclosed "{" mean: hash the whole key).
KEY_GROUPS = [
    [b"{u1}:a", b"{u1}:b", b"{u1}:c", b"x{u1}y", b"{u1}"],
    [b"{u2}:a", b"{u2}:b", b"{u2}:c"],
    [b"{u3}:a", b"{u3}:b", b"{u3}:c"],
    [b"{user:1000}.name", b"{user:1000}.age"],
    [b"{}a", b"{}b", b"{a", b"a}", b"{{u1}}:z"],
]
PLAIN_KEYS = [b"k%d" % i for i in range(22)] + [
    b"counter", b"float", b"session:1", b"session:2",
    b"", b" ", b"sp ace", b"bin\x00key", b"\xff\xfe", b"nl\r\nkey",
    b"\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87",
]
ALL_KEYS = [k for g in KEY_GROUPS for k in g] + PLAIN_KEYS

GOOD_INTS = [b"0", b"1", b"-1", b"2", b"10", b"100", b"-100", b"12345",
             b"9223372036854775807", b"-9223372036854775808",
             b"9223372036854775806", b"-9223372036854775807", b"4611686018427387904"]
BAD_INTS = [b"abc", b"1.5", b"", b" 1", b"1 ", b"012", b"+1", b"-0", b"0x10",
            b"1e3", b"9223372036854775808", b"-9223372036854775809",
            b"99999999999999999999", b"--1", b"1-", b"\x001"]
FLOATS = [b"0.1", b"0.2", b"3.14", b"-0.5", b"1e10", b"2.5e-3", b"1e20", b"1e-20",
          b".5", b"5.", b"-0", b"1.0", b"10.50", b"1e300", b"1e400", b"-1e400",
          b"0x10", b"0x1p3", b"123456789.123456789", b"1E5", b"3.0e3"]
BAD_FLOATS = [b"inf", b"-inf", b"+inf", b"nan", b"-nan", b"abc", b"", b" 1", b"1 ",
              b"1e5000", b"1.2.3", b"1e", b"e1", b"0x", b"1,5"]
WORDS = [b"hello", b"world", b"foo", b"bar", b"OK", b"PONG", b"nil", b"-ERR",
         b"+OK", b":1", b"$-1", b"*0", b"value with spaces", b"\r\n", b"\x00",
         b"\xe2\x82\xac", b"a" * 40]
# Not "get\x00": Redis 7.0 looks commands up with a hash over the whole name
# but compares with strcasecmp, so whether "get\x00" runs GET depends on its
# per-process hash seed.
UNKNOWN_NAMES = [b"FOO", b"GETT", b"SETT", b"xyzzy", b"", b"tessera", b"DEL2",
                 b"incrbyfloats", b"nosuch\x00cmd", b"g\r\net", b"S E T", b"ttl2"]
# Extra arguments for SET and GETEX: never numbers, since one could become the
# value of an option whose own value was left out ("SET k v PX" + "10").
NON_NUMERIC_JUNK = [b"foo", b"hello", b"EXX", b"", b"NX", b"GET", b"PERSIST", b"\r\n"]
SET_FLAGS = [b"NX", b"XX", b"GET", b"KEEPTTL"]


def mixed_case(rng, word):
    return bytes(c ^ 0x20 if 97 <= (c | 0x20) <= 122 and rng.random() < 0.5 else c
                 for c in word)


class Cmd:
    __slots__ = ("index", "args", "keys", "check", "companion")

    def __init__(self, args, keys=(), check="exact", companion=None):
        self.index = None
        self.args = args
        self.keys = list(keys)
        self.check = check          # exact | ttl | pttl | expiretime | sorted
        self.companion = companion  # hidden follow-up command (TTL checks)


class Generator:
    def __init__(self, rng, base):
        self.rng = rng
        self.base = base            # whole seconds, taken once before the run
        self.used_rel = set()
        self.weighted = []
        for weight, fn in [
                (1, self.c_ping), (1, self.c_echo), (1, self.c_dbsize),
                (3, self.c_exists), (2, self.c_type), (9, self.c_get),
                (12, self.c_set), (2, self.c_setnx), (2, self.c_setex),
                (2, self.c_psetex), (2, self.c_getset), (2, self.c_getdel),
                (4, self.c_getex), (3, self.c_mget), (3, self.c_mset),
                (2, self.c_msetnx), (3, self.c_incr), (2, self.c_decr),
                (3, self.c_incrby), (2, self.c_decrby), (5, self.c_incrbyfloat),
                (3, self.c_append), (2, self.c_strlen), (3, self.c_getrange),
                (3, self.c_setrange), (3, self.c_del), (2, self.c_unlink),
                (4, self.c_expire), (2, self.c_pexpire), (2, self.c_expireat),
                (2, self.c_pexpireat), (3, self.c_ttl), (2, self.c_pttl),
                (2, self.c_expiretime), (2, self.c_pexpiretime), (2, self.c_persist),
                (2, self.c_rename), (2, self.c_renamenx), (2, self.c_touch),
                (1, self.c_select), (1, self.c_keys), (2, self.c_unknown)]:
            self.weighted += [fn] * weight

    # -- building blocks ---------------------------------------------------
    def key(self):
        return self.rng.choice(ALL_KEYS)

    def keys(self, lo, hi):
        """lo..hi keys, half the time all from one hash-tag group."""
        n = self.rng.randint(lo, hi)
        if self.rng.random() < 0.5:
            group = self.rng.choice(KEY_GROUPS)
            return [self.rng.choice(group) for _ in range(n)]
        return [self.key() for _ in range(n)]

    def value(self):
        r = self.rng.random()
        if r < 0.25:
            return b"%d" % self.rng.randint(-1000, 1000)
        if r < 0.35:
            return self.rng.choice(GOOD_INTS)
        if r < 0.45:
            return self.rng.choice(BAD_INTS)
        if r < 0.60:
            return self.rng.choice(FLOATS + BAD_FLOATS)
        if r < 0.65:
            return b""
        if r < 0.78:
            return bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 16)))
        return self.rng.choice(WORDS)

    def int_arg(self, lo=-100, hi=100):
        r = self.rng.random()
        if r < 0.7:
            return b"%d" % self.rng.randint(lo, hi)
        if r < 0.85:
            return self.rng.choice(GOOD_INTS)
        return self.rng.choice(BAD_INTS)

    def rel_seconds(self):
        """A positive relative TTL in seconds never used before in this run."""
        hi = 1000 if self.rng.random() < 0.5 else 1000000
        for _ in range(1000):
            k = self.rng.randint(1, hi)
            if k not in self.used_rel:
                self.used_rel.add(k)
                return k * GRID
            hi = 1000000
        raise RuntimeError("relative TTL pool exhausted")

    def time_arg(self, unit, absolute):
        """(argument, in_the_past) for an expiry argument in seconds or ms."""
        r = self.rng.random()
        scale = 1000 if unit == "ms" else 1
        if r < 0.65:
            if absolute:
                s = self.base + GRID // 2 + GRID * self.rng.randrange(1000)
            else:
                s = self.rel_seconds()
            extra = self.rng.randrange(1000) if unit == "ms" and self.rng.random() < 0.5 else 0
            return b"%d" % (s * scale + extra), False
        if r < 0.82:
            if absolute:
                choice = self.rng.random()
                if choice < 0.6:
                    return b"%d" % ((self.base - self.rng.randint(1, 10 ** 8)) * scale), True
                return self.rng.choice([b"1", b"0", b"-1", b"-1000"]), True
            return self.rng.choice([b"0", b"-1", b"-100", b"-9999999"]), True
        return self.rng.choice([
            b"abc", b"1.5", b"", b" 10000", b"1e5", b"+5000",
            b"9223372036854775808", b"9223372036854775807", b"-9223372036854775808",
            b"9223372036854775", b"-9223372036854775", b"9223372036854775806"]), False

    # -- commands ----------------------------------------------------------
    def c_ping(self):
        if self.rng.random() < 0.5:
            return [Cmd([b"PING"])]
        return [Cmd([b"PING", self.value()])]

    def c_echo(self):
        return [Cmd([b"ECHO", self.value()])]

    def c_dbsize(self):
        return [Cmd([b"DBSIZE"])]

    def c_exists(self):
        ks = self.keys(1, 5)
        return [Cmd([b"EXISTS"] + ks, ks)]

    def c_type(self):
        k = self.key()
        return [Cmd([b"TYPE", k], [k])]

    def c_get(self):
        k = self.key()
        return [Cmd([b"GET", k], [k])]

    def c_set(self):
        k = self.key()
        args = [b"SET", k, self.value()]
        n = self.rng.choice([0, 0, 1, 1, 1, 2, 2, 3])
        for _ in range(n):
            r = self.rng.random()
            if r < 0.45:
                opt = self.rng.choice([b"EX", b"PX", b"EXAT", b"PXAT"])
                arg, _ = self.time_arg("ms" if opt[0:1] == b"P" else "s", opt.endswith(b"AT"))
                if self.rng.random() < 0.1:
                    opt = mixed_case(self.rng, opt)
                args += [opt, arg] if self.rng.random() < 0.97 else [opt]
            elif r < 0.95:
                opt = self.rng.choice(SET_FLAGS)
                args.append(mixed_case(self.rng, opt) if self.rng.random() < 0.1 else opt)
            else:
                args.append(self.rng.choice([b"PERSIST", b"EXX", b"foo", b"100000000000"]))
        return [Cmd(args, [k])]

    def c_setnx(self):
        k = self.key()
        return [Cmd([b"SETNX", k, self.value()], [k])]

    def c_setex(self):
        k = self.key()
        arg, _ = self.time_arg("s", False)
        return [Cmd([b"SETEX", k, arg, self.value()], [k])]

    def c_psetex(self):
        k = self.key()
        arg, _ = self.time_arg("ms", False)
        return [Cmd([b"PSETEX", k, arg, self.value()], [k])]

    def c_getset(self):
        k = self.key()
        return [Cmd([b"GETSET", k, self.value()], [k])]

    def c_getdel(self):
        k = self.key()
        return [Cmd([b"GETDEL", k], [k])]

    def c_getex(self):
        k = self.key()
        args = [b"GETEX", k]
        r = self.rng.random()
        if r < 0.2:
            pass
        elif r < 0.75:
            opt = self.rng.choice([b"EX", b"PX", b"EXAT", b"PXAT"])
            arg, _ = self.time_arg("ms" if opt[0:1] == b"P" else "s", opt.endswith(b"AT"))
            args += [opt, arg]
        elif r < 0.85:
            args.append(self.rng.choice([b"PERSIST", b"persist"]))
        else:
            for _ in range(self.rng.randint(1, 3)):
                # The number is a valid EX or PX value, never a short TTL.
                args.append(self.rng.choice([b"EX", b"PX", b"PERSIST", b"KEEPTTL", b"NX",
                                             b"%d" % (self.rel_seconds() * 1000)]))
        return [Cmd(args, [k])]

    def c_mget(self):
        ks = self.keys(1, 6)
        return [Cmd([b"MGET"] + ks, ks)]

    def _pairs(self, name):
        ks = self.keys(1, 5)
        args = [name]
        for k in ks:
            args += [k, self.value()]
        return [Cmd(args, ks)]

    def c_mset(self):
        return self._pairs(b"MSET")

    def c_msetnx(self):
        return self._pairs(b"MSETNX")

    def c_incr(self):
        k = self.key()
        return [Cmd([b"INCR", k], [k])]

    def c_decr(self):
        k = self.key()
        return [Cmd([b"DECR", k], [k])]

    def c_incrby(self):
        k = self.key()
        return [Cmd([b"INCRBY", k, self.int_arg()], [k])]

    def c_decrby(self):
        k = self.key()
        return [Cmd([b"DECRBY", k, self.int_arg()], [k])]

    def c_incrbyfloat(self):
        k = self.key()
        r = self.rng.random()
        if r < 0.4:
            inc = self.rng.choice(FLOATS)
        elif r < 0.6:
            inc = b"%d" % self.rng.randint(-100, 100)
        elif r < 0.75:
            inc = b"%.*f" % (self.rng.randint(0, 6), self.rng.uniform(-1000, 1000))
        else:
            inc = self.rng.choice(BAD_FLOATS + BAD_INTS + GOOD_INTS)
        return [Cmd([b"INCRBYFLOAT", k, inc], [k])]

    def c_append(self):
        k = self.key()
        return [Cmd([b"APPEND", k, self.value()], [k])]

    def c_strlen(self):
        k = self.key()
        return [Cmd([b"STRLEN", k], [k])]

    def c_getrange(self):
        k = self.key()
        return [Cmd([b"GETRANGE", k, self.int_arg(-30, 30), self.int_arg(-30, 30)], [k])]

    def c_setrange(self):
        k = self.key()
        r = self.rng.random()
        if r < 0.8:
            off = b"%d" % self.rng.randint(0, 40)
        elif r < 0.9:
            # At or past the 512 MB limit: an error, never a huge allocation
            # (an offset just below it with a 1-byte value would allocate 512 MB).
            off = self.rng.choice([b"536870912", b"536870913", b"4294967296",
                                   b"9223372036854775807"])
        else:
            off = self.rng.choice([b"-1", b"abc", b"1.5", b"", b"9223372036854775808"])
        return [Cmd([b"SETRANGE", k, off, self.value()], [k])]

    def c_del(self):
        ks = self.keys(1, 5)
        return [Cmd([b"DEL"] + ks, ks)]

    def c_unlink(self):
        ks = self.keys(1, 5)
        return [Cmd([b"UNLINK"] + ks, ks)]

    def _expire(self, name, unit, absolute):
        k = self.key()
        arg, _ = self.time_arg(unit, absolute)
        args = [name, k, arg]
        r = self.rng.random()
        if r < 0.45:
            pass
        elif r < 0.85:
            args.append(self.rng.choice([b"NX", b"XX", b"GT", b"LT", b"gt", b"lt"]))
        else:
            for _ in range(self.rng.randint(1, 3)):
                args.append(self.rng.choice([b"NX", b"XX", b"GT", b"LT", b"FOO", b"1"]))
        return [Cmd(args, [k])]

    def c_expire(self):
        return self._expire(b"EXPIRE", "s", False)

    def c_pexpire(self):
        return self._expire(b"PEXPIRE", "ms", False)

    def c_expireat(self):
        return self._expire(b"EXPIREAT", "s", True)

    def c_pexpireat(self):
        return self._expire(b"PEXPIREAT", "ms", True)

    def c_ttl(self):
        k = self.key()
        return [Cmd([b"TTL", k], [k], "ttl", [b"PTTL", k])]

    def c_pttl(self):
        k = self.key()
        return [Cmd([b"PTTL", k], [k], "pttl")]

    def c_expiretime(self):
        k = self.key()
        return [Cmd([b"EXPIRETIME", k], [k], "expiretime", [b"PEXPIRETIME", k])]

    def c_pexpiretime(self):
        k = self.key()
        return [Cmd([b"PEXPIRETIME", k], [k], "pttl")]

    def c_persist(self):
        k = self.key()
        return [Cmd([b"PERSIST", k], [k])]

    def c_rename(self):
        ks = self.keys(2, 2)
        return [Cmd([b"RENAME"] + ks, ks)]

    def c_renamenx(self):
        ks = self.keys(2, 2)
        return [Cmd([b"RENAMENX"] + ks, ks)]

    def c_touch(self):
        ks = self.keys(1, 5)
        return [Cmd([b"TOUCH"] + ks, ks)]

    def c_select(self):
        return [Cmd([b"SELECT", self.rng.choice([b"0", b"0", b"1", b"15", b"-1", b"abc",
                                                  b"00", b"1.5", b"9223372036854775808"])])]

    def c_keys(self):
        pat = self.rng.choice([b"*", b"*", b"k?", b"k1*", b"{u1}*", b"*:a", b"[ks]*",
                               b"*\\*", b"session:[12]", b"{u[12]}:[^a]", b"x*y", b""])
        return [Cmd([b"KEYS", pat], (), "sorted")]

    def c_unknown(self):
        args = [self.rng.choice(UNKNOWN_NAMES)]
        for _ in range(self.rng.randint(0, 4)):
            if self.rng.random() < 0.15:
                args.append(b"x" * self.rng.randint(100, 200))
            else:
                args.append(self.value())
        return [Cmd(args)]

    # -- mutations -----------------------------------------------------------
    def mutate(self, cmd):
        r = self.rng.random()
        if r < 0.03 and len(cmd.args) > 1:
            cmd.args = cmd.args[:self.rng.randint(1, len(cmd.args) - 1)]
        elif r < 0.06:
            if cmd.args[0] in (b"SET", b"GETEX"):
                extra = [self.rng.choice(NON_NUMERIC_JUNK) for _ in range(self.rng.randint(1, 3))]
            else:
                extra = [self.value() for _ in range(self.rng.randint(1, 3))]
            cmd.args = cmd.args + extra
        if self.rng.random() < 0.08:
            cmd.args = [mixed_case(self.rng, cmd.args[0])] + cmd.args[1:]

    def next(self):
        cmds = self.rng.choice(self.weighted)()
        cmd = cmds[0]
        if cmd.check != "sorted":
            self.mutate(cmd)
        if (cmd.args[0].upper() == b"SET" and len(cmd.args) > 1
                and any(a.upper() in (b"EXAT", b"PXAT") for a in cmd.args[3:])):
            # Redis 7.0 stores a key SET with a past EXAT/PXAT and DBSIZE counts
            # it until something touches it (or active expiry gets to it).
            # EXISTS reaps it at once on both servers, so DBSIZE stays
            # deterministic.
            cmds.append(Cmd([b"EXISTS", cmd.args[1]], [cmd.args[1]]))
        return cmds


# --------------------------------------------------------------------------
# Comparison
# --------------------------------------------------------------------------

def compare(cmd, a, b, ca, cb):
    """None when replies a (oracle) and b (under test) are identical,
    "tolerated" when they differ only as documented (clock, KEYS order),
    else the reason they differ. ca/cb: replies to the hidden companion."""
    if a == b:
        return None
    if cmd.check == "sorted":
        la, lb = bulk_array(a), bulk_array(b)
        if la is not None and lb is not None and sorted(la) == sorted(lb):
            return "tolerated"
        return "replies differ (compared as sorted sets)"
    ia, ib = int_reply(a), int_reply(b)
    if cmd.check in ("ttl", "pttl", "expiretime") and (ia is None or ib is None):
        return "replies differ"
    if cmd.check == "pttl":
        if ia >= 0 and ib >= 0 and abs(ia - ib) <= PTTL_TOLERANCE_MS:
            return "tolerated"
        return "replies differ by more than %d ms (or a -1/-2 differs)" % PTTL_TOLERANCE_MS
    if cmd.check in ("ttl", "expiretime"):
        # They may differ by one only across a rounding boundary that the two
        # servers crossed at slightly different times; then each server's own
        # millisecond companion reply must round to its seconds reply.
        pa, pb = int_reply(ca or b""), int_reply(cb or b"")
        if (ia >= 0 and ib >= 0 and abs(ia - ib) == 1 and pa is not None and pb is not None
                and pa >= 0 and pb >= 0 and abs(pa - pb) <= PTTL_TOLERANCE_MS):
            if cmd.check == "ttl":
                # TTL rounds half up from milliseconds; PTTL was taken just after.
                ok = all((p + 500) // 1000 <= s <= (p + 520) // 1000
                         for s, p in ((ia, pa), (ib, pb)))
            else:
                # EXPIRETIME is PEXPIRETIME / 1000 rounded half up (as TTL is),
                # and neither depends on the clock.
                ok = ia == (pa + 500) // 1000 and ib == (pb + 500) // 1000
            if ok:
                return "tolerated"
            return ("seconds differ by one and do not match each server's own "
                    "millisecond reply (companion %r / %r)" % (ca, cb))
        return "replies differ"
    return "replies differ"


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

def free_port(taken=()):
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            return port
    raise RuntimeError("no free port")


class Proc:
    def __init__(self, name, argv, port):
        self.name = name
        self.argv = argv
        self.port = port
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)

    def wait_ready(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited early (status %s): %s" %
                                   (self.name, self.proc.returncode, self.output()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"*1\r\n$4\r\nPING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("%s did not answer PING within %.0f s" % (self.name, timeout))

    def output(self):
        self.log.seek(0)
        return self.log.read()[-4000:].decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


def redis_argv(port):
    return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--databases", "1", "--daemonize", "no", "--logfile", ""]


# --------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------

def fmt_args(args):
    return "[" + ", ".join(repr(a) for a in args) + "]"


def clip(raw, n=400):
    return repr(raw) if len(raw) <= n else repr(raw[:n]) + "... (%d bytes)" % len(raw)


class Run:
    def __init__(self, conns, seed, names, count):
        self.count = count
        self.conns = conns
        self.seed = seed
        self.names = names
        self.history = []   # (cmd, reply_a, reply_b)
        self.tolerated = 0  # replies that differ only as documented

    def report(self, cmd, a, b, reason, ca=None, cb=None):
        out = sys.stdout
        print("", file=out)
        print("DIFFERENCE at command #%s (seed %d): %s" % (cmd.index, self.seed, reason), file=out)
        print("  command: %s" % fmt_args(cmd.args), file=out)
        print("  %-28s %s" % (self.names[0] + ":", clip(a)), file=out)
        print("  %-28s %s" % (self.names[1] + ":", clip(b)), file=out)
        if cmd.companion:
            print("  companion %s: %s / %s" % (fmt_args(cmd.companion), ca, cb), file=out)
        keys = set(cmd.keys)
        if keys:
            prev = [h for h in self.history if keys & set(h[0].keys)][-10:]
            what = "touching %s" % ", ".join(repr(k) for k in sorted(keys))
        else:
            prev = self.history[-10:]
            what = "(any keys)"
        print("  previous %d commands %s:" % (len(prev), what), file=out)
        for c, ra, rb in prev:
            same = "" if ra == rb else "   | %s" % clip(rb, 120)
            print("    #%-6s %s -> %s%s" % (c.index, fmt_args(c.args), clip(ra, 120), same),
                  file=out)
        upto = cmd.index + 1 if isinstance(cmd.index, int) else self.count
        print("replay: /usr/bin/python3 tests/differential/diff_test.py --seed %d --count %d "
              "(with the same --shards / --against-redis / --ports)" % (self.seed, upto),
              file=out)
        out.flush()

    def batch(self, cmds, timeout):
        """Send cmds to both servers; return False on the first difference."""
        payload = b"".join(encode(c.args) + (encode(c.companion) if c.companion else b"")
                           for c in cmds)
        nreplies = sum(2 if c.companion else 1 for c in cmds)
        try:
            ra, rb = roundtrip(self.conns, payload, nreplies, timeout)
        except ServerGone as e:
            problems, got = e.args
            ga, gb = got[self.conns[0].name], got[self.conns[1].name]
            self._walk(cmds, ga, gb)   # report a real difference first, if any
            print("\nSERVER FAILURE (seed %d): %s" % (self.seed, "; ".join(problems)))
            i = 0
            for c in cmds:
                n = 2 if c.companion else 1
                if i + n > min(len(ga), len(gb)):
                    print("  no reply to command #%s: %s" % (c.index, fmt_args(c.args)))
                    break
                i += n
            return False
        except ProtocolError as e:
            print("\nPROTOCOL ERROR (seed %d): %s in a batch starting at command #%s" %
                  (self.seed, e, cmds[0].index))
            return False
        return self._walk(cmds, ra, rb)

    def _walk(self, cmds, ra, rb):
        i = 0
        for c in cmds:
            n = 2 if c.companion else 1
            if i + n > len(ra) or i + n > len(rb):
                return True   # incomplete (server failure reported by the caller)
            a, b = ra[i], rb[i]
            ca, cb = (ra[i + 1], rb[i + 1]) if c.companion else (None, None)
            i += n
            reason = compare(c, a, b, ca, cb)
            if reason == "tolerated":
                self.tolerated += 1
            elif reason:
                self.report(c, a, b, reason, ca, cb)
                return False
            self.history.append((c, a, b))
        if len(self.history) > 20000:
            del self.history[:len(self.history) - 10000]
        return True


def command_stream(gen):
    """Groups of commands, forever: first a look at the starting keyspace (it
    matters with --ports), then random commands with a sorted KEYS * and a
    DBSIZE every 500 commands."""
    yield [Cmd([b"DBSIZE"])]
    yield [Cmd([b"KEYS", b"*"], (), "sorted")]
    while True:
        for _ in range(500):
            yield gen.next()
        yield [Cmd([b"KEYS", b"*"], (), "sorted")]
        yield [Cmd([b"DBSIZE"])]


def run(ports, names, seed, count, batch_size, flush, timeout):
    rng = random.Random(seed)
    conns = [Conn(names[0], ports[0]), Conn(names[1], ports[1])]
    runner = Run(conns, seed, names, count)
    try:
        if flush:
            roundtrip(conns, encode([b"FLUSHALL"]), 1, timeout)
        base = int(time.time())
        start = time.monotonic()
        gen = Generator(rng, base)
        stream = command_stream(gen)
        index = 0
        while index < count:
            cmds = []
            while len(cmds) < batch_size:
                group = next(stream)
                for c in group:     # a group (SET + its EXISTS) is never split
                    c.index = index
                    index += 1
                    cmds.append(c)
                if index >= count:
                    break
            if not runner.batch(cmds, timeout):
                return False
            if time.monotonic() - start > MAX_RUN_SECONDS:
                print("differential: stopping after %d commands: runs longer than %d s "
                      "would make expiry comparisons timing-dependent" % (index, MAX_RUN_SECONDS))
                break
        # Final dump: the whole keyspace, every value and TTL.
        final = [Cmd([b"DBSIZE"]), Cmd([b"KEYS", b"*"], (), "sorted")]
        for c in final:
            c.index = "final"
        if not runner.batch(final, timeout):
            return False
        keys = sorted(bulk_array(runner.history[-1][1]) or [])
        for i in range(0, len(keys), batch_size):
            dump = []
            for k in keys[i:i + batch_size]:
                dump += [Cmd([b"GET", k], [k]), Cmd([b"TTL", k], [k], "ttl", [b"PTTL", k]),
                         Cmd([b"STRLEN", k], [k])]
            for c in dump:
                c.index = "final"
            if not runner.batch(dump, timeout):
                return False
        elapsed = time.monotonic() - start
        print("differential: %d commands, 0 differences (seed %d) in %.1f s; final keyspace "
              "%d keys; %d replies equal only within the documented tolerance"
              % (index, seed, elapsed, len(keys), runner.tolerated))
        return True
    finally:
        for c in conns:
            c.close()


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Send a seeded random command stream to redis-server and the server "
                    "under test and compare every reply byte for byte.")
    ap.add_argument("--count", type=int, default=20000, help="commands to send (default 20000)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: random, printed)")
    ap.add_argument("--shards", type=int, default=2, help="tessera-server --shards (default 2)")
    ap.add_argument("--against-redis", action="store_true",
                    help="compare redis-server with a second redis-server (validates this script)")
    ap.add_argument("--ports", default=None,
                    help="A,B: use servers already running on 127.0.0.1 (A = reference, "
                         "B = under test) instead of starting them")
    ap.add_argument("--flush", action="store_true",
                    help="FLUSHALL both servers first (only useful with --ports)")
    ap.add_argument("--batch", type=int, default=100, help="commands per pipelined batch")
    ap.add_argument("--timeout", type=float, default=30.0,
                    help="seconds to wait for one batch's replies (default 30)")
    args = ap.parse_args(argv)

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1, 2 ** 31)
    if args.count < 1 or args.batch < 1 or args.shards < 1:
        ap.error("--count, --batch and --shards must be positive")
    procs = []
    try:
        if args.ports:
            try:
                ports = [int(p) for p in args.ports.split(",")]
                assert len(ports) == 2
            except (ValueError, AssertionError):
                ap.error("--ports wants two ports, e.g. 6379,7000")
            names = ["A (reference)", "B (under test)"]
        else:
            if not shutil.which("redis-server"):
                print("differential: redis-server not found (apt-get install redis-server)")
                return 2
            pa = free_port()
            pb = free_port({pa})
            procs.append(Proc("redis-server", redis_argv(pa), pa))
            if args.against_redis:
                procs.append(Proc("redis-server #2", redis_argv(pb), pb))
                names = ["redis-server", "redis-server #2"]
            else:
                binary = os.environ.get("TESSERA_BIN",
                                        os.path.join(REPO_ROOT, "build", "tessera-server"))
                if not os.access(binary, os.X_OK):
                    print("differential: %s is not an executable (build it, or set TESSERA_BIN)"
                          % binary)
                    return 2
                procs.append(Proc("tessera-server", [binary, "--port", str(pb), "--bind",
                                                     "127.0.0.1", "--shards", str(args.shards)],
                                  pb))
                names = ["redis-server", "tessera-server (%d shards)" % args.shards]
            for p in procs:
                p.wait_ready()
            ports = [pa, pb]
        print("differential: seed %d, %d commands, %s on port %d vs %s on port %d" %
              (seed, args.count, names[0], ports[0], names[1], ports[1]))
        sys.stdout.flush()
        ok = run(ports, names, seed, args.count, args.batch, args.flush, args.timeout)
        for p in procs:
            if p.proc.poll() is not None:
                print("differential: %s exited with status %s; its output:\n%s" %
                      (p.name, p.proc.returncode, p.output()))
                ok = False
        if not ok:
            for p in procs[1:]:
                out = p.output().strip()
                if out:
                    print("--- %s output (last lines) ---\n%s" % (p.name, out[-2000:]))
        return 0 if ok else 1
    except (RuntimeError, OSError) as e:
        print("differential: %s (seed %d)" % (e, seed))
        return 2
    finally:
        for p in procs:
            p.stop()


if __name__ == "__main__":
    sys.exit(main())
