import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from netns_fixture import DpdkServer, Network, can_run  # noqa: E402


def pytest_collection_modifyitems(config, items):
    reason = can_run()
    if reason:
        skip = pytest.mark.skip(reason="DPDK tests: " + reason)
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="module")
def net():
    network = Network().open()
    yield network
    network.close()


@pytest.fixture(scope="module")
def dpdk_server(net):
    srv = DpdkServer(net).start()
    yield srv
    status = srv.stop()
    assert status == 0, "server exited with %s:\n%s" % (status, srv.log_text()[-4000:])
