#!/usr/bin/python3
"""Side-by-side benchmark: Debian's redis-server vs tessera-server.

Both servers are pinned to the same core (--server-core, default 0) and are
driven, one at a time, by redis-benchmark pinned to another core
(--client-core, default 1). For every (test, pipeline) the two servers are
measured alternately, --repeat times, and the medians are reported:

  * ops/s, p50 and p99 latency, from `redis-benchmark --csv`;
  * server CPU time per request: utime+stime of the server process (read from
    /proc/<pid>/stat, which for the thread-group leader is the total over all
    its threads, live and exited) over the measured run, divided by the
    number of requests of that run, in microseconds.

See perf/README.md for how to read the table.

Usage:
  perf/bench_vs_redis.py [-n 200000] [--repeat 3] [--shards 1]
                         [--markdown PATH] [--json PATH]
The tessera binary is $TESSERA_BIN, else build/tessera-server (or --tessera-bin).
"""
import argparse
import atexit
import csv
import ctypes
import io
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
CLK_TCK = os.sysconf("SC_CLK_TCK")

_servers = []  # every Server started, for cleanup


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent():
    """preexec_fn: SIGKILL the child if this script dies without cleaning up."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def resp_command(port, *args, timeout=2.0):
    """Send one command, return the first reply line (decoded), or raise."""
    payload = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        payload += b"$%d\r\n%s\r\n" % (len(a), a)
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(payload)
        data = b""
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0].decode(errors="replace")


class Server:
    def __init__(self, name, argv_fn):
        self.name = name
        self.port = free_port()
        self.argv = argv_fn(self.port)
        self.proc = None
        self.errfile = None

    def start(self, timeout=15.0):
        self.errfile = tempfile.TemporaryFile()
        _servers.append(self)
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=self.errfile,
                                     start_new_session=True,
                                     preexec_fn=_die_with_parent)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited early (rc=%s): %s"
                                   % (self.name, self.proc.returncode, self.stderr_tail()))
            try:
                if resp_command(self.port, "PING", timeout=1.0) == "+PONG":
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError("%s did not answer PING within %.0f s: %s"
                           % (self.name, timeout, self.stderr_tail()))

    @property
    def pid(self):
        return self.proc.pid  # taskset execs the server: same pid

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self):
        if not self.alive():
            raise RuntimeError("%s died (rc=%s): %s"
                               % (self.name, self.proc.returncode, self.stderr_tail()))

    def stderr_tail(self, limit=2000):
        if not self.errfile:
            return ""
        try:
            self.errfile.seek(0)
            return self.errfile.read().decode(errors="replace")[-limit:]
        except (OSError, ValueError):
            return ""

    def thread_affinity(self):
        """{tid: (comm, Cpus_allowed_list)} for every thread of the server."""
        out = {}
        base = "/proc/%d/task" % self.pid
        try:
            tids = os.listdir(base)
        except OSError:
            return out
        for tid in sorted(tids, key=int):
            try:
                with open("%s/%s/comm" % (base, tid)) as f:
                    comm = f.read().strip()
                with open("%s/%s/status" % (base, tid)) as f:
                    allowed = next((l.split(":", 1)[1].strip() for l in f
                                    if l.startswith("Cpus_allowed_list:")), "?")
                out[int(tid)] = (comm, allowed)
            except OSError:
                pass
        return out

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        else:
            # the leader is gone; make sure nothing else of its group lingers
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self.errfile:
            self.errfile.close()
            self.errfile = None


def stop_all():
    while _servers:
        _servers.pop().stop()


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)


def cpu_seconds(pid, source):
    """Process-wide CPU seconds of pid (all threads, including exited ones)."""
    if source == "schedstat":
        # ns-precise on-CPU time, but only for threads alive now
        total = 0
        base = "/proc/%d/task" % pid
        for tid in os.listdir(base):
            try:
                with open("%s/%s/schedstat" % (base, tid)) as f:
                    total += int(f.read().split()[0])
            except (OSError, ValueError, IndexError):
                pass
        return total / 1e9
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # after the ')' field 0 is state (field 3 of proc(5)): utime=14, stime=15
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def redis_benchmark(args, port, extra, timeout):
    cmd = ["taskset", "-c", str(args.client_core), args.redis_benchmark,
           "-h", "127.0.0.1", "-p", str(port), "-c", str(args.clients)] + extra
    try:
        res = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError("redis-benchmark timed out after %ds: %s"
                           % (timeout, " ".join(cmd)))
    out = res.stdout.decode(errors="replace")
    err = res.stderr.decode(errors="replace")
    bad = [l for l in (out + "\n" + err).replace("\r", "\n").splitlines()
           if "error" in l.lower() or l.startswith("ERR") or " ERR " in l]
    if res.returncode != 0 or bad:
        raise RuntimeError("redis-benchmark failed (rc=%d): %s\n%s\n%s"
                           % (res.returncode, " ".join(cmd), "\n".join(bad[:10]),
                              err[-1000:]))
    return out


def parse_csv(out, test):
    rows = list(csv.reader(io.StringIO(out)))
    header = next((r for r in rows if r and r[0] == "test"), None)
    if header is None:
        raise RuntimeError("no CSV header in redis-benchmark output:\n" + out[-1000:])
    for r in rows:
        if r and r[0].upper() == test.upper():
            d = dict(zip(header, r))
            return {"rps": float(d["rps"]),
                    "p50_ms": float(d["p50_latency_ms"]),
                    "p99_ms": float(d["p99_latency_ms"])}
    raise RuntimeError("test %s missing from redis-benchmark output:\n%s"
                       % (test, out[-1000:]))


def measure(args, server, test, pipeline):
    server.check_alive()
    extra = ["-n", str(args.requests), "-r", str(args.keyspace), "-d", str(args.datasize),
             "-P", str(pipeline), "-t", test, "--csv"]
    k0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    c0 = cpu_seconds(server.pid, args.cpu_source)
    t0 = time.monotonic()
    out = redis_benchmark(args, server.port, extra, args.run_timeout)
    wall = time.monotonic() - t0
    c1 = cpu_seconds(server.pid, args.cpu_source)
    k1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    server.check_alive()
    r = parse_csv(out, test)
    r["cpu_us_per_req"] = (c1 - c0) * 1e6 / args.requests
    r["server_cpu_s"] = c1 - c0
    r["wall_s"] = wall
    # redis-benchmark's own CPU (it is the only child waited for in between):
    # near 100% of wall means the client core, not the server, is the limit
    client_cpu = (k1.ru_utime + k1.ru_stime) - (k0.ru_utime + k0.ru_stime)
    r["client_busy_pct"] = client_cpu * 100.0 / wall if wall else float("nan")
    r["server_busy_pct"] = (c1 - c0) * 100.0 / wall if wall else float("nan")
    return r


def prefill(args, server):
    n = args.keyspace * 3
    log("prefill %s: SET %d random keys of %d (-P 32)" % (server.name, n, args.keyspace))
    redis_benchmark(args, server.port,
                    ["-n", str(n), "-r", str(args.keyspace), "-d", str(args.datasize),
                     "-P", "32", "-t", "set", "--csv"], args.run_timeout)
    try:
        reply = resp_command(server.port, "DBSIZE", timeout=5)
        log("  %s DBSIZE -> %s" % (server.name, reply))
    except OSError as e:
        log("  %s DBSIZE failed: %s" % (server.name, e))


def med(vals):
    return statistics.median(vals) if vals else float("nan")


def spread(vals):
    """(max-min)/median, in percent."""
    if len(vals) < 2:
        return 0.0
    m = statistics.median(vals)
    return (max(vals) - min(vals)) * 100.0 / m if m else float("nan")


def build_rows(args, results):
    rows = []
    for test in args.tests:
        for p in args.pipelines:
            rr = results[("redis", test, p)]
            tt = results[("tessera", test, p)]
            r = {k: med([x[k] for x in rr]) for k in ("rps", "p50_ms", "p99_ms", "cpu_us_per_req")}
            t = {k: med([x[k] for x in tt]) for k in ("rps", "p50_ms", "p99_ms", "cpu_us_per_req")}
            # ratios are medians of per-pair ratios: run i of redis and run i of
            # tessera ran back to back, so a slow phase of the machine hits both
            pairs = list(zip(rr, tt))
            rows.append({
                "test": test.upper(), "pipeline": p, "redis": r, "tessera": t,
                "ratio": med([b["rps"] / a["rps"] if a["rps"] else float("nan")
                              for a, b in pairs]),
                "cpu_ratio": med([a["cpu_us_per_req"] / b["cpu_us_per_req"]
                                  if b["cpu_us_per_req"] else float("nan")
                                  for a, b in pairs]),
                "spread_redis_pct": spread([x["rps"] for x in rr]),
                "spread_tessera_pct": spread([x["rps"] for x in tt]),
            })
    return rows


HEADERS = ["test", "P", "redis ops/s", "tessera ops/s", "ratio t/r",
           "redis p50/p99 ms", "tessera p50/p99 ms",
           "redis CPU us/req", "tessera CPU us/req", "CPU ratio r/t",
           "ops/s spread r|t"]


def row_cells(row):
    r, t = row["redis"], row["tessera"]
    return [row["test"], str(row["pipeline"]),
            "{:,.0f}".format(r["rps"]), "{:,.0f}".format(t["rps"]),
            "%.2f" % row["ratio"],
            "%.3f/%.3f" % (r["p50_ms"], r["p99_ms"]),
            "%.3f/%.3f" % (t["p50_ms"], t["p99_ms"]),
            "%.2f" % r["cpu_us_per_req"], "%.2f" % t["cpu_us_per_req"],
            "%.2f" % row["cpu_ratio"],
            "%.0f%%|%.0f%%" % (row["spread_redis_pct"], row["spread_tessera_pct"])]


def text_table(rows):
    cells = [HEADERS] + [row_cells(r) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    lines = []
    for i, c in enumerate(cells):
        lines.append("  ".join(x.rjust(w) if j > 1 else x.ljust(w)
                               for j, (x, w) in enumerate(zip(c, widths))))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(args, rows, results, meta):
    out = ["# Tessera vs Redis: redis-benchmark side by side", ""]
    out.append("- date: %s" % meta["date"])
    out.append("- host: %s, %s, %d CPUs" % (meta["host"], meta["kernel"], meta["ncpu"]))
    out.append("- redis: `%s` (%s)" % (shlex.join(meta["redis_argv"]), meta["redis_version"]))
    out.append("- tessera: `%s`" % shlex.join(meta["tessera_argv"]))
    out.append("- client: redis-benchmark on core %d, -c %d, -n %d, -r %d, -d %d; "
               "servers on core %d; GET after a prefill of %d random SETs"
               % (args.client_core, args.clients, args.requests, args.keyspace,
                  args.datasize, args.server_core, 3 * args.keyspace))
    out.append("- median of %d alternated runs per cell; CPU = server utime+stime "
               "(%s) per request" % (args.repeat, args.cpu_source))
    out.append("")
    out.append("| " + " | ".join(HEADERS) + " |")
    out.append("|" + "|".join(["---", "--:"] + ["--:"] * (len(HEADERS) - 2)) + "|")
    for r in rows:
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in row_cells(r)) + " |")
    out.append("")
    out.append("ratio t/r > 1: tessera serves more ops/s. CPU ratio r/t > 1: tessera "
               "spends less server CPU per request. Both ratios are medians of the "
               "per-run ratios of back-to-back runs (so they need not equal the ratio of "
               "the two median columns). Spread = (max-min)/median of ops/s over the "
               "runs of a cell.")
    out.append("")
    out.append("<details><summary>individual runs</summary>")
    out.append("")
    out.append("| server | test | P | run | ops/s | p50 ms | p99 ms | CPU us/req | wall s "
               "| server busy | client busy |")
    out.append("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    for (srv, test, p), runs in sorted(results.items()):
        for i, x in enumerate(runs):
            out.append("| %s | %s | %d | %d | %.0f | %.3f | %.3f | %.2f | %.2f | %.0f%% | %.0f%% |"
                       % (srv, test.upper(), p, i + 1, x["rps"], x["p50_ms"], x["p99_ms"],
                          x["cpu_us_per_req"], x["wall_s"], x["server_busy_pct"],
                          x["client_busy_pct"]))
    out.append("")
    out.append("</details>")
    return "\n".join(out) + "\n"


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--requests", type=int, default=200000,
                    help="requests per measured run (default 200000)")
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs per (server, test, pipeline); medians reported (default 3)")
    ap.add_argument("--shards", type=int, default=1, help="tessera shards (default 1)")
    ap.add_argument("--tessera-bin", default=os.environ.get(
        "TESSERA_BIN", os.path.join(REPO_ROOT, "build", "tessera-server")),
        help="tessera-server binary (default $TESSERA_BIN or build/tessera-server)")
    ap.add_argument("--tessera-cores", default=None,
                    help="value of tessera's --cores (default: --server-core; "
                         "'' to not pass --cores)")
    ap.add_argument("--tessera-arg", action="append", default=[],
                    help="extra argument for tessera-server (repeatable)")
    ap.add_argument("--redis-bin", default="redis-server")
    ap.add_argument("--redis-arg", action="append", default=[],
                    help="extra argument for redis-server (repeatable)")
    ap.add_argument("--redis-benchmark", default="redis-benchmark")
    ap.add_argument("--server-core", type=int, default=0)
    ap.add_argument("--client-core", type=int, default=1)
    ap.add_argument("-c", "--clients", type=int, default=50)
    ap.add_argument("--pipelines", default="1,16", help="comma list (default 1,16)")
    ap.add_argument("--tests", default="set,get", help="comma list (default set,get)")
    ap.add_argument("-r", "--keyspace", type=int, default=100000)
    ap.add_argument("-d", "--datasize", type=int, default=32)
    ap.add_argument("--cpu-source", choices=("stat", "schedstat"), default="stat",
                    help="stat: utime+stime of /proc/<pid>/stat (10 ms ticks, all threads "
                         "ever); schedstat: ns sum over live threads (default stat)")
    ap.add_argument("--run-timeout", type=int, default=300,
                    help="seconds before one redis-benchmark run is killed (default 300)")
    ap.add_argument("--markdown", metavar="PATH", help="also write the table as Markdown")
    ap.add_argument("--json", metavar="PATH", help="also write all runs as JSON")
    args = ap.parse_args()
    args.pipelines = [int(x) for x in args.pipelines.split(",") if x]
    args.tests = [x.strip().lower() for x in args.tests.split(",") if x.strip()]
    if args.tessera_cores is None:
        args.tessera_cores = str(args.server_core)
    if args.requests <= 0 or args.repeat <= 0:
        ap.error("-n and --repeat must be positive")
    return args


def check_env(args):
    for tool in ("taskset", args.redis_benchmark, args.redis_bin):
        if not shutil.which(tool):
            sys.exit("bench_vs_redis: %s not found" % tool)
    if not (os.path.isfile(args.tessera_bin) and os.access(args.tessera_bin, os.X_OK)):
        sys.exit("bench_vs_redis: tessera binary %s not found or not executable "
                 "(build it, or set TESSERA_BIN / --tessera-bin)" % args.tessera_bin)
    cpus = os.sched_getaffinity(0)
    for core in (args.server_core, args.client_core):
        if core not in cpus:
            sys.exit("bench_vs_redis: core %d not available (have %s)" % (core, sorted(cpus)))
    if args.server_core == args.client_core:
        log("warning: server and client share core %d" % args.server_core)


def redis_argv(args, port):
    """Debian's redis-server pinned to the server core, persistence off."""
    return (["taskset", "-c", str(args.server_core), args.redis_bin, "--port", str(port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--daemonize", "no", "--logfile", ""] + args.redis_arg)


def tessera_argv(args, port, shards, cores=""):
    """tessera-server pinned to the server core with `shards` shards."""
    argv = ["taskset", "-c", str(args.server_core), args.tessera_bin, "--port", str(port),
            "--bind", "127.0.0.1", "--shards", str(shards)]
    if cores != "":
        argv += ["--cores", cores]
    return argv + args.tessera_arg


def main():
    args = parse_args()
    check_env(args)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if inherited ignored
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    atexit.register(stop_all)

    sc = str(args.server_core)
    try:
        redis = Server("redis", lambda port: redis_argv(args, port)).start()
        tessera = Server("tessera", lambda port: tessera_argv(
            args, port, args.shards, args.tessera_cores)).start()
        servers = {"redis": redis, "tessera": tessera}
        for s in (redis, tessera):
            log("%s: pid %d port %d: %s" % (s.name, s.pid, s.port, shlex.join(s.argv)))
            for tid, (comm, allowed) in s.thread_affinity().items():
                flag = "" if allowed == sc else "   <-- not pinned to core %s only" % sc
                log("  thread %d %-16s cpus %s%s" % (tid, comm, allowed, flag))
        try:
            redis_version = subprocess.run([args.redis_bin, "--version"],
                                           stdout=subprocess.PIPE, timeout=10
                                           ).stdout.decode().strip()
        except (OSError, subprocess.SubprocessError):
            redis_version = "?"

        for s in (redis, tessera):
            prefill(args, s)

        results = {}
        k = 0
        total = args.repeat * len(args.tests) * len(args.pipelines) * 2
        done = 0
        for rep in range(args.repeat):
            for test in args.tests:
                for p in args.pipelines:
                    order = ["redis", "tessera"] if k % 2 == 0 else ["tessera", "redis"]
                    k += 1
                    for name in order:
                        r = measure(args, servers[name], test, p)
                        results.setdefault((name, test, p), []).append(r)
                        done += 1
                        log("[%2d/%d] run %d %-7s %-4s P=%-3d %10.0f ops/s  p50 %.3f  "
                            "p99 %.3f ms  cpu %.2f us/req  (%.1f s, busy: server %.0f%%, "
                            "client %.0f%%)"
                            % (done, total, rep + 1, name, test.upper(), p, r["rps"],
                               r["p50_ms"], r["p99_ms"], r["cpu_us_per_req"], r["wall_s"],
                               r["server_busy_pct"], r["client_busy_pct"]))

        rows = build_rows(args, results)
        print()
        print("tessera vs redis: redis-benchmark -c %d -n %d -r %d -d %d, servers on core %d, "
              "client on core %d, tessera --shards %d; median of %d runs"
              % (args.clients, args.requests, args.keyspace, args.datasize,
                 args.server_core, args.client_core, args.shards, args.repeat))
        print(text_table(rows))
        print("ratio t/r > 1: tessera faster; CPU ratio r/t > 1: tessera cheaper per request")

        meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
                "host": platform.node(), "kernel": platform.release(),
                "ncpu": os.cpu_count(), "redis_version": redis_version,
                "redis_argv": redis.argv, "tessera_argv": tessera.argv}
        if args.markdown:
            with open(args.markdown, "w") as f:
                f.write(markdown(args, rows, results, meta))
            log("wrote %s" % args.markdown)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"meta": meta, "args": vars(args), "rows": rows,
                           "runs": [{"server": s, "test": t, "pipeline": p, "runs": v}
                                    for (s, t, p), v in sorted(results.items())]},
                          f, indent=1)
            log("wrote %s" % args.json)
        return 0
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    except RuntimeError as e:
        log("bench_vs_redis: error: %s" % e)
        return 1
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
