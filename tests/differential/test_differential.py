"""The differential test (diff_test.py) as a pytest case, with 1 and 2 shards.

    DIFF_COUNT   commands per case (default 20000)
    DIFF_SEED    fixed seed (default: a random one, printed in the output)
    TESSERA_BIN  server under test (default build/tessera-server)
    TESSERA_TEST_TARGET=redis  compare redis-server with itself instead (runs
                 once: the shard count means nothing to redis-server)
"""
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "diff_test.py")
AGAINST_REDIS = os.environ.get("TESSERA_TEST_TARGET", "tessera") == "redis"


@pytest.mark.parametrize("shards", [1] if AGAINST_REDIS else [1, 2],
                         ids=lambda n: "%dshard" % n)
def test_differential(shards):
    cmd = [sys.executable, SCRIPT, "--count", os.environ.get("DIFF_COUNT", "20000"),
           "--shards", str(shards)]
    if os.environ.get("DIFF_SEED"):
        cmd += ["--seed", os.environ["DIFF_SEED"]]
    if AGAINST_REDIS:
        cmd.append("--against-redis")
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=600)
    out = proc.stdout.decode(errors="replace")
    print(out)
    assert proc.returncode == 0, "differential test failed (exit %d):\n%s" % (
        proc.returncode, out[-6000:])
