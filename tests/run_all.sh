#!/usr/bin/env bash
# Run every Tessera test: unit tests and the redis-py integration suite on a
# normal build (-Werror) and on an ASan+UBSan build, the differential test
# against Debian's redis-server, the DPDK dataplane in network namespaces,
# the redis-benchmark smoke test, and the libFuzzer targets of tests/fuzz/
# (FUZZ_SECONDS each).
# Installs what it lacks with apt-get (Debian 12, as root). Ends with the line
# "N passed, N failed"; exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=/usr/bin/python3   # Debian's python3, with python3-redis and pytest

DEPS="meson ninja-build gcc pkg-config liburing-dev libnuma-dev libxxhash-dev libmimalloc-dev libdpdk-dev
      redis-server redis-tools python3-redis python3-pytest python3-hypothesis
      iproute2 ethtool iputils-ping iptables clang"
missing=$(for p in $DEPS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
	echo "== installing: $missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >/dev/null && apt-get install -y -q $missing >/dev/null || {
		echo "could not install: $missing"; echo "0 passed, 1 failed"; exit 1; }
fi
# Debian's redis-server package may start a service on 6379: tests use their
# own ports, but a stray instance must not be mistaken for Tessera.
systemctl stop redis-server >/dev/null 2>&1 || true

passed=0
failed=0
count() { passed=$((passed + $1)); failed=$((failed + $2)); }

# pytest's summary line, e.g. "== 12 passed, 1 failed, 2 skipped in 3.1s =="
count_pytest() {
	local log=$1 p f e
	p=$(grep -Eo '[0-9]+ passed' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
	f=$(grep -Eo '[0-9]+ failed' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
	e=$(grep -Eo '[0-9]+ errors?' "$log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
	count "${p:-0}" $(( ${f:-0} + ${e:-0} ))
}

build() {
	local dir=$1; shift
	echo "== build $dir"
	if [ ! -d "$dir" ]; then
		meson setup "$dir" -Dwerror=true "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
	fi
	ninja -C "$dir" >"$dir.build.log" 2>&1 || { cat "$dir.build.log"; return 1; }
}

run_unit() {
	local dir=$1 log
	log=$(mktemp)
	echo "== unit tests ($dir)"
	meson test -C "$dir" --suite unit --print-errorlogs >"$log" 2>&1
	grep -E '^ *[0-9]+/[0-9]+ ' "$log"
	# Count test cases, not binaries: each prints "N passed, M failed".
	local cases ok fail binfail
	cases=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$dir/meson-logs/testlog.txt")
	ok=$(echo "$cases" | awk '{s += $1} END {print s + 0}')
	fail=$(echo "$cases" | awk '{s += $3} END {print s + 0}')
	# A binary that crashed printed no summary: count it as one failure.
	binfail=$(grep -Eo '^(Fail|Timeout): +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
	[ "$binfail" -gt "$fail" ] && fail=$binfail
	[ "$fail" -gt 0 ] && cat "$log"
	count "$ok" "$fail"
	rm -f "$log"
}

run_pytest() {
	local name=$1 bin=$2; shift 2
	local log
	log=$(mktemp)
	echo "== $name"
	local t0=$SECONDS
	TESSERA_BIN=$bin timeout 900 "$PY" -m pytest -q -p no:cacheprovider "$@" >"$log" 2>&1
	local rc=$?
	echo "   ($((SECONDS - t0)) s)"
	tail -n 40 "$log" | grep -Ev '^\s*$' | tail -n 25
	count_pytest "$log"
	# pytest's exit 5 means no test ran: that is a failure here.
	if [ $rc -ne 0 ] && ! grep -Eq '[0-9]+ failed|[0-9]+ errors?' "$log"; then count 0 1; fi
	rm -f "$log"
}

echo "== engine layering: include order, no self-lookups (tests/layering)"
if bash tests/layering/check_engine_layers.sh; then count 1 0; else count 0 1; fi

if build build; then
	run_unit build
	run_pytest "integration (normal build)" "$ROOT/build/tessera-server" tests/integration
	TESSERA_DATAPLANE=epoll run_pytest "integration (epoll fallback backend)" "$ROOT/build/tessera-server" tests/integration
	run_pytest "differential vs redis-server" "$ROOT/build/tessera-server" tests/differential
	run_pytest "DPDK dataplane (network namespaces, af_packet)" "$ROOT/build/tessera-server" tests/dpdk
	# The same integration suite with every server on the DPDK dataplane and
	# pytest's clients as kernel clients in the client namespace; then a
	# representative subset under faults: injected by the dataplane (seeded,
	# the seed is printed), dropped at random by iptables in the client
	# namespace, and both at once.
	TESSERA_DATAPLANE=dpdk run_pytest "integration over DPDK (network namespaces, af_packet)" \
		"$ROOT/build/tessera-server" tests/integration
	# The whole suite under faults takes 14 min: the wire protocol (framing
	# across segments) and cross-shard routing (forwarding between queues),
	# on 2 shards, keep each fault run near a minute.
	FAULT_SUBSET=(tests/integration/test_protocol.py tests/integration/test_cross_shard.py
		-k 2shard -m "not timing")
	FAULTS="loss=5,reorder=10,dup=1,corrupt=0.5"
	TESSERA_DATAPLANE=dpdk TESSERA_DPDK_FAULTS=$FAULTS run_pytest \
		"integration subset over DPDK, dpdk-fault-inject $FAULTS" "$ROOT/build/tessera-server" "${FAULT_SUBSET[@]}"
	TESSERA_DATAPLANE=dpdk TESSERA_CLIENT_LOSS=5 run_pytest \
		"integration subset over DPDK, 5% random loss each way (iptables)" "$ROOT/build/tessera-server" "${FAULT_SUBSET[@]}"
	TESSERA_DATAPLANE=dpdk TESSERA_DPDK_FAULTS=$FAULTS TESSERA_CLIENT_LOSS=5 run_pytest \
		"integration subset over DPDK, fault-inject and iptables loss together" "$ROOT/build/tessera-server" "${FAULT_SUBSET[@]}"
	echo "== redis-benchmark smoke"
	if TESSERA_BIN=$ROOT/build/tessera-server bash tests/smoke/benchmark_smoke.sh; then count 1 0; else count 0 1; fi
else
	count 0 1
fi

if build build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug; then
	export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	run_unit build-asan
	run_pytest "integration (ASan+UBSan build)" "$ROOT/build-asan/tessera-server" tests/integration
else
	count 0 1
fi

# libFuzzer targets (tests/fuzz/), each for a bounded time from its seed
# corpus (copied: what a run adds stays out of the repository). A crash
# leaves its input in the log's directory; keep it as a regression seed.
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
if CC=clang build build-fuzz -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized; then
	for target in build-fuzz/tests/fuzz/fuzz_*; do
		[ -f "$target" ] && [ -x "$target" ] || continue
		name=$(basename "$target")
		corpus=$(mktemp -d)
		cp tests/fuzz/corpus/"${name#fuzz_}"/* "$corpus"/ 2>/dev/null
		echo "== fuzz $name (${FUZZ_SECONDS} s)"
		log=$(mktemp)
		if (cd "$(dirname "$log")" && "$ROOT/$target" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
			-max_total_time="$FUZZ_SECONDS" -print_final_stats=1 "$corpus") >"$log" 2>&1; then
			grep -E '^stat::number_of_executed_units' "$log" | sed 's/^/   /'
			count 1 0
		else
			tail -n 40 "$log"
			count 0 1
		fi
		rm -rf "$corpus" "$log"
	done
else
	count 0 1
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
