#!/usr/bin/python3
"""Keyspace scenarios: Debian's redis-server vs tessera-server, one table each.

Subcommands (each runs both servers in one run, one server at a time, and
prints one table with both servers' figures and the ratio tessera/redis):

  growth         worst single-command latency (GET probe, back to back, on its
                 own connection) while a pipelined loader grows one shard from
                 0 to --keys keys (default 10,000,000)
  bytes-per-key  used_memory and RSS growth per key for 1,000,000 keys
                 (16-byte keys, 32-byte values, half with EX 3600)
  keys-vs-get    GET latency on one connection while another runs KEYS * in a
                 loop over 1,000,000 keys, and how long each KEYS takes
  expiry         redis-benchmark writes SET k PX 1000 at full speed for ~10 s;
                 every ~200 ms: DBSIZE against the keys written in the last
                 second (stale = expired but still present), then the time until
                 used_memory is back at its baseline
  all            all four, in that order

Servers: `taskset -c 0 redis-server --save "" --appendonly no` and
`taskset -c 0 tessera-server --shards 1 --cores 0`, one at a time (the first is
stopped before the second starts), a fresh server for every scenario. Clients
(this script, its probe process, redis-benchmark) run on core 1. The probe
process runs SCHED_FIFO (priority 1) when allowed, so that the loader sharing
core 1 does not show up as server latency. See perf/README.md.

Usage:
  perf/keyspace_bench.py {growth,bytes-per-key,keys-vs-get,expiry,all}
                         [--quick] [--keys N] [--json PATH]
The tessera binary is $TESSERA_BIN, else build/tessera-server (or --tessera-bin).
"""
import argparse
import atexit
import json
import multiprocessing
import os
import platform
import random
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from array import array

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_vs_redis import (REPO_ROOT, Server, _on_signal, log, redis_argv, tessera_argv,  # noqa: E402
                            stop_all)

MB = 1024 * 1024


# ---------------------------------------------------------------- RESP client

def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


class Conn:
    """Minimal blocking RESP2 client (enough for DBSIZE, INFO, SET, GET)."""

    def __init__(self, port, timeout=30.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                line, self.buf = self.buf[:i], self.buf[i + 2:]
                return line
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(max(1 << 16, n + 2 - len(self.buf)))
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        t, rest = line[:1], line[1:]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            raise RuntimeError("server error: " + rest.decode(errors="replace"))
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if t == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise RuntimeError("bad RESP line %r" % line[:80])

    def cmd(self, *args):
        self.sock.sendall(encode(*args))
        return self.reply()

    def pipeline(self, *cmds):
        self.sock.sendall(b"".join(encode(*c) for c in cmds))
        return [self.reply() for _ in cmds]


def parse_info(raw):
    d = {}
    for line in raw.decode(errors="replace").splitlines():
        if ":" in line and not line.startswith("#"):
            k, v = line.split(":", 1)
            d[k] = v
    return d


def info(port, section=None):
    c = Conn(port)
    try:
        return parse_info(c.cmd("INFO", section) if section else c.cmd("INFO"))
    finally:
        c.close()


def dbsize(port):
    c = Conn(port)
    try:
        return c.cmd("DBSIZE")
    finally:
        c.close()


def vmrss(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


# ---------------------------------------------------------------- loader

def load(port, n, keyfmt, value, first=0, ttl_every=0, ttl_args=(), batch=1000,
         timeout=600.0, progress=None):
    """SET keyfmt % i for i in [first, first+n) over one pipelined connection,
    two batches in flight. ttl_every=k: every k-th key also gets ttl_args.
    progress: list that receives (monotonic_ns, keys acknowledged)."""
    c = Conn(port, timeout=max(30.0, timeout))
    deadline = time.monotonic() + timeout
    ok = b"+OK\r\n"
    head = b"*3\r\n$3\r\nSET\r\n"
    headx = b"*%d\r\n$3\r\nSET\r\n" % (3 + len(ttl_args))
    vbulk = b"$%d\r\n%s\r\n" % (len(value), value)
    tail = b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in ttl_args)
    klen = len(keyfmt % first)
    kpre = b"$%d\r\n" % klen

    def build(lo, hi):
        parts = []
        for i in range(lo, hi):
            k = keyfmt % i
            if ttl_every and i % ttl_every == 0:
                parts.append(headx + kpre + k + b"\r\n" + vbulk + tail)
            else:
                parts.append(head + kpre + k + b"\r\n" + vbulk)
        return b"".join(parts)

    def ack(cnt):
        need = len(ok) * cnt
        got = bytearray()
        while len(got) < need:
            chunk = c.sock.recv(need - len(got))
            if not chunk:
                raise ConnectionError("server closed the loader connection")
            got += chunk
        if got != ok * cnt:
            raise RuntimeError("loader got an unexpected reply: %r" % bytes(got[:200]))

    end = first + n
    inflight = []
    i = first
    done = 0
    while i < end or inflight:
        if time.monotonic() > deadline:
            raise RuntimeError("loader timed out after %.0f s at %d keys" % (timeout, done))
        if i < end:
            hi = min(i + batch, end)
            c.sock.sendall(build(i, hi))
            inflight.append(hi - i)
            i = hi
        if len(inflight) >= 2 or (i >= end and inflight):
            cnt = inflight.pop(0)
            ack(cnt)
            done += cnt
            if progress is not None:
                progress.append((time.monotonic_ns(), done))
    c.close()
    return done


# ---------------------------------------------------------------- probe

def _probe_main(port, payload, reply_len, core, fifo, max_s, max_samples, ready, stop, out):
    try:
        os.sched_setaffinity(0, {core})
    except OSError:
        pass
    policy = "SCHED_OTHER"
    if fifo:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
            policy = "SCHED_FIFO"
        except (OSError, AttributeError):
            pass
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    starts = array("q")
    rtts = array("q")
    now = time.monotonic_ns
    deadline = now() + int(max_s * 1e9)
    send, recv = s.send, s.recv
    ready.set()
    n = 0
    err = None
    try:
        while n < max_samples and not stop.is_set():
            t0 = now()
            if t0 > deadline:
                break
            send(payload)
            got = recv(reply_len)
            while len(got) < reply_len:
                more = recv(reply_len - len(got))
                if not more:
                    raise ConnectionError("server closed the probe connection")
                got += more
            t1 = now()
            starts.append(t0)
            rtts.append(t1 - t0)
            n += 1
    except Exception as e:  # reported to the parent
        err = repr(e)
    s.close()
    out.send((policy, err, starts.tobytes(), rtts.tobytes()))
    out.close()


class Probe:
    """A process on the client core sending one command back to back."""

    def __init__(self, args, port, command, reply_len, max_s):
        ctx = multiprocessing.get_context("fork")
        self.ready, self.stop_ev = ctx.Event(), ctx.Event()
        self.rx, tx = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_probe_main, daemon=True,
                                args=(port, encode(*command), reply_len, args.client_core,
                                      not args.no_fifo, max_s, args.max_probes,
                                      self.ready, self.stop_ev, tx))
        self.proc.start()
        tx.close()
        if not self.ready.wait(30):
            raise RuntimeError("probe did not start")

    def finish(self, timeout=60):
        self.stop_ev.set()
        if not self.rx.poll(timeout):
            self.proc.kill()
            raise RuntimeError("probe did not report")
        policy, err, starts, rtts = self.rx.recv()
        self.proc.join(10)
        if err:
            raise RuntimeError("probe failed: " + err)
        a, b = array("q"), array("q")
        a.frombytes(starts)
        b.frombytes(rtts)
        return policy, a, b


