"""TCP keepalive (RFC 1122 4.2.3.6) on the DPDK stack: an idle connection is
probed after tcp-keepalive seconds, the client's kernel answers, and the
connection stays open."""
import pytest

from netns_fixture import SERVER_IP, DpdkServer, total

PY = "/usr/bin/python3"


@pytest.fixture(scope="module")
def keepalive_server(net):
    # One second of idleness before probing, for the test's sake.
    srv = DpdkServer(net, extra=["--tcp-keepalive", "1"]).start()
    yield srv
    status = srv.stop()
    assert status == 0, srv.log_text()[-4000:]


def test_idle_connections_get_keepalive_probes_and_stay_open(net, keepalive_server):
    out = net.client(PY, "-c", (
        "import socket, time\n"
        "s = socket.create_connection((%r, 6379), timeout=10)\n"
        "s.sendall(b'PING\\r\\n'); assert s.recv(7) == b'+PONG\\r\\n'\n"
        "time.sleep(3.5)  # idle: the server probes, our kernel answers\n"
        "s.sendall(b'PING\\r\\n'); assert s.recv(7) == b'+PONG\\r\\n'\n"
        "print('alive')\n" % SERVER_IP), timeout=30)
    assert out.stdout.strip() == "alive", out.stdout + out.stderr
    assert total(net, "keepalive_probes") >= 2
