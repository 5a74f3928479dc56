"""Start and stop a server under test: tessera-server, or Debian's redis-server
as the oracle.

Which one runs is chosen by the environment, so the same suite proves both:
  TESSERA_TEST_TARGET=tessera (default) | redis
  TESSERA_BIN   path of tessera-server (default: build/tessera-server)
  TESSERA_SHARDS  shard count for the default fixture (default 1)
  TESSERA_DATAPLANE  epoll: run Tessera on the epoll fallback backend
                     dpdk: run Tessera on the DPDK dataplane (af_packet on a
                     veth pair) in a server network namespace; this pytest
                     process then runs in the client namespace, so every
                     client is a real kernel client on the far side of the
                     userspace TCP/IP stack (see conftest.pytest_configure)
  TESSERA_DPDK_FAULTS  with dpdk: a --dpdk-fault-inject plan without its
                     seed, e.g. "loss=5,reorder=10,dup=1,corrupt=0.5"
  TESSERA_DPDK_FAULT_SEED  the seed for it (default: random, printed)
  TESSERA_CLIENT_LOSS  with dpdk: percent of packets the client namespace
                     drops at random on each veth, both ways (iptables)

redis-server is started with `--databases 1` so that SELECT of any index but 0
answers the same error Tessera gives ("ERR DB index is out of range").
"""
import os
import random
import socket
import sys

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "dpdk"))
from server_process import ServerProcess  # noqa: E402

REPO_ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
DPDK_PORT = 6379


def target():
    return os.environ.get("TESSERA_TEST_TARGET", "tessera")


def suite_dataplane():
    """The dataplane the suite runs on: "" (kernel), "epoll" or "dpdk"."""
    return os.environ.get("TESSERA_DATAPLANE", "") if target() == "tessera" else ""


def host_dataplane():
    """The dataplane for servers whose subject is the process itself
    (start-up, options, signals), which listen on loopback: the suite's,
    unless that is dpdk, when they use the kernel backend."""
    return "" if suite_dataplane() == "dpdk" else suite_dataplane()


def fault_seed():
    global _fault_seed
    if _fault_seed is None:
        _fault_seed = int(os.environ.get("TESSERA_DPDK_FAULT_SEED") or
                          random.randrange(1, 1 << 30))
    return _fault_seed


_fault_seed = None


def faults_slowdown():
    """How much longer a client waits for a reply when faults are injected:
    at 5% loss a Linux client that had to resend its SYN has no RTT sample
    and backs off from 1 s (1, 3, 7 s), so two losses in a row outlast a
    5 s timeout without anything being wrong."""
    if os.environ.get("TESSERA_DPDK_FAULTS") or os.environ.get("TESSERA_CLIENT_LOSS"):
        return 4
    return 1


def fault_spec():
    """The --dpdk-fault-inject plan every DPDK server gets, or None."""
    plan = os.environ.get("TESSERA_DPDK_FAULTS")
    if not plan or suite_dataplane() != "dpdk":
        return None
    return "%s,seed=%d" % (plan, fault_seed())


def tessera_binary():
    return os.environ.get("TESSERA_BIN", os.path.join(REPO_ROOT, "build", "tessera-server"))


def sanitized_build():
    """True when the Tessera under test was built with ASan (its runtime's
    entry point is in the binary): slower, and it keeps freed memory."""
    if target() != "tessera":
        return False
    with open(tessera_binary(), "rb") as f:
        return b"__asan_init" in f.read()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DpdkLanes:
    """The network of a DPDK-mode run (opened by conftest) and which of its
    veth pairs are in use: each running DPDK server holds one, so servers a
    module keeps alive side by side never share a port."""
    net = None
    busy = set()

    @classmethod
    def acquire(cls):
        index = 0
        while index in cls.busy:
            index += 1
        cls.busy.add(index)
        return cls.net.lane(index)

    @classmethod
    def release(cls, lane):
        cls.busy.discard(lane.index)


class Client(redis.Redis):
    """redis.Redis whose close() closes its connections: redis-py 4.3's
    leaves the pool's open until the client is garbage, and one still
    referenced (by a traceback pytest keeps) outlives the module's check that
    a DPDK server holds no connection once its clients have left."""

    def close(self):
        super().close()
        self.connection_pool.disconnect()


class Server(ServerProcess):
    """One running server process, reached at (host, port).

    `options` are Redis-style option names without dashes, e.g.
    {"maxclients": "5"}; both servers accept them as `--name value`.
    `dataplane` overrides TESSERA_DATAPLANE for this server.
    """

    def __init__(self, shards=1, options=None, dataplane=None):
        self.dataplane = suite_dataplane() if dataplane is None else dataplane
        self.shards = shards
        self.options = dict(options or {})
        self.lane = None
        # The DPDK stack owns its own address; every server has a lane to itself.
        self.port = DPDK_PORT if self.dataplane == "dpdk" else free_port()
        self.name = "tessera-server (%s)" % (self.dataplane or "kernel") \
            if target() == "tessera" else "redis-server"

    @property
    def host(self):
        return self.lane.server_ip if self.lane else "127.0.0.1"

    def command_line(self):
        opts = []
        for name, value in self.options.items():
            opts += ["--" + name, str(value)]
        if target() == "redis":
            return ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--databases", "1",
                    "--daemonize", "no", "--logfile", ""] + opts
        if self.dataplane == "dpdk":
            from netns_fixture import dpdk_command_line
            faults = fault_spec()
            extra = ["--dpdk-fault-inject", faults] if faults else []
            # --bind is ignored by the DPDK dataplane (it serves --ip); it is
            # given so that the configuration, and CONFIG GET, match the
            # kernel-backend run.
            return dpdk_command_line(DpdkLanes.net, self.lane, self.shards, self.port,
                                     ["--bind", "127.0.0.1"] + extra + opts)
        binary = tessera_binary()
        # TESSERA_DATAPLANE=epoll runs the suite on the fallback backend.
        extra = ["--dataplane", self.dataplane] if self.dataplane else []
        return [binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--shards", str(self.shards)] + extra + opts

    def start(self):
        if self.dataplane == "dpdk":
            assert DpdkLanes.net, "TESSERA_DATAPLANE=dpdk: the network is opened by conftest"
            self.lane = DpdkLanes.acquire()
        # DPDK's EAL start-up takes a while on two busy cores.
        return self.start_process(30 if self.dataplane == "dpdk" else 10)

    def ready(self):
        """True once the server answers PING; subclasses may probe differently."""
        try:
            return redis.Redis(host=self.host, port=self.port, socket_timeout=1).ping()
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            return False

    def client(self, **kwargs):
        kwargs.setdefault("socket_timeout", 10 * faults_slowdown())
        return Client(host=self.host, port=self.port, **kwargs)

    def conn(self, **kwargs):
        """A raw RESP connection (resp_socket.RespConn) to this server."""
        from resp_socket import RespConn
        kwargs.setdefault("timeout", 5.0 * faults_slowdown())
        return RespConn(self.port, host=self.host, **kwargs)

    def stop(self):
        status = super().stop()
        if self.lane:
            # The lane is free for the next server; host stays as it was.
            DpdkLanes.release(self.lane)
        return status
