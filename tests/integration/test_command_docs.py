"""COMMAND DOCS carries each command's argument tree, from which redis-cli
renders its as-you-type hints. The test renders the tree the way redis-cli
does and compares it with the same rendering of Debian's redis-server 7.0,
started here as the oracle: the names of inner nodes may differ, the syntax a
user sees may not."""
import pytest

from server_fixture import Server, target

COMMANDS = [
    "get", "set", "setnx", "setex", "psetex", "getset", "getdel", "getex", "mget",
    "mset", "msetnx", "incr", "decr", "incrby", "decrby", "incrbyfloat", "append",
    "strlen", "getrange", "setrange", "del", "unlink", "exists", "touch", "type",
    "expire", "pexpire", "expireat", "pexpireat", "ttl", "pttl", "expiretime",
    "pexpiretime", "persist", "rename", "renamenx", "randomkey", "keys", "scan",
    "ping", "echo", "select", "auth", "hello", "dbsize", "flushall", "flushdb", "time",
]


def as_dict(pairs):
    if isinstance(pairs, dict):
        return pairs
    return {pairs[i]: pairs[i + 1] for i in range(0, len(pairs), 2)}


def render(arg):
    """One argument as redis-cli prints it in a hint."""
    arg = as_dict(arg)
    kind = arg[b"type"]
    flags = set(arg.get(b"flags", []))
    token = arg.get(b"token")
    if kind == b"oneof":
        text = "|".join(render(a) for a in arg[b"arguments"])
    elif kind == b"block":
        text = " ".join(render(a) for a in arg[b"arguments"])
        if token:
            text = token.decode() + " " + text
    elif kind == b"pure-token":
        text = token.decode()
    else:
        text = arg[b"name"].decode()
        if token:
            text = token.decode() + " " + text
    if b"multiple" in flags:
        text = "%s [%s ...]" % (text, text)
    if b"optional" in flags:
        text = "[%s]" % text
    return text


def hint(srv, command):
    conn = srv.conn()
    try:
        docs = as_dict(conn.call_decoded("COMMAND", "DOCS", command))
    finally:
        conn.close()
    doc = as_dict(docs[command.encode()])
    return " ".join(render(a) for a in doc.get(b"arguments", []))


@pytest.fixture(scope="module")
def oracle():
    if target() == "redis":
        pytest.skip("the oracle against itself proves nothing")
    import server_fixture
    saved = server_fixture.target
    server_fixture.target = lambda: "redis"
    try:
        srv = Server().start()
    finally:
        server_fixture.target = saved
    yield srv
    srv.stop()


@pytest.mark.parametrize("command", COMMANDS)
def test_command_docs_arguments_render_the_same_hint_as_redis(server, oracle, command):
    assert hint(server, command) == hint(oracle, command)


def test_command_docs_of_set_gives_redis_cli_its_hint(server):
    assert hint(server, "set") == (
        "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|"
        "PXAT unix-time-milliseconds|KEEPTTL]")
