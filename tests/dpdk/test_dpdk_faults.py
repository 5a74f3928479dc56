"""The userspace TCP stack under a seeded loss/reorder/duplication/corruption
plan injected by the dataplane itself (dpdk-fault-inject), in both
directions: every reply stays right and every value intact. A failure names
the seed; rerun with DPDK_FAULT_SEED=<seed> to replay it."""
import os
import random

import pytest

from netns_fixture import SERVER_IP, DpdkServer, dataplane_figures

PY = "/usr/bin/python3"
SEED = int(os.environ.get("DPDK_FAULT_SEED", random.randrange(1, 1 << 30)))
SPEC = "loss=5,reorder=10,dup=1,corrupt=0.5,seed=%d" % SEED


@pytest.fixture(scope="module")
def faulty_server(net):
    srv = DpdkServer(net, extra=["--dpdk-fault-inject", SPEC]).start()
    yield srv
    status = srv.stop()
    assert status == 0, srv.log_text()[-4000:]


def run_client(net, script, timeout=120):
    out = net.client(PY, "-c", script, timeout=timeout)
    assert out.returncode == 0, "seed %d (%s):\n%s%s" % (SEED, SPEC, out.stdout, out.stderr)
    return out.stdout


def test_commands_under_injected_faults_all_answer_right(net, faulty_server):
    run_client(net, (
        "import redis\n"
        "r = redis.Redis(host=%r, socket_timeout=30)\n"
        "for i in range(300):\n"
        "    assert r.set('k%%d' %% i, 'v%%d' %% i)\n"
        "    assert r.get('k%%d' %% i) == b'v%%d' %% i\n"
        "    assert r.incr('counter') == i + 1\n"
        "p = r.pipeline(transaction=False)\n"
        "for i in range(500):\n"
        "    p.get('k%%d' %% (i %% 300))\n"
        "assert p.execute() == [b'v%%d' %% (i %% 300) for i in range(500)]\n" % SERVER_IP))


def test_large_values_round_trip_intact_under_injected_faults(net, faulty_server):
    out = run_client(net, (
        "import hashlib, os, redis\n"
        "r = redis.Redis(host=%r, socket_timeout=120)\n"
        "for size in (1 << 20,):\n"
        "    v = os.urandom(size)\n"
        "    r.set('big', v)\n"
        "    assert hashlib.sha256(r.get('big')).digest() == hashlib.sha256(v).digest(), size\n"
        "print('intact')\n" % SERVER_IP), timeout=240)
    assert out.strip() == "intact"


def test_faults_were_really_injected_and_counted(net, faulty_server):
    figures = dataplane_figures(net)
    assert sum(f["faults_injected"] for f in figures.values()) > 0, "seed %d: %s" % (SEED, figures)