def pct(sorted_vals, p):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(round(p / 100.0 * (len(sorted_vals) - 1))))]


def lat_summary(starts, rtts):
    s = sorted(rtts)
    imax = max(range(len(rtts)), key=rtts.__getitem__) if rtts else -1
    ms = lambda ns: ns / 1e6  # noqa: E731
    return {"probes": len(s), "p50_ms": ms(pct(s, 50)), "p99_ms": ms(pct(s, 99)),
            "p999_ms": ms(pct(s, 99.9)), "max_ms": ms(s[-1]) if s else float("nan"),
            "max_at_ns": starts[imax] if imax >= 0 else 0,
            "over_1ms": sum(1 for x in s if x > 1_000_000),
            "over_10ms": sum(1 for x in s if x > 10_000_000)}


# ---------------------------------------------------------------- servers

def make_servers(args):
    sc = str(args.server_core)
    return [("redis", lambda port: redis_argv(args, port)),
            ("tessera", lambda port: tessera_argv(args, port, 1, sc))]


def each_server(args, fn, reverse=False):
    """Run fn(server) on a fresh redis, then a fresh tessera (or the other way
    round); one at a time, the first stopped before the second starts."""
    res = {}
    order = make_servers(args)
    for name, argv in (order[::-1] if reverse else order):
        srv = Server(name, argv).start()
        log("%s: pid %d port %d: %s" % (name, srv.pid, srv.port, shlex.join(srv.argv)))
        try:
            time.sleep(0.3)
            res[name] = fn(srv)
            srv.check_alive()
        finally:
            srv.stop()
            try:
                _servers_remove(srv)
            except ValueError:
                pass
        time.sleep(0.5)
    return res


def _servers_remove(srv):
    import bench_vs_redis
    bench_vs_redis._servers.remove(srv)


def ratio(t, r):
    try:
        return t / r if r else float("nan")
    except TypeError:
        return float("nan")


def table(headers, rows):
    cells = [headers] + [[str(x) for x in r] for r in rows]
    w = [max(len(c[i]) for c in cells) for i in range(len(headers))]
    out = []
    for i, c in enumerate(cells):
        out.append("  ".join(x.rjust(w[j]) if j else x.ljust(w[j]) for j, x in enumerate(c)))
        if i == 0:
            out.append("  ".join("-" * x for x in w))
    return "\n".join(out)


def md_table(headers, rows):
    out = ["| " + " | ".join(headers) + " |",
           "|" + "|".join(["---"] + ["--:"] * (len(headers) - 1)) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(x).replace("|", "\\|") for x in r) + " |")
    return "\n".join(out)


def f2(x):
    return "%.2f" % x if x == x else "n/a"


def f3(x):
    return "%.3f" % x if x == x else "n/a"


# ---------------------------------------------------------------- scenarios

def server_side_stall_reset(c, name):
    """Start measuring the longest time the server itself was busy without
    answering (see server_side_stall_ms)."""
    if name == "redis":
        c.cmd("CONFIG", "SET", "latency-monitor-threshold", "1")
        c.cmd("LATENCY", "RESET")
    else:
        c.cmd("CONFIG", "RESETSTAT")


