"""Start and stop a server under test: tessera-server, or Debian's redis-server
as the oracle.

Which one runs is chosen by the environment, so the same suite proves both:
  TESSERA_TEST_TARGET=tessera (default) | redis
  TESSERA_BIN   path of tessera-server (default: build/tessera-server)
  TESSERA_SHARDS  shard count for the default fixture (default 1)
  TESSERA_DATAPLANE  epoll: run Tessera on the epoll fallback backend

redis-server is started with `--databases 1` so that SELECT of any index but 0
answers the same error Tessera gives ("ERR DB index is out of range").
"""
import os
import socket
import subprocess
import tempfile
import time

import redis

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def target():
    return os.environ.get("TESSERA_TEST_TARGET", "tessera")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One running server process on 127.0.0.1:port.

    `options` are Redis-style option names without dashes, e.g.
    {"maxclients": "5"}; both servers accept them as `--name value`.
    """

    def __init__(self, shards=1, options=None):
        self.port = free_port()
        self.shards = shards
        self.options = dict(options or {})
        self.proc = None

    def command_line(self):
        opts = []
        for name, value in self.options.items():
            opts += ["--" + name, str(value)]
        if target() == "redis":
            return ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no", "--databases", "1",
                    "--daemonize", "no", "--logfile", ""] + opts
        binary = os.environ.get("TESSERA_BIN",
                                os.path.join(REPO_ROOT, "build", "tessera-server"))
        # TESSERA_DATAPLANE=epoll runs the suite on the fallback backend.
        dataplane = os.environ.get("TESSERA_DATAPLANE")
        extra = ["--dataplane", dataplane] if dataplane else []
        return [binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--shards", str(self.shards)] + extra + opts

    def start(self):
        # A file, not a pipe: a server that logs a lot must never block on it.
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.command_line(), stdout=subprocess.DEVNULL,
                                     stderr=self.log)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited early: %s" % self.log_text())
            try:
                if self.ready():
                    return self
            except (OSError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("server did not answer PING within 10 s")

    def ready(self):
        """True once the server answers; subclasses may probe differently."""
        return redis.Redis(port=self.port, socket_timeout=1).ping()

    def client(self, **kwargs):
        kwargs.setdefault("socket_timeout", 10)
        return redis.Redis(host="127.0.0.1", port=self.port, **kwargs)

    def log_text(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        """SIGTERM, then wait. Returns the exit status (0 for a clean exit;
        a sanitizer report makes it non-zero)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else 0
