"""Real kernel clients talk RESP to the DPDK dataplane's userspace TCP/IP
stack across a veth pair: redis-cli, redis-py and redis-benchmark run in the
client namespace, tessera-server (DPDK, af_packet) in the server one."""
import re
import time

import pytest

from netns_fixture import SERVER_IP, DpdkServer

PY = "/usr/bin/python3"


def cli(net, *args, timeout=20):
    out = net.client("redis-cli", "-h", SERVER_IP, *args, timeout=timeout)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def dataplane_figures(net):
    """INFO dataplane as {shard: {field: int}}."""
    figures = {}
    for line in cli(net, "info", "dataplane").splitlines():
        m = re.match(r"shard(\d+):(.*)", line.strip())
        if m:
            figures[int(m.group(1))] = {k: int(v) for k, v in
                                        (kv.split("=") for kv in m.group(2).split(","))}
    return figures


def total(net, field):
    return sum(f[field] for f in dataplane_figures(net).values())


def test_redis_cli_commands_round_trip_through_the_userspace_stack(net, dpdk_server):
    assert cli(net, "ping") == "PONG"
    assert cli(net, "set", "greeting", "hello") == "OK"
    assert cli(net, "get", "greeting") == "hello"
    assert cli(net, "incrby", "counter", "41") == "41"
    assert cli(net, "mget", "greeting", "counter", "missing") == "hello\n41"


def test_one_and_sixty_four_megabyte_values_round_trip_intact(net, dpdk_server):
    script = (
        "import hashlib, os, redis\n"
        "r = redis.Redis(host=%r, socket_timeout=60)\n"
        "for size in (1 << 20, 64 << 20):\n"
        "    v = os.urandom(size)\n"
        "    r.set('big', v)\n"
        "    got = r.get('big')\n"
        "    assert hashlib.sha256(got).hexdigest() == hashlib.sha256(v).hexdigest(), size\n"
        "print('intact')\n" % SERVER_IP)
    out = net.client(PY, "-c", script, timeout=180)
    assert out.stdout.strip() == "intact", out.stdout + out.stderr


def test_redis_benchmark_with_50_connections_ends_without_error(net, dpdk_server):
    out = net.client("redis-benchmark", "-h", SERVER_IP, "-t", "ping,set,get,incr,mset",
                     "-n", "20000", "-c", "50", "-q", timeout=120)
    assert out.returncode == 0, out.stderr
    text = (out.stdout + out.stderr).lower()
    assert "error" not in text, text
    for test in ("PING_INLINE", "SET", "GET", "INCR", "MSET"):
        assert test in out.stdout, out.stdout


def test_open_connections_return_to_zero_and_time_wait_expires(net, dpdk_server):
    for _ in range(20):
        cli(net, "ping")
    deadline = time.time() + 10
    while time.time() < deadline:
        # This INFO's own connection is the one still open.
        if total(net, "connections") <= 1 and total(net, "time_wait") == 0:
            break
        time.sleep(0.2)
    assert total(net, "connections") <= 1
    assert total(net, "time_wait") == 0


@pytest.fixture(scope="module")
def two_shard_server(net, dpdk_server):
    # The module's one-shard server yields the port for the length of this
    # fixture: af_packet would hand both the same frames.
    dpdk_server.stop()
    srv = DpdkServer(net, shards=2).start()
    yield srv
    status = srv.stop()
    dpdk_server.start()
    assert status == 0, srv.log_text()[-4000:]


def test_segments_landing_on_the_non_owner_queue_are_forwarded_and_served(net, two_shard_server):
    for i in range(40):
        assert cli(net, "set", "k%d" % i, "v%d" % i) == "OK"
        assert cli(net, "get", "k%d" % i) == "v%d" % i
    # af_packet spreads flows by the kernel's hash, not our Toeplitz owner:
    # some segments must have come in on the other shard's queue.
    assert total(net, "forwarded_out") > 0
    assert total(net, "forwarded_in") > 0
    assert total(net, "forward_ring_full") == 0
