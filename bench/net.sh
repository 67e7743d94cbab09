#!/usr/bin/env bash
# bench/net.sh — the network domain's figures (never a pass/fail test).
#
#  1. bench/nt_bench: net-table lookups per second on one core for 10, 1 000
#     and 100 000 rows, against the 10-row table (flatness) and against a
#     plain scan of the rules.  Target: >= 10 M/s at 100 000 rows, flat.
#  2. bench/px_bench: bulk throughput through a CONNECT tunnel of the proxy
#     against a direct loopback connection to the same upstream (target
#     >= 90%), the CPU each party spends per GB, and the median latency a
#     tunnel adds to opening a connection, all measured alternately in the
#     same run (medians over RUNS runs).  PX_BENCH_CC=reno (passed through)
#     compares as on a host whose default congestion control does not pace.
#
#   bench/net.sh   O=build  SECS=2 (per lookup figure)  MIB=1024  CONNS=500  RUNS=5
set -eu
cd "$(dirname "$0")/.."
O=${O:-build}
SECS=${SECS:-2}
MIB=${MIB:-1024}
CONNS=${CONNS:-500}
RUNS=${RUNS:-5}
make -s O="$O" "$O/bench/nt_bench" "$O/bench/px_bench" >/dev/null
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$O/bench/nt_bench" "$SECS"
echo
"$O/bench/px_bench" "$MIB" "$CONNS" "$RUNS"
