#!/usr/bin/python3
"""redis-benchmark through a veth pair: tessera-server on the DPDK dataplane
(af_packet) against tessera-server on the kernel backend, same veth, same
address, same client namespace.

af_packet is NOT DPDK's fast path: every frame crosses the kernel's veth and
a packet socket, so these numbers say nothing about DPDK on a real NIC. The
script is for catching regressions of the userspace stack (and the ratio
against the kernel backend over the identical path), not for headlines.

Each repeat runs every (test, pipeline) cell on both servers, alternating
which goes first; medians are printed with the ratio dpdk/kernel. The server
is pinned to --server-core, redis-benchmark to --client-core. Also printed:
server CPU us per request (utime+stime from /proc/<pid>/stat over the run);
the DPDK shard busy-polls while traffic flows, which that figure includes.

Usage (root): /usr/bin/python3 perf/veth_bench.py [-n 100000] [--repeat 3]
The binary is $TESSERA_BIN, else build/tessera-server. Not run by CI.
"""
import argparse
import csv
import io
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "dpdk"))
from netns_fixture import Network, can_run, dpdk_command_line, sh, tessera_binary  # noqa: E402

PORT = 6379
KEYSPACE = 100000


def cpu_seconds(pid):
    fields = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Bench:
    def __init__(self, args):
        self.args = args
        self.net = Network().open()
        self.lane = self.net.lane(0)
        self.proc = None

    def start(self, kind):
        lane, net = self.lane, self.net
        if kind == "dpdk":
            cmd = dpdk_command_line(net, lane, 1, PORT)
        else:
            # The kernel backend needs the address on its veth end; the DPDK
            # run must not have it there (the kernel would answer too).
            sh("ip", "addr", "add", "%s/24" % lane.server_ip, "dev", lane.server_if,
               ns=net.server_ns)
            cmd = ["ip", "netns", "exec", net.server_ns, tessera_binary(),
                   "--dataplane", "kernel", "--bind", lane.server_ip, "--port", str(PORT),
                   "--shards", "1"]
        self.kind = kind
        self.log = open("/tmp/veth_bench_%s.log" % kind, "w+")
        # taskset execs ip, which execs the server: the pid is the server's.
        self.proc = subprocess.Popen(["taskset", "-c", str(self.args.server_core)] + cmd,
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit("%s server exited:\n%s" % (kind, open(self.log.name).read()))
            if self.net.client("redis-cli", "-h", lane.server_ip, "ping").stdout.strip() == "PONG":
                break
            time.sleep(0.2)
        else:
            raise SystemExit("%s server not ready" % kind)
        self.benchmark(["-t", "set", "-r", str(KEYSPACE), "-n", str(3 * KEYSPACE), "-P", "32"])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)
        if self.kind == "kernel":
            sh("ip", "addr", "del", "%s/24" % self.lane.server_ip, "dev", self.lane.server_if,
               ns=self.net.server_ns)

    def benchmark(self, extra):
        cmd = ["taskset", "-c", str(self.args.client_core), "redis-benchmark",
               "-h", self.lane.server_ip, "-p", str(PORT), "-c", str(self.args.clients),
               "--csv"] + extra
        out = self.net.client(*cmd, timeout=300)
        if out.returncode != 0 or "error" in (out.stdout + out.stderr).lower():
            raise SystemExit("redis-benchmark failed on %s: %s%s" % (self.kind, out.stdout, out.stderr))
        return out.stdout

    def measure(self, test, pipeline):
        # Pipelined runs are ~10x faster: give them 10x the requests so they
        # last as long and the CPU figure (10 ms ticks) stays meaningful.
        requests = self.args.requests * (10 if pipeline > 1 else 1)
        c0 = cpu_seconds(self.proc.pid)
        text = self.benchmark(["-t", test, "-r", str(KEYSPACE), "-n", str(requests),
                               "-P", str(pipeline)])
        c1 = cpu_seconds(self.proc.pid)
        rows = [row for row in csv.reader(io.StringIO(text)) if row and row[0] != "test"]
        return float(rows[0][1]), (c1 - c0) * 1e6 / requests


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--requests", type=int, default=200000)
    ap.add_argument("-c", "--clients", type=int, default=50)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--pipelines", default="1,16")
    ap.add_argument("--tests", default="set,get")
    ap.add_argument("--server-core", type=int, default=0)
    ap.add_argument("--client-core", type=int, default=1)
    args = ap.parse_args()
    reason = can_run()
    if reason:
        raise SystemExit("veth_bench: " + reason)
    cells = [(t, int(p)) for t in args.tests.split(",") for p in args.pipelines.split(",")]
    results = {(k, cell): [] for k in ("dpdk", "kernel") for cell in cells}
    bench = Bench(args)
    try:
        for rep in range(args.repeat):
            order = ("dpdk", "kernel") if rep % 2 == 0 else ("kernel", "dpdk")
            for kind in order:
                bench.start(kind)
                try:
                    for cell in cells:
                        ops, cpu = bench.measure(*cell)
                        results[(kind, cell)].append((ops, cpu))
                        print("rep %d %-6s %-3s P%-2d %10.0f ops/s %6.2f us/req" %
                              (rep, kind, cell[0], cell[1], ops, cpu), file=sys.stderr)
                finally:
                    bench.stop()
    finally:
        bench.net.close()
    print("veth pair, af_packet (not DPDK's fast path: for regressions only); "
          "-c %d -n %d (x10 pipelined), medians of %d" % (args.clients, args.requests, args.repeat))
    print("%-4s %3s %13s %13s %11s %14s %14s" % ("test", "P", "dpdk ops/s", "kernel ops/s",
                                                "ratio d/k", "dpdk us/req", "kernel us/req"))
    for cell in cells:
        d = results[("dpdk", cell)]
        k = results[("kernel", cell)]
        dops = statistics.median(x[0] for x in d)
        kops = statistics.median(x[0] for x in k)
        print("%-4s %3d %13.0f %13.0f %11.2f %14.2f %14.2f" % (
            cell[0].upper(), cell[1], dops, kops, dops / kops,
            statistics.median(x[1] for x in d), statistics.median(x[1] for x in k)))


if __name__ == "__main__":
    main()
