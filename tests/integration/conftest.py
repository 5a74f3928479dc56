"""Fixtures shared by the integration suite.

Every test that takes `r` runs twice against Tessera, once with 1 shard and
once with 2 (against the oracle the shard count means nothing, so it runs once).
The database is flushed before each test.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from server_fixture import Server, target  # noqa: E402

SHARD_COUNTS = [1, 2] if target() == "tessera" else [1]


@pytest.fixture(scope="module", params=SHARD_COUNTS, ids=lambda n: "%dshard" % n)
def server(request):
    srv = Server(shards=request.param).start()
    yield srv
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
    from resp_socket import RespConn
    conn = RespConn(server.port)
    yield conn
    conn.close()


def start_server(shards=1, **options):
    """For tests that need their own server with special options."""
    return Server(shards=shards, options=options).start()
