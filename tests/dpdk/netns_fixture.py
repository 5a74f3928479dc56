"""A private network for the DPDK dataplane: two network namespaces made by
the test, joined by veth pairs. tessera-server runs in the server namespace
with DPDK's af_packet PMD on its veth end; real kernel clients (ping,
redis-cli, redis-py) run in the client namespace. No traffic leaves the pairs.

Two DPDK servers on one veth would both receive every frame, so each server
that runs at the same time as another gets its own pair (a Lane): lane 0 is
the one the tests/dpdk modules use; the integration suite in DPDK mode takes
a free lane per server (tests/integration/server_fixture.py).

Addresses are from 198.18.0.0/15, the block reserved for benchmarking
(RFC 2544), used only inside these namespaces: lane n is 198.18.n.0/24.

Also here, for every test that reads them: INFO dataplane's per-shard
counters (dataplane_figures, total) and entering a namespace (enter_netns).
"""
import ctypes
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from server_process import ServerProcess  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERVER_IP = "198.18.0.1"
CLIENT_IP = "198.18.0.2"
PREFIX = 24
CLONE_NEWNET = 0x40000000


def sh(*args, check=True, ns=None, timeout=20):
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(args)
    return subprocess.run(cmd, check=check, capture_output=True, text=True, timeout=timeout)


def can_run():
    """Why the DPDK tests cannot run here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "ethtool", "ping"):
        if not shutil.which(tool):
            return "needs %s" % tool
    if not os.path.exists(os.path.join(REPO_ROOT, "build", "tessera-server")) and \
            not os.environ.get("TESSERA_BIN"):
        return "no tessera-server build"
    return None


def tessera_binary():
    return os.environ.get("TESSERA_BIN", os.path.join(REPO_ROOT, "build", "tessera-server"))


_libc = ctypes.CDLL(None, use_errno=True)


def enter_netns(name):
    """Move the calling thread into network namespace `name` (what
    `ip netns exec` does; Python 3.11 has no os.setns). Sockets opened and
    processes started afterwards live there. Returns a file descriptor of
    the namespace left, for leave_netns()."""
    previous = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    fd = os.open("/run/netns/%s" % name, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns(%s): %s" % (name, os.strerror(err)))
    finally:
        os.close(fd)
    return previous


def leave_netns(previous):
    try:
        if _libc.setns(previous, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, "setns back: %s" % os.strerror(err))
    finally:
        os.close(previous)


class Lane:
    """One veth pair: its server end in the server namespace (DPDK's port),
    its client end, with the client address, in the client namespace."""

    def __init__(self, net, index):
        suffix = "l%d" % index if index else ""
        self.index = index
        self.server_if = "tsv%s%s" % (net.tag, suffix)
        self.client_if = "tsc%s%s" % (net.tag, suffix)
        self.server_ip = "198.18.%d.1" % index
        self.client_ip = "198.18.%d.2" % index
        # DPDK's runtime files are per process: one prefix per lane.
        self.file_prefix = net.server_ns + suffix

    def create(self, net):
        # Made inside the server namespace with the peer put straight into
        # the client one, so it works whichever namespace the caller is in.
        sh("ip", "link", "add", self.server_if, "type", "veth", "peer", "name", self.client_if,
           "netns", net.client_ns, ns=net.server_ns)
        for ns, ifname in ((net.server_ns, self.server_if), (net.client_ns, self.client_if)):
            sh("ip", "link", "set", ifname, "up", ns=ns)
            # Without this the kernel hands af_packet frames with partial
            # checksums and 64 KB super-segments (PLATFORM-NOTES).
            sh("ethtool", "-K", ifname, "tx", "off", "tso", "off", "gso", "off", ns=ns,
               check=False)
        sh("ip", "addr", "add", "%s/%d" % (self.client_ip, PREFIX), "dev", self.client_if,
           ns=net.client_ns)


class Network:
    """Namespaces and veth pairs named after this process, so parallel runs
    do not collide; everything is removed by close()."""

    def __init__(self):
        self.tag = "%d" % (os.getpid() % 100000)
        self.server_ns = "tsr-s%s" % self.tag
        self.client_ns = "tsr-c%s" % self.tag
        self.lanes = {}
        first = Lane(self, 0)
        self.server_if = first.server_if
        self.client_if = first.client_if

    def open(self):
        self.close()
        sh("ip", "netns", "add", self.server_ns)
        sh("ip", "netns", "add", self.client_ns)
        for ns in (self.server_ns, self.client_ns):
            sh("ip", "link", "set", "lo", "up", ns=ns)
        self.lane(0)
        return self

    def lane(self, index):
        if index not in self.lanes:
            lane = Lane(self, index)
            lane.create(self)
            self.lanes[index] = lane
        return self.lanes[index]

    def close(self):
        # Deleting a namespace deletes the veth ends in it, and with them
        # their peers.
        for ns in (self.server_ns, self.client_ns):
            sh("ip", "netns", "del", ns, check=False)
        self.lanes = {}

    def client(self, *args, check=False, timeout=20):
        return sh(*args, ns=self.client_ns, check=check, timeout=timeout)


def dpdk_command_line(net, lane, shards, port, extra=()):
    """tessera-server on the DPDK dataplane, af_packet on `lane`'s server
    end, run in the server namespace."""
    # 4,096 frames per queue, as a NIC's ring holds, not af_packet's 512: a
    # burst of 2,000 RSTs (tests/integration/test_hostile_input.py) would
    # overflow 512, and a lost RST leaves its connection open until
    # keepalive finds it.
    vdev = "net_af_packet0,iface=%s,framecnt=4096" % lane.server_if
    if shards > 1:
        vdev += ",qpairs=%d" % shards
    eal = "--no-huge -m 512 --no-pci --no-shconf --file-prefix %s --vdev=%s" % (
        lane.file_prefix, vdev)
    return ["ip", "netns", "exec", net.server_ns, tessera_binary(),
            "--dataplane", "dpdk", "--dpdk-args", eal,
            "--ip", lane.server_ip, "--netmask", "255.255.255.0",
            "--shards", str(shards), "--port", str(port)] + list(extra)


class DpdkServer(ServerProcess):
    """tessera-server --dataplane dpdk inside the server namespace, on lane 0."""

    name = "tessera-server (dpdk)"

    def __init__(self, net, shards=1, port=6379, extra=()):
        self.net = net
        self.shards = shards
        self.port = port
        self.extra = list(extra)

    def command_line(self):
        return dpdk_command_line(self.net, self.net.lane(0), self.shards, self.port, self.extra)

    def ready(self):
        return "Ready to accept connections" in self.log_text()

    def start(self, timeout=30):
        return self.start_process(timeout)


# --- INFO dataplane ------------------------------------------------------------

def parse_dataplane(text):
    """INFO dataplane's text as {shard: {field: int}}; its lines look like
    `shard0:connections=1,time_wait=0,...`."""
    figures = {}
    for line in text.splitlines():
        m = re.match(r"shard(\d+):(.*)", line.strip())
        if m:
            figures[int(m.group(1))] = {k: int(v) for k, v in
                                        (kv.split("=") for kv in m.group(2).split(","))}
    return figures


def dataplane_figures(net, host=SERVER_IP):
    """INFO dataplane, asked by redis-cli from the client namespace."""
    out = net.client("redis-cli", "-h", host, "info", "dataplane", timeout=30)
    assert out.returncode == 0, out.stderr
    return parse_dataplane(out.stdout)


def total(net, field, host=SERVER_IP):
    """One INFO dataplane counter summed over the shards."""
    return sum(f[field] for f in dataplane_figures(net, host).values())
