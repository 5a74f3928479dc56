"""Fixtures shared by the integration suite.

Every test that takes `r` runs twice against Tessera, once with 1 shard and
once with 2 (against the oracle the shard count means nothing, so it runs once).
The database is flushed before each test.

With TESSERA_DATAPLANE=dpdk (see server_fixture.py) this process makes the
network namespaces and veth pairs of tests/dpdk/netns_fixture.py, starts
every server on the DPDK dataplane in the server namespace, and moves
itself into the client namespace: the suite's clients are then real kernel
TCP clients talking to the userspace stack.
"""
import gc
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(__file__))
import server_fixture  # noqa: E402
from server_fixture import DpdkLanes, Server, fault_seed, fault_spec, target  # noqa: E402

SHARD_COUNTS = [1, 2] if target() == "tessera" else [1]

_left_ns = None


def client_loss_percent():
    return float(os.environ.get("TESSERA_CLIENT_LOSS") or 0)


def pytest_configure(config):
    global _left_ns
    # Fault runs deselect these with -m "not timing": they race a clock
    # (keys that expire in 100 ms) that a retransmission can outlast.
    config.addinivalue_line("markers", "timing: the test races a short clock")
    if server_fixture.suite_dataplane() != "dpdk":
        return
    from netns_fixture import Network, can_run, enter_netns, sh
    reason = can_run()
    if reason:
        # Not a skip: a DPDK run that ran nothing must not look green.
        raise pytest.UsageError("TESSERA_DATAPLANE=dpdk: " + reason)
    DpdkLanes.net = Network().open()
    _left_ns = enter_netns(DpdkLanes.net.client_ns)
    loss = client_loss_percent()
    if loss:
        # Random loss on the veths only (tsc<tag>+ matches every lane's
        # client end), both ways; loopback, where the start-up tests' kernel
        # servers listen, is spared. --probability is a fraction.
        veths = DpdkLanes.net.client_if + "+"
        for chain, way in (("INPUT", "-i"), ("OUTPUT", "-o")):
            sh("iptables", "-A", chain, way, veths, "-m", "statistic", "--mode", "random",
               "--probability", "%g" % (loss / 100), "-j", "DROP")


def iptables_drops():
    """Packets the client namespace's random-loss rules have dropped."""
    from netns_fixture import sh
    out = sh("iptables", "-L", "-v", "-x", "-n").stdout
    return sum(int(line.split()[0]) for line in out.splitlines()
               if "DROP" in line and "statistic" in line)


def pytest_sessionfinish(session, exitstatus):
    # A loss run whose rules dropped nothing proved nothing: fail it.
    if DpdkLanes.net is not None and client_loss_percent():
        drops = iptables_drops()
        session.config._tessera_drops = drops
        if drops == 0 and session.testscollected:
            session.exitstatus = 1


def pytest_unconfigure(config):
    global _left_ns
    if DpdkLanes.net is None:
        return
    from netns_fixture import leave_netns
    if _left_ns is not None:
        leave_netns(_left_ns)
        _left_ns = None
    DpdkLanes.net.close()
    DpdkLanes.net = None


def pytest_report_header(config):
    if server_fixture.suite_dataplane() != "dpdk":
        return None
    lines = ["dataplane: dpdk (af_packet on veth pairs, clients in namespace %s)" %
             DpdkLanes.net.client_ns]
    if fault_spec():
        lines.append("dpdk-fault-inject: %s (replay: TESSERA_DPDK_FAULT_SEED=%d)" %
                     (fault_spec(), fault_seed()))
    if client_loss_percent():
        lines.append("client namespace drops %g%% of veth packets each way (iptables)" %
                     client_loss_percent())
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    drops = getattr(config, "_tessera_drops", None)
    if drops is not None:
        terminalreporter.write_line("iptables dropped %d packets on the client veths%s" % (
            drops, "" if drops else ": no loss was applied, the run proves nothing"))
    # The seed at the end, where a failure's reader looks (-q hides the header).
    if fault_spec():
        terminalreporter.write_line("dpdk-fault-inject %s: replay with TESSERA_DPDK_FAULT_SEED=%d"
                                    % (fault_spec(), fault_seed()))


def dataplane_connections(srv):
    """Open connections over the DPDK server's shards (INFO dataplane),
    asked on a connection of our own, which is one of them."""
    from netns_fixture import parse_dataplane
    from resp_socket import decode
    with srv.conn(timeout=30) as c:
        figures = parse_dataplane(decode(c.call("INFO", "dataplane")).decode())
    return sum(f["connections"] for f in figures.values()), figures


def assert_connections_drain(srv, timeout=30):
    """Once its clients have left, a DPDK server holds no connection: every
    close went through the stack's FIN handshake, even under loss. With a
    fault plan, also that faults really were injected."""
    gc.collect()  # sockets of clients a test dropped without close()
    deadline = time.time() + timeout
    while True:
        open_now, figures = dataplane_connections(srv)
        # This check's own connection is the one left.
        if open_now <= 1 or time.time() > deadline:
            break
        time.sleep(0.2)
    assert open_now <= 1, "connections still open %d s after the clients left: %s" % (
        timeout, figures)
    if fault_spec():
        injected = sum(f["faults_injected"] for f in figures.values())
        assert injected > 0, "%s injected nothing: %s" % (fault_spec(), figures)


@pytest.fixture(scope="module", params=SHARD_COUNTS, ids=lambda n: "%dshard" % n)
def server(request):
    srv = Server(shards=request.param).start()
    yield srv
    try:
        if srv.dataplane == "dpdk" and srv.proc.poll() is None:
            assert_connections_drain(srv)
    finally:
        status = srv.stop()
    # A clean exit after the whole module's traffic: no crash, no sanitizer
    # report, no leak at shutdown.
    assert status == 0, "server exited with %s:\n%s" % (status, srv.log_text()[-4000:])


@pytest.fixture
def r(server):
    client = server.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def raw(server, r):
    """A raw RESP connection on the database `r` has just flushed."""
    conn = server.conn()
    yield conn
    conn.close()


def start_server(shards=1, **options):
    """For tests that need their own server with special options."""
    return Server(shards=shards, options=options).start()
