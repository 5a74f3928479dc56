"""TCP keepalive (RFC 1122 4.2.3.6) on the DPDK stack: an idle connection is
probed after tcp-keepalive seconds, the client's kernel answers, and the
connection stays open."""
import pytest

from netns_fixture import SERVER_IP, DpdkServer

PY = "/usr/bin/python3"


@pytest.fixture(scope="module")
def keepalive_server(net):
    # One second of idleness before probing, for the test's sake.
    srv = DpdkServer(net, extra=["--tcp-keepalive", "1"]).start()
    yield srv
    status = srv.stop()
    assert status == 0, srv.log_text()[-4000:]


def keepalive_probes(net):
    info = net.client("redis-cli", "-h", SERVER_IP, "info", "dataplane", timeout=20).stdout
    return sum(int(part.split("=")[1]) for line in info.splitlines()
               for part in line.strip().split(",") if part.startswith("keepalive_probes="))


def test_idle_connections_get_keepalive_probes_and_stay_open(net, keepalive_server):
    out = net.client(PY, "-c", (
        "import socket, time\n"
        "s = socket.create_connection((%r, 6379), timeout=10)\n"
        "s.sendall(b'PING\\r\\n'); assert s.recv(7) == b'+PONG\\r\\n'\n"
        "time.sleep(3.5)  # idle: the server probes, our kernel answers\n"
        "s.sendall(b'PING\\r\\n'); assert s.recv(7) == b'+PONG\\r\\n'\n"
        "print('alive')\n" % SERVER_IP), timeout=30)
    assert out.stdout.strip() == "alive", out.stdout + out.stderr
    assert keepalive_probes(net) >= 2