def server_side_stall_ms(c, name):
    """redis: the longest event LATENCY LATEST recorded (ms); tessera: the
    busiest loop iteration of any shard (INFO shards, µs)."""
    if name == "redis":
        events = c.cmd("LATENCY", "LATEST")
        return float(max((e[3] for e in events), default=0))  # [name, at, latest, max]
    fields = parse_info(c.cmd("INFO", "shards"))
    return max(int(v.split("longest_iteration_us=")[1].split(",")[0]) / 1000.0
               for k, v in fields.items() if k.startswith("shard") and k != "shards")


def sc_growth(args):
    n = args.keys or (1_000_000 if args.quick else 10_000_000)
    keyfmt, value = b"key:%012d", b"v" * 16  # 16-byte keys and values

    def run(srv):
        c = Conn(srv.port)
        c.cmd("SET", "probe", "v")
        server_side_stall_reset(c, srv.name)
        c.close()
        mem0 = int(info(srv.port, "memory")["used_memory"])
        progress = []
        probe = Probe(args, srv.port, ("GET", "probe"), len(b"$1\r\nv\r\n"),
                      max_s=args.growth_timeout + 30)
        t0 = time.monotonic_ns()
        try:
            loaded = load(srv.port, n, keyfmt, value, batch=args.batch,
                          timeout=args.growth_timeout, progress=progress)
        finally:
            t1 = time.monotonic_ns()
            policy, starts, rtts = probe.finish()
        srv.check_alive()
        # only the probes that ran while the loader did
        keep = [i for i in range(len(starts)) if t0 <= starts[i] <= t1]
        st = array("q", (starts[i] for i in keep))
        rt = array("q", (rtts[i] for i in keep))
        s = lat_summary(st, rt)
        # how many keys the loader had acknowledged when the worst probe began
        at = s["max_at_ns"]
        keys_at = 0
        for tn, k in progress:
            if tn <= at:
                keys_at = k
            else:
                break
        top = sorted(range(len(rt)), key=rt.__getitem__, reverse=True)[:5]
        worst = []
        for i in sorted(top):
            ka = 0
            for tn, k in progress:
                if tn <= st[i]:
                    ka = k
                else:
                    break
            worst.append({"t_s": (st[i] - t0) / 1e9, "ms": rt[i] / 1e6, "keys": ka})
        im = info(srv.port, "memory")
        c = Conn(srv.port)
        stall_ms = server_side_stall_ms(c, srv.name)
        c.close()
        r = dict(s, keys_sent=loaded, server_stall_ms=stall_ms, dbsize=dbsize(srv.port), load_s=(t1 - t0) / 1e9,
                 max_at_s=(at - t0) / 1e9, max_at_keys=keys_at, probe_policy=policy,
                 worst5=worst, used_memory_mb=(int(im["used_memory"]) - mem0) / MB,
                 rss_mb=vmrss(srv.pid) / MB)
        log("  %s: %d keys in %.1f s, %d probes, max %.2f ms at %.1f s (~%d keys), "
            "p99.9 %.3f ms, p99 %.3f ms (probe %s), server side %.2f ms; worst: %s"
            % (srv.name, r["dbsize"], r["load_s"], r["probes"], r["max_ms"], r["max_at_s"],
               keys_at, r["p999_ms"], r["p99_ms"], policy, stall_ms,
               ", ".join("%.2f ms @%.1fs/%dk" % (w["ms"], w["t_s"], w["keys"] // 1000)
                         for w in worst)))
        return r

    runs = []
    for rep in range(args.repeat):
        log("growth run %d/%d" % (rep + 1, args.repeat))
        runs.append(each_server(args, run, reverse=bool(rep % 2)))
    med = lambda srv, k: statistics.median(x[srv][k] for x in runs)  # noqa: E731
    pair = lambda k: statistics.median(ratio(x["tessera"][k], x["redis"][k]) for x in runs)  # noqa: E731
    R = {k: med("redis", k) for k in GROWTH_NUM}
    T = {k: med("tessera", k) for k in GROWTH_NUM}
    rep = " (median of %d)" % len(runs) if len(runs) > 1 else ""
    headers = ["growth 0->%d keys%s" % (n, rep), "redis", "tessera", "ratio t/r"]
    rows = [["final DBSIZE", "%d" % R["dbsize"], "%d" % T["dbsize"], ""],
            ["load time s (rate k/s)", "%.1f (%.0f)" % (R["load_s"], n / R["load_s"] / 1e3),
             "%.1f (%.0f)" % (T["load_s"], n / T["load_s"] / 1e3), f2(pair("load_s"))],
            ["GET probes", "%d" % R["probes"], "%d" % T["probes"], f2(pair("probes"))]]
    rows.append(["server side: longest stall ms (*)", f3(R["server_stall_ms"]),
                 f3(T["server_stall_ms"]), f2(pair("server_stall_ms"))])
    for k, lab in (("max_ms", "probe max ms"), ("p999_ms", "probe p99.9 ms"),
                   ("p99_ms", "probe p99 ms"), ("p50_ms", "probe p50 ms")):
        rows.append([lab, f3(R[k]), f3(T[k]), f2(pair(k))])
    if len(runs) > 1:
        rows.append(["probe max ms, each run",
                     " ".join("%.1f" % x["redis"]["max_ms"] for x in runs),
                     " ".join("%.1f" % x["tessera"]["max_ms"] for x in runs), ""])
    rows.append(["probes > 1 ms / > 10 ms", "%d / %d" % (R["over_1ms"], R["over_10ms"]),
                 "%d / %d" % (T["over_1ms"], T["over_10ms"]), ""])
    for i, x in enumerate(runs):
        rows.append(["top-5 probes ms@keys, run %d" % (i + 1),
                     " ".join("%.1f@%.2fM" % (w["ms"], w["keys"] / 1e6)
                              for w in sorted(x["redis"]["worst5"], key=lambda w: -w["ms"])),
                     " ".join("%.1f@%.2fM" % (w["ms"], w["keys"] / 1e6)
                              for w in sorted(x["tessera"]["worst5"], key=lambda w: -w["ms"])),
                     ""])
    rows.append(["used_memory growth MB", "%.0f" % R["used_memory_mb"],
                 "%.0f" % T["used_memory_mb"], f2(pair("used_memory_mb"))])
    rows.append(["RSS after MB", "%.0f" % R["rss_mb"], "%.0f" % T["rss_mb"], f2(pair("rss_mb"))])
    note = ("loader: pipelined SET key:%%012d <16 B> in batches of %d, two batches in "
            "flight; probe: GET probe back to back on its own connection (%s); keys@ = keys "
            "acknowledged when that probe was sent; ratio < 1: tessera lower (median of "
            "per-run ratios). (*) redis: the longest event in LATENCY LATEST "
            "(latency-monitor-threshold 1: a command's execution, 1 ms resolution); "
            "tessera: INFO shards longest_iteration_us (a whole loop iteration's busy "
            "time, a batch of commands included), both reset before the load. The probe "
            "shares the client core with the loader, so its max also holds client-side "
            "scheduling delays." % (args.batch, runs[0]["tessera"]["probe_policy"]))
    return {"name": "growth", "n": n, "headers": headers, "rows": rows, "note": note,
            "raw": runs}


GROWTH_NUM = ("dbsize", "load_s", "probes", "server_stall_ms", "max_ms", "p999_ms", "p99_ms", "p50_ms",
              "over_1ms", "over_10ms", "used_memory_mb", "rss_mb")


def sc_bytes_per_key(args):
    n = args.keys or (200_000 if args.quick else 1_000_000)
    keyfmt, value = b"bk:%013d", b"x" * 32  # 16-byte keys, 32-byte values
    kv = 16 + 32

    def run(srv):
        i0 = info(srv.port, "memory")
        rss0 = vmrss(srv.pid)
        load(srv.port, n, keyfmt, value, ttl_every=2, ttl_args=(b"EX", b"3600"),
             batch=args.batch, timeout=600)
        time.sleep(1.0)  # let a background rehash step or two settle
        i1 = info(srv.port, "memory")
        rss1 = vmrss(srv.pid)
        d = dbsize(srv.port)
        if d != n:
            raise RuntimeError("%s: DBSIZE %d, expected %d" % (srv.name, d, n))
        um = (int(i1["used_memory"]) - int(i0["used_memory"])) / n
        ds = (int(i1.get("used_memory_dataset", 0)) - int(i0.get("used_memory_dataset", 0))) / n
        rss = (rss1 - rss0) / n
        rssi = (int(i1["used_memory_rss"]) - int(i0["used_memory_rss"])) / n
        r = {"dbsize": d, "used_per_key": um, "dataset_per_key": ds, "rss_per_key": rss,
             "rss_info_per_key": rssi, "used_before": int(i0["used_memory"]),
             "used_after": int(i1["used_memory"]), "rss_before": rss0, "rss_after": rss1}
        log("  %s: %s" % (srv.name, json.dumps(r)))
        return r

    res = each_server(args, run)
    R, T = res["redis"], res["tessera"]
    headers = ["bytes/key (%d keys, 16 B key, 32 B value, half EX)" % n, "redis", "tessera",
               "ratio t/r"]
    rows = [["DBSIZE", R["dbsize"], T["dbsize"], ""]]
    for k, lab in (("used_per_key", "used_memory delta / N"),
                   ("rss_per_key", "RSS delta / N (VmRSS)"),
                   ("rss_info_per_key", "used_memory_rss delta / N"),
                   ("dataset_per_key", "used_memory_dataset delta / N")):
        rows.append([lab, "%.1f" % R[k], "%.1f" % T[k], f2(ratio(T[k], R[k]))])
    rows.append(["overhead beyond key+value (used/N - 48)", "%.1f" % (R["used_per_key"] - kv),
                 "%.1f" % (T["used_per_key"] - kv), ""])
    met = T["used_per_key"] <= kv + 32
    rows.append(["target <= 80 B/key (used_memory)", "", "met" if met else "MISSED", ""])
    return {"name": "bytes-per-key", "n": n, "headers": headers, "rows": rows,
            "note": "ratio < 1: tessera smaller", "raw": res, "target_met": met}


def sc_keys_vs_get(args):
    n = args.keys or (200_000 if args.quick else 1_000_000)
    keyfmt, value = b"key:%010d", b"v" * 16  # every key 14 bytes
    getkey = keyfmt % 42

    def keys_reply_len(cnt):
        return len(b"*%d\r\n" % cnt) + cnt * (len(b"$14\r\n") + 14 + 2)

    def run(srv):
        load(srv.port, n, keyfmt, value, batch=args.batch, timeout=600)
        d = dbsize(srv.port)
        want = keys_reply_len(d)
        buf = bytearray(want + 65536)
        mv = memoryview(buf)
        kc = Conn(srv.port, timeout=120)
        # a short baseline of GET latency without KEYS running
        bp = Probe(args, srv.port, ("GET", getkey), len(b"$16\r\n") + 16 + 2, max_s=1.0)
        time.sleep(1.0)
        _, bst, brt = bp.finish()
        base = lat_summary(bst, brt)
        probe = Probe(args, srv.port, ("GET", getkey), len(b"$16\r\n") + 16 + 2,
                      max_s=args.keys_seconds + 60)
        times, windows = [], []
        t0 = time.monotonic()
        t0n = time.monotonic_ns()
        try:
            while len(times) < args.keys_iterations and time.monotonic() - t0 < args.keys_seconds:
                k0 = time.monotonic_ns()
                kc.sock.sendall(encode("KEYS", "*"))
                got = 0
                while got < want:
                    r = kc.sock.recv_into(mv[got:], want - got)
                    if not r:
                        raise ConnectionError("server closed the KEYS connection")
                    got += r
                windows.append((k0, time.monotonic_ns()))
                times.append((windows[-1][1] - k0) / 1e6)
                if not buf.startswith(b"*%d\r\n" % d):
                    raise RuntimeError("unexpected KEYS reply head %r" % bytes(buf[:40]))
        finally:
            policy, st, rt = probe.finish()
            kc.close()
        t1n = time.monotonic_ns()
        s = lat_summary(st, rt)
        # probes sent while a KEYS was in flight (sent, reply not fully read)
        inw = [i for i in range(len(st)) if any(a <= st[i] < b for a, b in windows)]
        s_in = lat_summary(array("q", (st[i] for i in inw)), array("q", (rt[i] for i in inw)))
        stalled = sum(x for x in rt if x > 2_000_000) / 1e9
        r = dict(s, dbsize=d, keys_runs=len(times), keys_ms=times, in_keys=s_in,
                 over_2ms=sum(1 for x in rt if x > 2_000_000),
                 stalled_s=stalled, loop_s=(t1n - t0n) / 1e9,
                 keys_med_ms=statistics.median(times), keys_max_ms=max(times),
                 keys_min_ms=min(times), base=base, probe_policy=policy)
        log("  %s: %d KEYS (median %.1f ms, max %.1f ms), GET p50 %.3f p99 %.3f max %.2f ms "
            "over %d probes; idle baseline p99 %.3f max %.3f ms"
            % (srv.name, len(times), r["keys_med_ms"], r["keys_max_ms"], s["p50_ms"],
               s["p99_ms"], s["max_ms"], s["probes"], base["p99_ms"], base["max_ms"]))
        return r

    res = each_server(args, run)
    R, T = res["redis"], res["tessera"]
    headers = ["KEYS * loop vs GET (%d keys)" % n, "redis", "tessera", "ratio t/r"]
    rows = [["DBSIZE", R["dbsize"], T["dbsize"], ""],
            ["KEYS runs", R["keys_runs"], T["keys_runs"], ""],
            ["KEYS ms median (min-max)",
             "%.1f (%.1f-%.1f)" % (R["keys_med_ms"], R["keys_min_ms"], R["keys_max_ms"]),
             "%.1f (%.1f-%.1f)" % (T["keys_med_ms"], T["keys_min_ms"], T["keys_max_ms"]),
             f2(ratio(T["keys_med_ms"], R["keys_med_ms"]))],
            ["GET probes during KEYS", R["probes"], T["probes"], f2(ratio(T["probes"], R["probes"]))]]
    for k, lab in (("p50_ms", "GET p50 ms"), ("p99_ms", "GET p99 ms"), ("p999_ms", "GET p99.9 ms"),
                   ("max_ms", "GET max ms")):
        rows.append([lab, f3(R[k]), f3(T[k]), f2(ratio(T[k], R[k]))])
    rows.append(["GET probes > 2 ms", R["over_2ms"], T["over_2ms"], ""])
    rows.append(["GET stalled (sum of RTTs > 2 ms) / loop time",
                 "%.1f / %.1f s" % (R["stalled_s"], R["loop_s"]),
                 "%.1f / %.1f s" % (T["stalled_s"], T["loop_s"]), ""])
    rows.append(["probes sent while a KEYS was in flight: n, p50/p99 ms",
                 "%d, %s/%s" % (R["in_keys"]["probes"], f3(R["in_keys"]["p50_ms"]),
                                f3(R["in_keys"]["p99_ms"])),
                 "%d, %s/%s" % (T["in_keys"]["probes"], f3(T["in_keys"]["p50_ms"]),
                                f3(T["in_keys"]["p99_ms"])), ""])
    rows.append(["GET p99 / max ms, no KEYS (1 s)",
                 "%s / %s" % (f3(R["base"]["p99_ms"]), f3(R["base"]["max_ms"])),
                 "%s / %s" % (f3(T["base"]["p99_ms"]), f3(T["base"]["max_ms"])), ""])
    met = T["p99_ms"] < 2.0
    rows.append(["target: tessera GET p99 < 2 ms", "", "met" if met else "MISSED", ""])
    return {"name": "keys-vs-get", "n": n, "headers": headers, "rows": rows,
            "note": "KEYS time = send to last byte of the reply, read by this script; "
                    "ratio < 1: tessera lower (probe %s)" % T["probe_policy"],
            "raw": res, "target_met": met}


RANDOM_TTL_BATCHES = 1024


def _random_ttl_writer_main(port, core, lo_ms, hi_ms, ready, stop):
    """SET k:<random> v PX <random in [lo_ms, hi_ms]> as fast as one
    connection goes: 1,024 prebuilt batches of 1,000 (1M keys, each written
    again every couple of seconds), two in flight."""
    try:
        os.sched_setaffinity(0, {core})
    except OSError:
        pass
    rng = random.Random(7)
    batches = [b"".join(encode("SET", "k:%d" % rng.randrange(2_000_000_000), "v", "PX",
                               str(rng.randint(lo_ms, hi_ms))) for _ in range(1000))
               for _ in range(RANDOM_TTL_BATCHES)]
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    ready.set()
    need = len(b"+OK\r\n") * 1000
    inflight, i = 0, 0
    while not stop.is_set():
        s.sendall(batches[i % RANDOM_TTL_BATCHES])
        i += 1
        inflight += 1
        if inflight == 2:
            got = 0
            while got < need:
                chunk = s.recv(need - got)
                if not chunk:
                    return
                got += len(chunk)
            inflight -= 1
    s.close()


class RandomTtlWriter:
    def __init__(self, port, core, lo_ms, hi_ms):
        ctx = multiprocessing.get_context("fork")
        self.stop, ready = ctx.Event(), ctx.Event()
        self.proc = ctx.Process(target=_random_ttl_writer_main, daemon=True,
                                args=(port, core, lo_ms, hi_ms, ready, self.stop))
        self.proc.start()
        if not ready.wait(120):
            self.finish()
            raise RuntimeError("the random-TTL writer did not start")

    def poll(self):
        return None if self.proc.is_alive() else self.proc.exitcode

    def finish(self):
        self.stop.set()
        self.proc.join(10)
        if self.proc.is_alive():
            self.proc.kill()


def expired_present(info_fields):
    """Tessera's exact count of keys past their TTL not deleted yet (INFO
    keyspace_hygiene, total line); None for redis-server, which has none."""
    total = info_fields.get("total")
    if total is None or "expired_present=" not in total:
        return None
    return int(total.split("expired_present=")[1].split(",")[0])


def sc_expiry(args):
    secs = args.expiry_seconds

    def sample(c):
        t = time.monotonic()
        d, raw = c.pipeline(("DBSIZE",), ("INFO",))
        i = parse_info(raw)
        return {"t": t, "dbsize": d, "srv_us": int(i["server_time_usec"]),
                "cmds": int(i["total_commands_processed"]), "used": int(i["used_memory"]),
                "stale_perc": float(i.get("expired_stale_perc", "nan")),
                "cycle_ms": int(i.get("expire_cycle_cpu_milliseconds", 0)),
                "expired": int(i.get("expired_keys", 0)),
                "present": expired_present(i)}

    def run(srv):
        c = Conn(srv.port)
        time.sleep(0.5)
        base = sample(c)
        samples = [base]
        if args.ttl_random:
            bench = RandomTtlWriter(srv.port, args.client_core, *args.ttl_random)
        else:
            cmd = ["taskset", "-c", str(args.client_core), args.redis_benchmark, "-h",
                   "127.0.0.1", "-p", str(srv.port), "-c", "50", "-P", "32", "-r",
                   "2000000000", "-n", "2000000000", "SET", "k:__rand_int__", "v", "PX", "1000"]
            bench = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        t0 = time.monotonic()
        try:
            while time.monotonic() - t0 < secs:
                time.sleep(args.counter_ms / 1000.0)
                if bench.poll() is not None:
                    raise RuntimeError("the writer exited early")
                samples.append(sample(c))
        finally:
            if args.ttl_random:
                bench.finish()
            else:
                if bench.poll() is None:
                    os.killpg(bench.pid, signal.SIGKILL)
                bench.wait(10)
        t_stop = time.monotonic()
        stop_sample = sample(c)
        # writes per sample window from the server's command counter (minus the 2
        # commands of each sample), interpolated at server time (t - 1 s)
        stale = []
        every = max(1, int(round(args.sample_ms / args.counter_ms)))
        # redis-benchmark takes a few ms to connect its clients: until its
        # writes show in the counter, how many fell before a given moment is
        # not known (interpolating across its start counts writes too early),
        # so windows that start before the first sample with writes in it are
        # not evaluated.
        first = next((x for x in samples[1:] if x["cmds"] - base["cmds"] > 1000), None)
        # With random TTLs, the keys written in the last second are not the
        # live ones: only the server's own count means anything.
        for j in range(every, len(samples), every if not args.ttl_random else len(samples)):
            s = samples[j]
            tgt = s["srv_us"] - 1_000_000
            if first is None or tgt < first["srv_us"]:
                continue
            cm = None
            for a, b in zip(samples, samples[1:]):
                if a["srv_us"] <= tgt <= b["srv_us"]:
                    f = (tgt - a["srv_us"]) / max(1, b["srv_us"] - a["srv_us"])
                    cm = a["cmds"] + f * (b["cmds"] - a["cmds"])
                    break
            if cm is None:
                continue
            nsamp = sum(1 for x in samples[:j] if x["srv_us"] >= tgt)
            written = s["cmds"] - cm - 2 * nsamp
            st = s["dbsize"] - written
            stale.append({"t": s["t"] - t0, "dbsize": s["dbsize"], "written_1s": written,
                          "stale": st, "stale_pct": 100.0 * max(0.0, st) / s["dbsize"]
                          if s["dbsize"] else 0.0})
        pcts = [x["stale_pct"] for x in stale]
        # The server's own exact count, where it has one: every sample after
        # the writer's first writes, not only every sample_ms.
        exact = [100.0 * x["present"] / x["dbsize"] for x in samples
                 if x["present"] is not None and x["dbsize"] and first and x["t"] >= first["t"]]
        rate = (samples[-1]["cmds"] - base["cmds"]) / max(1e-6, (samples[-1]["srv_us"] - base["srv_us"]) / 1e6)
        # memory back to baseline
        tol = max(0.10 * base["used"], MB)
        back_s = None
        mem_trace = []
        while time.monotonic() - t_stop < args.drain_timeout:
            i = parse_info(c.cmd("INFO", "memory"))
            u = int(i["used_memory"])
            mem_trace.append((time.monotonic() - t_stop, u))
            if u <= base["used"] + tol:
                back_s = time.monotonic() - t_stop
                break
            time.sleep(0.05)
        end = sample(c)
        c.close()
        r = {"samples": len(stale), "write_rate": rate,
             "series": [(round(x["t"], 2), round(x["stale_pct"], 3)) for x in stale],
             "peak_dbsize": max(x["dbsize"] for x in samples),
             "stale_worst_pct": max(pcts) if pcts else float("nan"),
             "stale_median_pct": statistics.median(pcts) if pcts else float("nan"),
             "stale_min_raw": min(x["stale"] for x in stale) if stale else 0,
             "stale_min_raw_pct": min(100.0 * x["stale"] / x["dbsize"] for x in stale
                                      if x["dbsize"]) if stale else 0.0,
             "stale_perc_info_max": max(x["stale_perc"] for x in samples + [stop_sample]),
             "stale_perc_info_end": end["stale_perc"],
             "exact_samples": len(exact),
             "exact_worst_pct": max(exact) if exact else None,
             "exact_median_pct": statistics.median(exact) if exact else None,
             "exact_series": [(round(x["t"] - t0, 3), x["present"], x["dbsize"]) for x in samples
                              if x["present"] is not None],
             "cycle_ms": stop_sample["cycle_ms"] - base["cycle_ms"],
             "expired_keys": end["expired"] - base["expired"],
             "baseline_used": base["used"], "peak_used": max(x["used"] for x in samples),
             "back_s": back_s, "tolerance": tol, "mem_trace": mem_trace[-5:],
             "stale_trace": stale}
        log("  %s: %.0f writes/s, peak DBSIZE %d, stale worst %.2f%% median %.2f%% "
            "(min raw stale %d), exact worst %s, expired_stale_perc max %.2f, cycle %d ms, "
            "memory back in %s"
            % (srv.name, rate, r["peak_dbsize"], r["stale_worst_pct"], r["stale_median_pct"],
               r["stale_min_raw"], "n/a" if not exact else "%.2f%%" % max(exact),
               r["stale_perc_info_max"], r["cycle_ms"],
               "%.2f s" % back_s if back_s is not None else "> %d s" % args.drain_timeout))
        return r

    res = each_server(args, run)
    R, T = res["redis"], res["tessera"]
    px = "PX %d-%d random" % args.ttl_random if args.ttl_random else "PX 1000"
    headers = ["expiry (SET %s, %d s)" % (px, secs), "redis", "tessera", "ratio t/r"]
    bs = lambda r: ("%.2f" % r["back_s"]) if r["back_s"] is not None else ">%d" % args.drain_timeout  # noqa: E731
    rows = [["writes/s (server counter)", "{:,.0f}".format(R["write_rate"]),
             "{:,.0f}".format(T["write_rate"]), f2(ratio(T["write_rate"], R["write_rate"]))],
            ["peak DBSIZE", R["peak_dbsize"], T["peak_dbsize"], f2(ratio(T["peak_dbsize"], R["peak_dbsize"]))],
            ["samples", R["samples"], T["samples"], ""],
            ["stale % worst sample", f2(R["stale_worst_pct"]), f2(T["stale_worst_pct"]), ""],
            ["stale % median sample", f2(R["stale_median_pct"]), f2(T["stale_median_pct"]), ""],
            ["most negative raw stale (error bar), % of DBSIZE",
             f2(R["stale_min_raw_pct"]), f2(T["stale_min_raw_pct"]), ""],
            ["exact expired-but-present % worst sample (Tessera's INFO keyspace_hygiene)",
             "n/a", f2(T["exact_worst_pct"]) if T["exact_worst_pct"] is not None else "n/a", ""],
            ["exact expired-but-present % median sample", "n/a",
             f2(T["exact_median_pct"]) if T["exact_median_pct"] is not None else "n/a", ""],
            ["INFO expired_stale_perc (max seen)", f2(R["stale_perc_info_max"]),
             f2(T["stale_perc_info_max"]), ""],
            ["INFO expire_cycle_cpu_milliseconds", R["cycle_ms"], T["cycle_ms"],
             f2(ratio(T["cycle_ms"], R["cycle_ms"]))],
            ["expired_keys", R["expired_keys"], T["expired_keys"], ""],
            ["expire cycle CPU us per expired key",
             f3(R["cycle_ms"] * 1e3 / max(1, R["expired_keys"])),
             f3(T["cycle_ms"] * 1e3 / max(1, T["expired_keys"])),
             f2(ratio(T["cycle_ms"] / max(1, T["expired_keys"]),
                      R["cycle_ms"] / max(1, R["expired_keys"])))],
            ["peak used_memory MB", "%.1f" % (R["peak_used"] / MB), "%.1f" % (T["peak_used"] / MB),
             f2(ratio(T["peak_used"], R["peak_used"]))],
            ["s until used_memory <= baseline + max(10%, 1 MB)", bs(R), bs(T), ""]]
    # Judged on the exact count where the server gives one: the estimate
    # from the command counter has an error bar of about +-0.7% here.
    worst = T["exact_worst_pct"] if T["exact_worst_pct"] is not None else T["stale_worst_pct"]
    met = (worst < 1.0 and T["back_s"] is not None and T["back_s"] <= 2.0)
    rows.append(["target: tessera expired-but-present < 1% at every sample (exact count), "
                 "baseline <= 2 s", "", "met" if met else "MISSED", ""])
    if args.ttl_random:
        note = ("writer: one pipelined connection, SET k:<one of 1M> v PX <random in [%d, %d]>, "
                "batches of 1,000, two in flight; stale from the command counter is not "
                "evaluated (it assumes one 1 s TTL)" % args.ttl_random)
    else:
        note = ("stale = DBSIZE - writes in the last second (server total_commands_processed, "
                "interpolated at server_time_usec - 1 s between reads %d ms apart), as a %% of "
                "DBSIZE, evaluated every %d ms; writer: redis-benchmark -c 50 -P 32 "
                "-r 2000000000 SET k:__rand_int__ v PX 1000" % (args.counter_ms, args.sample_ms))
    return {"name": "expiry", "headers": headers, "rows": rows, "note": note, "raw": res,
            "target_met": met}


SCENARIOS = {"growth": sc_growth, "bytes-per-key": sc_bytes_per_key,
             "keys-vs-get": sc_keys_vs_get, "expiry": sc_expiry}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("scenario", choices=list(SCENARIOS) + ["all"])
    ap.add_argument("--quick", action="store_true",
                    help="smaller N: 1M keys for growth, 200k elsewhere, 5 s expiry")
    ap.add_argument("--keys", type=int, default=0,
                    help="key count (default: growth 10M, others 1M; --quick 1M/200k)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="growth: runs per server, alternating which goes first; medians "
                         "reported (default 1)")
    ap.add_argument("--batch", type=int, default=1000, help="loader pipeline batch (default 1000)")
    ap.add_argument("--growth-timeout", type=float, default=900.0,
                    help="seconds before the growth loader gives up (default 900)")
    ap.add_argument("--keys-iterations", type=int, default=20)
    ap.add_argument("--keys-seconds", type=float, default=30.0)
    ap.add_argument("--expiry-seconds", type=float, default=None,
                    help="seconds of writes in the expiry scenario (default 10, --quick 5)")
    ap.add_argument("--ttl-random", metavar="LO,HI",
                    type=lambda v: tuple(int(x) for x in v.split(",")),
                    help="expiry: write with a random PX in [LO, HI] ms from one pipelined "
                         "connection instead of redis-benchmark's fixed PX 1000 (keys with "
                         "random TTLs take the expiry queue's heap, not its runs)")
    ap.add_argument("--sample-ms", type=int, default=200,
                    help="expiry: stale is evaluated every this many ms (default 200)")
    ap.add_argument("--counter-ms", type=int, default=50,
                    help="expiry: DBSIZE+INFO are read every this many ms, so that the "
                         "command count 1 s back is interpolated over a short gap (default 50)")
    ap.add_argument("--drain-timeout", type=float, default=30.0,
                    help="seconds to wait for used_memory to return to baseline (default 30)")
    ap.add_argument("--max-probes", type=int, default=20_000_000)
    ap.add_argument("--no-fifo", action="store_true",
                    help="run the probe process SCHED_OTHER instead of SCHED_FIFO")
    ap.add_argument("--tessera-bin", default=os.environ.get(
        "TESSERA_BIN", os.path.join(REPO_ROOT, "build", "tessera-server")))
    ap.add_argument("--tessera-arg", action="append", default=[])
    ap.add_argument("--redis-bin", default="redis-server")
    ap.add_argument("--redis-arg", action="append", default=[])
    ap.add_argument("--redis-benchmark", default="redis-benchmark")
    ap.add_argument("--server-core", type=int, default=0)
    ap.add_argument("--client-core", type=int, default=1)
    ap.add_argument("--json", metavar="PATH", help="also write all figures as JSON")
    ap.add_argument("--markdown", metavar="PATH", help="also write the tables as Markdown")
    args = ap.parse_args()
    if args.expiry_seconds is None:
        args.expiry_seconds = 5.0 if args.quick else 10.0
    if args.quick:
        args.keys_seconds = min(args.keys_seconds, 15.0)
    return args


def main():
    args = parse_args()
    for tool in ("taskset", args.redis_benchmark, args.redis_bin):
        if not shutil.which(tool):
            sys.exit("keyspace_bench: %s not found" % tool)
    if not os.access(args.tessera_bin, os.X_OK):
        sys.exit("keyspace_bench: tessera binary %s not found (set TESSERA_BIN)" % args.tessera_bin)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    atexit.register(stop_all)
    os.sched_setaffinity(0, {args.client_core})
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    out = {"meta": {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "host": platform.node(),
                    "kernel": platform.release(), "argv": sys.argv, "tessera": args.tessera_bin},
           "scenarios": []}
    md = []
    try:
        for name in names:
            log("== %s" % name)
            t = time.monotonic()
            r = SCENARIOS[name](args)
            r["wall_s"] = time.monotonic() - t
            out["scenarios"].append(r)
            print()
            print(table(r["headers"], r["rows"]))
            print(r["note"])
            sys.stdout.flush()
            md.append("### %s\n\n%s\n\n%s\n" % (name, md_table(r["headers"], r["rows"]), r["note"]))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(out, f, indent=1, default=str)
            log("wrote %s" % args.json)
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write("\n".join(md))
            log("wrote %s" % args.markdown)
        return 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except (RuntimeError, ConnectionError, OSError) as e:
        log("keyspace_bench: error: %s" % e)
        return 1
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
