"""The DPDK dataplane's own stack answers ARP and ICMP echo (RFC 826, RFC 792)
for a kernel client on the other end of the veth pair."""
from netns_fixture import SERVER_IP


def test_ping_to_the_dpdk_stack_gets_every_echo_answered(net, dpdk_server):
    out = net.client("ping", "-c", "5", "-i", "0.2", "-W", "2", SERVER_IP)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "5 packets transmitted, 5 received" in out.stdout


def test_arp_resolves_the_dpdk_stack_to_the_port_mac(net, dpdk_server):
    net.client("ping", "-c", "1", "-W", "2", SERVER_IP)
    neigh = net.client("ip", "neigh", "show", SERVER_IP).stdout
    assert "lladdr" in neigh and ("REACHABLE" in neigh or "STALE" in neigh or "DELAY" in neigh), neigh


def test_large_ping_payloads_come_back_intact(net, dpdk_server):
    # ping checks the payload pattern of each reply itself.
    out = net.client("ping", "-c", "3", "-s", "1400", "-p", "a5c3", "-W", "2", SERVER_IP)
    assert out.returncode == 0 and "3 received" in out.stdout, out.stdout + out.stderr
