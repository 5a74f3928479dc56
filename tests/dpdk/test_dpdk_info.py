"""INFO dataplane on a two-shard DPDK server (af_packet, qpairs=2): ARP
mappings learned on one shard reach the other, and the port's extended
statistics are published."""
import re
import time

import pytest

from netns_fixture import SERVER_IP, DpdkServer


def cli(net, *args):
    out = net.client("redis-cli", "-h", SERVER_IP, *args)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def info_dataplane(net):
    """({shard: {field: int}}, {port_stat: int}) from INFO dataplane."""
    shards, port = {}, {}
    for line in cli(net, "info", "dataplane").splitlines():
        line = line.strip()
        m = re.match(r"shard(\d+):(.*)", line)
        if m:
            shards[int(m.group(1))] = {k: int(v) for k, v in
                                       (kv.split("=") for kv in m.group(2).split(","))}
        m = re.match(r"port_([a-z0-9_]+):(\d+)$", line)
        if m:
            port[m.group(1)] = int(m.group(2))
    return shards, port


def wait_for(net, done, timeout=3.0):
    """INFO dataplane, polled until done(shards, port) or the timeout (the
    figures are published every 100 ms)."""
    deadline = time.time() + timeout
    while True:
        shards, port = info_dataplane(net)
        if done(shards, port) or time.time() > deadline:
            return shards, port
        time.sleep(0.1)


@pytest.fixture(scope="module")
def two_shard_server(net):
    srv = DpdkServer(net, shards=2).start()
    yield srv
    status = srv.stop()
    assert status == 0, srv.log_text()[-4000:]


def test_a_client_mac_learned_on_one_shard_reaches_the_other_shards_cache(net, two_shard_server):
    # The client's ARP request for the server lands on one queue only.
    net.client("ip", "neigh", "flush", "dev", net.client_if, check=True)
    assert cli(net, "ping") == "PONG"
    shards, _ = wait_for(net, lambda s, p: all(f["arp_entries"] == 1 for f in s.values()))
    assert sorted(shards) == [0, 1]
    assert [shards[i]["arp_entries"] for i in (0, 1)] == [1, 1]
    assert sum(f["arp_learned_from_peers"] for f in shards.values()) >= 1
    assert sum(f["arp_fanout_ring_full"] for f in shards.values()) == 0


def test_port_xstats_appear_in_info_dataplane_after_traffic(net, two_shard_server):
    for i in range(5):
        assert cli(net, "set", "x%d" % i, "y") == "OK"
    _, port = wait_for(net, lambda s, p: p.get("rx_good_packets", 0) > 0 and
                       p.get("tx_good_packets", 0) > 0)
    assert port["rx_good_packets"] > 0
    assert port["tx_good_packets"] > 0
    assert port["rx_good_bytes"] > port["rx_good_packets"]
    # Every port line is port_<[a-z0-9_]+>:<integer>, and nothing else starts with port_
    # but port_rss.
    text = cli(net, "info", "dataplane")
    for line in text.splitlines():
        if line.startswith("port_") and not line.startswith("port_rss:"):
            assert re.match(r"^port_[a-z0-9_]+:\d+$", line.strip()), line


def net_output_bytes(net):
    for line in cli(net, "info", "stats").splitlines():
        if line.startswith("total_net_output_bytes:"):
            return int(line.split(":")[1])
    raise AssertionError("INFO stats has no total_net_output_bytes")


def test_info_total_net_output_bytes_counts_replies_sent_by_the_userspace_stack(net, two_shard_server):
    before = net_output_bytes(net)
    payload = "x" * 1000
    assert cli(net, "echo", payload) == payload
    # The ECHO reply ($1000, the payload, CRLFs) and the INFO reply before
    # it were sent since `before` was read.
    assert net_output_bytes(net) - before >= len(payload) + 9
