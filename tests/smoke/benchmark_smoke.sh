#!/bin/bash
# Smoke test: tessera-server (2 shards) survives a short redis-benchmark run of
# PING, SET, GET, INCR and MSET with no error replies and non-zero throughput.
#
#   tests/smoke/benchmark_smoke.sh
#   TESSERA_BIN=/path/to/tessera-server tests/smoke/benchmark_smoke.sh
#
# Exit 0 and "benchmark smoke: ok" on success; exit 1 with a message otherwise.
set -u

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${TESSERA_BIN:-$REPO_ROOT/build/tessera-server}
SHARDS=2
REQUESTS=20000
CLIENTS=20
# redis-benchmark -q names for -t ping,set,get,incr,mset
EXPECTED=("PING_INLINE" "PING_MBULK" "SET" "GET" "INCR" "MSET (10 keys)")

fail() {
    echo "benchmark smoke: FAIL: $*" >&2
    exit 1
}

command -v redis-benchmark >/dev/null || fail "redis-benchmark not found"
command -v redis-cli >/dev/null || fail "redis-cli not found"
[ -x "$BIN" ] || fail "server binary $BIN not found or not executable (set TESSERA_BIN)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/benchmark_smoke.XXXXXX") || fail "mktemp failed"
SERVER_PID=""

SERVER_GROUP=""  # set when the server leads its own process group (setsid)

signal_server() {
    if [ -n "$SERVER_GROUP" ]; then
        kill -"$1" -- "-$SERVER_GROUP" 2>/dev/null
    else
        kill -"$1" "$SERVER_PID" 2>/dev/null
    fi
}

stop_server() {
    # SIGTERM, up to 10 s grace, then SIGKILL. Returns 1 if SIGKILL was needed.
    [ -n "$SERVER_PID" ] || return 0
    local rc=0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        signal_server TERM
        for _ in $(seq 100); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$SERVER_PID" 2>/dev/null; then
            signal_server KILL
            rc=1
        fi
    fi
    wait "$SERVER_PID" 2>/dev/null
    # anything the server left behind in its own group (e.g. a wrapper's child)
    [ -n "$SERVER_GROUP" ] && kill -KILL -- "-$SERVER_GROUP" 2>/dev/null
    SERVER_PID=""
    SERVER_GROUP=""
    return $rc
}

cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    if [ -x /usr/bin/python3 ]; then
        /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
    else
        echo $((20000 + RANDOM % 40000))
    fi
}

show_log() {
    if [ -s "$WORK/server.log" ]; then
        echo "--- server output (last 40 lines) ---" >&2
        tail -n 40 "$WORK/server.log" >&2
    fi
}

PORT=$(free_port) || fail "could not pick a free port"
# In its own session when setsid is there (a non-interactive shell's background
# child is no group leader, so setsid execs in place and keeps the pid).
if command -v setsid >/dev/null; then
    setsid "$BIN" --port "$PORT" --bind 127.0.0.1 --shards "$SHARDS" >"$WORK/server.log" 2>&1 &
else
    "$BIN" --port "$PORT" --bind 127.0.0.1 --shards "$SHARDS" >"$WORK/server.log" 2>&1 &
fi
SERVER_PID=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do
    pgid=$(ps -o pgid= -p "$SERVER_PID" 2>/dev/null | tr -d ' ')
    if [ "$pgid" = "$SERVER_PID" ]; then SERVER_GROUP=$SERVER_PID; break; fi
    [ -z "$pgid" ] && break
    sleep 0.05  # setsid may not have run yet
done

# wait (at most 10 s) for PONG
ready=0
for _ in $(seq 100); do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        wait "$SERVER_PID"
        rc=$?
        stop_server
        show_log
        fail "server exited during startup (exit status $rc)"
    fi
    if [ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$PORT" ping 2>/dev/null)" = "PONG" ]; then
        ready=1
        break
    fi
    sleep 0.1
done
[ $ready = 1 ] || { show_log; fail "server did not answer PING on port $PORT within 10 s"; }

timeout 120 redis-benchmark -h 127.0.0.1 -p "$PORT" -t ping,set,get,incr,mset \
    -n "$REQUESTS" -c "$CLIENTS" -q >"$WORK/bench.raw" 2>&1
bench_rc=$?
# -q still writes \r-separated progress lines; keep one line per record
tr '\r' '\n' <"$WORK/bench.raw" | sed -e 's/[[:space:]]*$//' -e '/^$/d' >"$WORK/bench.out"

problems=()
if [ $bench_rc -eq 124 ]; then
    problems+=("redis-benchmark did not finish within 120 s")
elif [ $bench_rc -ne 0 ]; then
    problems+=("redis-benchmark exited with status $bench_rc")
fi

if grep -iE 'error|(^|[^[:alpha:]])err([^[:alpha:]]|$)' "$WORK/bench.out" >"$WORK/errors"; then
    echo "--- error lines from redis-benchmark ---" >&2
    sort "$WORK/errors" | uniq -c | head -n 20 >&2
    problems+=("redis-benchmark reported errors")
fi

for name in "${EXPECTED[@]}"; do
    line=$(awk -v p="$name: " 'index($0, p) == 1 && /requests per second/' "$WORK/bench.out" | tail -n 1)
    if [ -z "$line" ]; then
        problems+=("test '$name' missing from redis-benchmark output")
        continue
    fi
    rps=${line#"$name: "}
    rps=${rps%% *}
    if ! awk -v v="$rps" 'BEGIN { exit !(v + 0 > 0) }'; then
        problems+=("test '$name' reports $rps requests per second")
    fi
done

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    wait "$SERVER_PID"
    problems+=("server died during the benchmark (exit status $?)")
    stop_server
fi

if [ ${#problems[@]} -gt 0 ]; then
    echo "--- redis-benchmark output ---" >&2
    grep -F 'requests per second' "$WORK/bench.out" >&2
    tail -n 5 "$WORK/bench.out" | grep -vF 'requests per second' >&2
    show_log
    stop_server
    fail "$(printf '%s; ' "${problems[@]}")"
fi

grep -F 'requests per second' "$WORK/bench.out"
if ! stop_server; then
    show_log
    fail "server did not exit within 10 s of SIGTERM"
fi
echo "benchmark smoke: ok"
