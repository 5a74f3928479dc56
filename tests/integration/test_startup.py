"""Process-level behaviour: command-line and config-file parsing, and
shutting down on SIGTERM or SHUTDOWN.

Redis reports a bad option with a multi-line "FATAL CONFIG FILE ERROR" banner
on stderr, Tessera with its own wording; both must exit with status 1 and name
the offending option, which is what these tests check.
"""
import signal
import subprocess

import pytest

from resp_socket import RespConn, encode_command
import server_fixture
from server_fixture import free_port, host_dataplane, target

tessera_only = pytest.mark.skipif(target() == "redis",
                                  reason="Tessera wording; Redis 7.0 differs")


class Server(server_fixture.Server):
    """These tests are about the process (its options, config file, signals,
    port), not the dataplane: under TESSERA_DATAPLANE=dpdk they run on the
    kernel backend on loopback, in the client namespace."""

    def __init__(self, shards=1, options=None):
        server_fixture.Server.__init__(self, shards, options, dataplane=host_dataplane())


def run_expecting_exit(args, timeout=10):
    """Run a server command line that must exit by itself; kill it if it
    starts serving instead so that the test fails rather than hangs."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise AssertionError("server kept running with %r" % (args,))
    return proc.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def with_option(name, value):
    srv = Server(options={name: value})
    return srv.command_line()


class ConfigFileServer(Server):
    """A server whose listening port comes from a config file: the fixture's
    own --port is dropped so the file is what decides."""

    def __init__(self, config_path, port, options=None):
        Server.__init__(self, options=options)
        self.config_path = config_path
        self.port = port

    def command_line(self):
        args = Server.command_line(self)
        i = args.index("--port")
        del args[i:i + 2]
        return [args[0], self.config_path] + args[1:]


def write_config(tmp_path, lines):
    path = tmp_path / "tessera.conf"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


# --- bad options ---------------------------------------------------------------------

@pytest.mark.parametrize("name,value", [
    ("no-such-option", "1"),
    ("port", "abc"),
    ("maxmemory-policy", "bogus"),
    ("maxclients", "abc"),
    ("maxmemory", "lots"),
], ids=["unknown-option", "port-not-a-number", "unknown-policy", "maxclients-not-a-number",
        "maxmemory-not-a-size"])
def test_bad_command_line_option_exits_1_naming_the_option(name, value):
    code, _, err = run_expecting_exit(with_option(name, value))
    assert code == 1
    assert name in err


@tessera_only
def test_bad_option_message_on_stderr_names_option_and_rejected_value():
    code, out, err = run_expecting_exit(with_option("maxmemory-policy", "bogus"))
    assert code == 1
    assert out == ""
    assert "maxmemory-policy" in err and "bogus" in err


@tessera_only
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_usage_and_exits_0(flag):
    # A newcomer's first command (issue 12, item 9). redis-server prints its
    # usage too, but to stderr with exit status 1; Tessera follows the GNU
    # convention (stdout, 0), so that `--help | less` works.
    binary = Server().command_line()[0]
    code, out, err = run_expecting_exit([binary, flag])
    assert code == 0
    assert out.startswith("Usage: ") and "--port" in out
    assert err == ""


def test_option_given_without_a_value_exits_1():
    args = Server().command_line() + ["--maxclients"]
    code, _, err = run_expecting_exit(args)
    assert code == 1
    assert "maxclients" in err


def test_unknown_directive_in_config_file_exits_1_naming_it(tmp_path):
    path = write_config(tmp_path, ["port %d" % free_port(), "no-such-directive 1"])
    srv = ConfigFileServer(path, free_port())
    code, _, err = run_expecting_exit(srv.command_line())
    assert code == 1
    assert "no-such-directive" in err


def test_missing_config_file_exits_1_naming_the_file(tmp_path):
    path = str(tmp_path / "absent.conf")
    code, out, err = run_expecting_exit(ConfigFileServer(path, free_port()).command_line())
    assert code == 1
    if target() == "redis":
        # Redis logs this one through its logger, which writes to stdout here.
        assert path in out
    else:
        assert path in err


# --- config file -----------------------------------------------------------------------

def test_config_file_port_and_maxclients_are_honoured(tmp_path):
    port = free_port()
    path = write_config(tmp_path, [
        "# comments and blank lines are ignored",
        "",
        "port %d" % port,
        "maxclients 7",
        "maxmemory 2mb",
    ])
    srv = ConfigFileServer(path, port).start()
    try:
        with RespConn(port) as c:
            assert c.call("CONFIG", "GET", "maxclients") == \
                b"*2\r\n$10\r\nmaxclients\r\n$1\r\n7\r\n"
            assert c.call("CONFIG", "GET", "maxmemory") == \
                b"*2\r\n$9\r\nmaxmemory\r\n$7\r\n2097152\r\n"
            assert c.call("CONFIG", "GET", "port") == \
                b"*2\r\n$4\r\nport\r\n$%d\r\n%d\r\n" % (len(str(port)), port)
    finally:
        srv.stop()


def test_command_line_options_override_the_config_file(tmp_path):
    port = free_port()
    path = write_config(tmp_path, ["port %d" % port, "maxclients 7"])
    srv = ConfigFileServer(path, port, options={"maxclients": "9"}).start()
    try:
        with RespConn(port) as c:
            assert c.call("CONFIG", "GET", "maxclients") == \
                b"*2\r\n$10\r\nmaxclients\r\n$1\r\n9\r\n"
    finally:
        srv.stop()


def test_command_line_options_are_applied(tmp_path):
    srv = Server(options={"maxmemory": "3mb", "maxmemory-policy": "allkeys-lru",
                          "timeout": "42"}).start()
    try:
        with srv.conn() as c:
            assert c.call("CONFIG", "GET", "maxmemory") == \
                b"*2\r\n$9\r\nmaxmemory\r\n$7\r\n3145728\r\n"
            assert c.call("CONFIG", "GET", "maxmemory-policy") == \
                b"*2\r\n$16\r\nmaxmemory-policy\r\n$11\r\nallkeys-lru\r\n"
            assert c.call("CONFIG", "GET", "timeout") == \
                b"*2\r\n$7\r\ntimeout\r\n$2\r\n42\r\n"
    finally:
        srv.stop()


def test_rename_command_in_the_config_file_removes_or_renames_commands(tmp_path):
    # What operators do after a KEYS or FLUSHALL took their server down.
    port = free_port()
    path = write_config(tmp_path, ["port %d" % port, 'rename-command KEYS ""',
                                   "rename-command FLUSHALL wipe-everything"])
    srv = ConfigFileServer(path, port).start()
    try:
        with RespConn(port) as c:
            assert c.call("SET", "k", "v") == b"+OK\r\n"
            assert c.call("KEYS", "*") == (
                b"-ERR unknown command 'KEYS', with args beginning with: '*' \r\n")
            assert c.call("FLUSHALL") == (
                b"-ERR unknown command 'FLUSHALL', with args beginning with: \r\n")
            assert c.call("WIPE-EVERYTHING") == b"+OK\r\n"
            assert c.call("DBSIZE") == b":0\r\n"
    finally:
        srv.stop()


class RenamingServer(Server):
    def command_line(self):
        return Server.command_line(self) + ["--rename-command", "CONFIG", ""]


def test_rename_command_on_the_command_line_removes_a_command():
    srv = RenamingServer().start()
    try:
        with srv.conn() as c:
            assert c.call("CONFIG", "GET", "port").startswith(b"-ERR unknown command 'CONFIG'")
            assert c.call("PING") == b"+PONG\r\n"
    finally:
        srv.stop()


@tessera_only
@pytest.mark.parametrize("line,why", [
    ("rename-command NOSUCH x", "no such command 'NOSUCH'"),
    ("rename-command GET set", "'set' is already a command's name"),
    ("rename-command GET", "rename-command takes a command name"),
])
def test_a_bad_rename_command_exits_1_saying_why(tmp_path, line, why):
    path = write_config(tmp_path, ["port %d" % free_port(), line])
    code, _, err = run_expecting_exit(ConfigFileServer(path, free_port()).command_line())
    assert code == 1
    assert why in err


# --- shutdown -----------------------------------------------------------------------

def wait_exit(proc, timeout=10):
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("server did not exit within %d s" % timeout)


def test_sigterm_makes_the_server_exit_0():
    srv = Server().start()
    try:
        with srv.conn() as c:
            assert c.call("SET", "k", "v") == b"+OK\r\n"
            srv.proc.send_signal(signal.SIGTERM)
            assert wait_exit(srv.proc) == 0
            assert c.is_closed_by_peer()
    finally:
        srv.stop()


@tessera_only
def test_sigterm_with_several_shards_exits_0():
    srv = Server(shards=2).start()
    try:
        srv.proc.send_signal(signal.SIGTERM)
        assert wait_exit(srv.proc) == 0
    finally:
        srv.stop()


def test_shutdown_nosave_exits_0_and_closes_the_connection_without_reply():
    srv = Server().start()
    try:
        with srv.conn() as c:
            c.send(encode_command("SHUTDOWN", "NOSAVE"))
            assert c.read_until_closed(timeout=10) == b""
        assert wait_exit(srv.proc) == 0
    finally:
        srv.stop()


def test_shutdown_with_unknown_argument_is_a_syntax_error_and_keeps_running():
    srv = Server().start()
    try:
        with srv.conn() as c:
            assert c.call("SHUTDOWN", "FOO") == b"-ERR syntax error\r\n"
            assert c.call("PING") == b"+PONG\r\n"
        assert srv.proc.poll() is None
    finally:
        srv.stop()


def test_port_is_free_again_after_shutdown():
    srv = Server().start()
    port = srv.port
    srv.proc.send_signal(signal.SIGTERM)
    assert wait_exit(srv.proc) == 0
    srv.stop()
    again = Server()
    again.port = port
    again.start()
    try:
        with RespConn(port) as c:
            assert c.call("PING") == b"+PONG\r\n"
    finally:
        again.stop()


@pytest.mark.parametrize("shards", [1, 2])
def test_a_second_server_on_a_taken_port_exits_1_and_the_first_keeps_every_connection(shards):
    first = Server(shards=shards).start()
    try:
        second = Server(shards=shards)
        second.port = first.port
        code, out, err = run_expecting_exit(second.command_line())
        assert code == 1
        assert "Address already in use" in out + err  # Redis logs to stdout
        # Had the second shared the port, some of these would reach it.
        for _ in range(20):
            with RespConn(first.port) as c:
                assert c.call("PING") == b"+PONG\r\n"
    finally:
        first.stop()
