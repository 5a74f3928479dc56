"""A private network for the DPDK dataplane: two network namespaces made by
the test, joined by a veth pair. tessera-server runs in the server namespace
with DPDK's af_packet PMD on its veth end; real kernel clients (ping,
redis-cli, redis-py) run in the client namespace. No traffic leaves the pair.

Addresses are from 198.18.0.0/15, the block reserved for benchmarking
(RFC 2544), used only inside these namespaces.
"""
import os
import shutil
import subprocess
import time

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SERVER_IP = "198.18.0.1"
CLIENT_IP = "198.18.0.2"
PREFIX = 24


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


class Network:
    """Namespaces and a veth pair named after this process, so parallel runs
    do not collide; everything is removed by close()."""

    def __init__(self):
        tag = "%d" % (os.getpid() % 100000)
        self.server_ns = "tsr-s%s" % tag
        self.client_ns = "tsr-c%s" % tag
        self.server_if = "tsv%s" % tag
        self.client_if = "tsc%s" % tag

    def open(self):
        self.close()
        sh("ip", "netns", "add", self.server_ns)
        sh("ip", "netns", "add", self.client_ns)
        sh("ip", "link", "add", self.server_if, "type", "veth", "peer", "name", self.client_if)
        sh("ip", "link", "set", self.server_if, "netns", self.server_ns)
        sh("ip", "link", "set", self.client_if, "netns", self.client_ns)
        for ns, ifname in ((self.server_ns, self.server_if), (self.client_ns, self.client_if)):
            sh("ip", "link", "set", "lo", "up", ns=ns)
            sh("ip", "link", "set", ifname, "up", ns=ns)
            # Without this the kernel hands af_packet frames with partial
            # checksums and 64 KB super-segments (PLATFORM-NOTES).
            sh("ethtool", "-K", ifname, "tx", "off", "tso", "off", "gso", "off", ns=ns,
               check=False)
        sh("ip", "addr", "add", "%s/%d" % (CLIENT_IP, PREFIX), "dev", self.client_if,
           ns=self.client_ns)
        return self

    def close(self):
        for ns in (self.server_ns, self.client_ns):
            sh("ip", "netns", "del", ns, check=False)

    def client(self, *args, check=False, timeout=20):
        return sh(*args, ns=self.client_ns, check=check, timeout=timeout)


class DpdkServer:
    """tessera-server --dataplane dpdk inside the server namespace."""

    def __init__(self, net, shards=1, port=6379, extra=()):
        self.net = net
        self.shards = shards
        self.port = port
        self.extra = list(extra)
        self.proc = None
        self.log = None

    def command_line(self):
        binary = os.environ.get("TESSERA_BIN", os.path.join(REPO_ROOT, "build", "tessera-server"))
        vdev = "net_af_packet0,iface=%s" % self.net.server_if
        if self.shards > 1:
            vdev += ",qpairs=%d" % self.shards
        eal = "--no-huge -m 512 --no-pci --no-shconf --file-prefix %s --vdev=%s" % (
            self.net.server_ns, vdev)
        return ["ip", "netns", "exec", self.net.server_ns, binary,
                "--dataplane", "dpdk", "--dpdk-args", eal,
                "--ip", SERVER_IP, "--netmask", "255.255.255.0",
                "--shards", str(self.shards), "--port", str(self.port)] + self.extra

    def start(self, timeout=30):
        import tempfile
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.command_line(), stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("tessera-server (dpdk) exited %s:\n%s" %
                                   (self.proc.returncode, self.log_text()))
            if "Ready to accept connections" in self.log_text():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("tessera-server (dpdk) not ready in %d s:\n%s" % (timeout, self.log_text()))

    def log_text(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else 0
