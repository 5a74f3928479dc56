"""The process handling every test server shares: tessera-server on the
kernel backend (tests/integration/server_fixture.Server), on the DPDK
dataplane in a network namespace (tests/dpdk/netns_fixture.DpdkServer), or
Debian's redis-server as the oracle.

A subclass gives command_line() and ready(); this class starts the process
with its output in a file, waits until it is ready or has died, and stops it
with SIGTERM, returning the exit status so a fixture can insist on a clean
exit (a crash or a sanitizer report makes it non-zero).
"""
import subprocess
import tempfile
import time


class ServerProcess:
    name = "server"
    proc = None
    log = None

    def command_line(self):
        raise NotImplementedError

    def ready(self):
        """True once the server can serve; exceptions count as not yet."""
        raise NotImplementedError

    def start_process(self, timeout):
        # A file, not a pipe: a server that logs a lot must never block on it.
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.command_line(), stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited %s before it was ready:\n%s" %
                                   (self.name, self.proc.returncode, self.log_text()))
            try:
                if self.ready():
                    return self
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("%s not ready within %d s:\n%s" % (self.name, timeout, self.log_text()))

    def log_text(self):
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def stop(self):
        """SIGTERM, then wait. Returns the exit status (0 for a clean exit)."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else 0
