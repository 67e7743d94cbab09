#!/usr/bin/env bash
# tests/fuzz/campaign.sh — a long libFuzzer campaign over polc's fuzz targets.
#
#   tests/fuzz/campaign.sh [-m MINUTES] [-p PARALLEL] [-o BUILD] [-s SCRATCH] [-B] [TARGET...]
#   tests/fuzz/campaign.sh -T SCRATCH            # print the table of an earlier campaign
#   tests/fuzz/campaign.sh -M SCRATCH [-n MAX] [-o BUILD] TARGET...
#                                                # minimise a campaign's new inputs
#
# Builds the fuzzers (make O=BUILD fuzz-build), then runs every TARGET (default:
# every tests/fuzz/fuzz_*.c; names with or without the fuzz_ prefix) for
# MINUTES (default 20) under nice -n 19, PARALLEL (default 2) at a time.
# The committed seeds (tests/fuzz/corpus/NAME) and regressions
# (tests/fuzz/regress/NAME) are only read: new corpus entries go to
# SCRATCH/NAME/corpus, crashing / timing-out / leaking inputs to SCRATCH/NAME/crashes.
# A target that stops on a finding is restarted (its corpus kept) until its
# time is used up, at most 20 times, so one bug does not end the campaign.
#
# Collected per target (SCRATCH/NAME/{log.N,time.N}, summed over restarts):
# wall and CPU seconds (user+sys of the fuzzer, from bash's `time`), executed
# units and peak RSS (-print_final_stats=1), coverage cov/ft/corp from the
# last status line, findings.  The table goes to SCRATCH/table.md and stdout.
#
# -M keeps, per TARGET, the inputs of SCRATCH/NAME/corpus (none larger than
# 4 KiB) that add the most coverage features over the committed seeds: a
# greedy set cover over libFuzzer's merge control file, at most MAX (default
# 30), in SCRATCH/NAME/min — to be reviewed and copied into
# tests/fuzz/corpus/NAME.
#
# SCRATCH defaults to /tmp/polc-fuzz-campaign.  -B skips the build.
set -u
cd "$(dirname "$0")/../.." || exit 2
SRC=$(pwd)

minutes=20
parallel=2
build=${O:-build}
scratch=/tmp/polc-fuzz-campaign
do_build=1
mode=run
max_keep=30
while getopts "m:p:o:s:BT:M:n:h" opt; do
	case $opt in
	m) minutes=$OPTARG ;;
	p) parallel=$OPTARG ;;
	o) build=$OPTARG ;;
	s) scratch=$OPTARG ;;
	B) do_build=0 ;;
	T) mode=table; scratch=$OPTARG ;;
	M) mode=min; scratch=$OPTARG ;;
	n) max_keep=$OPTARG ;;
	h) sed -n '2,/^set -u/p' "$0" | sed 's/^# \{0,1\}//;$d'; exit 0 ;;
	*) exit 2 ;;
	esac
done
shift $((OPTIND - 1))
case "$build" in /*) ;; *) build="$SRC/$build" ;; esac
case "$minutes" in '' | *[!0-9]*) echo "campaign: -m wants whole minutes" >&2; exit 2 ;; esac
case "$parallel" in '' | *[!0-9]* | 0) echo "campaign: -p wants a positive number" >&2; exit 2 ;; esac

targets=()
if [ $# -gt 0 ]; then
	for t in "$@"; do targets+=("${t#fuzz_}"); done
elif [ "$mode" = table ]; then
	for d in "$scratch"/*/; do [ -d "$d/corpus" ] && targets+=("$(basename "$d")"); done
else
	for f in tests/fuzz/fuzz_*.c; do
		t=$(basename "$f" .c)
		targets+=("${t#fuzz_}")
	done
fi

# Sum of a `stat::NAME:` over every run log of a target.
stat_sum() { cat "$1"/log.* 2>/dev/null | awk -v k="stat::$2:" '$1 == k { s += $2 } END { print s + 0 }'; }
stat_max() { cat "$1"/log.* 2>/dev/null | awk -v k="stat::$2:" '$1 == k && $2 > m { m = $2 } END { print m + 0 }'; }

# cov/ft/corp from the last libFuzzer status line of the last run.
last_status() {
	local last
	last=$(ls "$1"/log.* 2>/dev/null | sort -t. -k2 -n | tail -1)
	[ -n "$last" ] || { echo "- - -"; return; }
	grep -E '^#[0-9]+.*cov: ' "$last" | tail -1 |
		awk '{ c = "-"; f = "-"; k = "-"
		       for (i = 1; i < NF; i++) {
		         if ($i == "cov:") c = $(i + 1)
		         if ($i == "ft:") f = $(i + 1)
		         if ($i == "corp:") k = $(i + 1) } }
		     END { print c, f, k }'
}

table() {
	local out="$scratch/table.md"
	{
		echo "| target | minutes | runs | CPU s | executions | exec/s | cov | ft | corpus (n/size) | new inputs | peak RSS MB | findings |"
		echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
		for t in "${targets[@]}"; do
			local d="$scratch/$t"
			[ -d "$d" ] || continue
			local wall cpu runs execs cov ft corp rss newu finds eps
			runs=$(ls "$d"/time.* 2>/dev/null | wc -l)
			wall=$(cat "$d"/time.* 2>/dev/null | awk '{ s += $3 } END { printf "%.1f", s / 60 }')
			cpu=$(cat "$d"/time.* 2>/dev/null | awk '{ s += $1 + $2 } END { printf "%.0f", s }')
			execs=$(stat_sum "$d" number_of_executed_units)
			newu=$(ls "$d/corpus" 2>/dev/null | wc -l)
			rss=$(stat_max "$d" peak_rss_mb)
			read -r cov ft corp < <(last_status "$d")
			eps=$(awk -v e="$execs" -v c="$cpu" 'BEGIN { if (c > 0) printf "%.0f", e / c; else print "-" }')
			finds=$(ls "$d/crashes" 2>/dev/null | sed 's/-.*//' | sort | uniq -c | awk '{ printf "%s%d %s", sep, $1, $2; sep = ", " }')
			echo "| $t | $wall | $runs | $cpu | $execs | $eps | $cov | $ft | $corp | $newu | $rss | ${finds:-none} |"
		done
	} >"$out"
	cat "$out"
}

run_target() {
	local t=$1 bin="$build/fuzz/fuzz_$1" d="$scratch/$1"
	mkdir -p "$d/corpus" "$d/crashes"
	local dirs=("$d/corpus")
	[ -d "tests/fuzz/corpus/$t" ] && dirs+=("tests/fuzz/corpus/$t")
	[ -d "tests/fuzz/regress/$t" ] && dirs+=("tests/fuzz/regress/$t")
	local budget=$((minutes * 60)) used=0 n=0 st
	local TIMEFORMAT='%3U %3S %3R'
	while [ "$used" -lt "$budget" ] && [ "$n" -lt 20 ]; do
		n=$((n + 1))
		# -timeout: an input slower than 10 s is a finding; -rss_limit_mb:
		# so is one that needs more than 2 GiB (two run at once here).
		{ time nice -n 19 "$bin" -max_total_time=$((budget - used)) -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$d/crashes/" \
			"${dirs[@]}" >"$d/log.$n" 2>&1; } 2>"$d/time.$n"
		st=$?
		used=$((used + $(awk '{ printf "%d", $3 + 0.999 }' "$d/time.$n")))
		[ "$st" -eq 0 ] && break
		echo "campaign: $t stopped (status $st) after ${used}s; see $d/log.$n" >&2
		# A fuzzer that cannot even start (missing binary, bad option)
		# would spin here: stop after a run shorter than 5 s without a finding.
		if ! grep -qE '^artifact_prefix|Test unit written to' "$d/log.$n" &&
			[ "$(awk '{ printf "%d", $3 }' "$d/time.$n")" -lt 5 ]; then
			break
		fi
	done
	echo "campaign: $t done: $(last_status "$d")"
}

minimise() {
	local t=$1 bin="$build/fuzz/fuzz_$1" d="$scratch/$1"
	[ -x "$bin" ] || { echo "campaign: no $bin" >&2; return 1; }
	[ -d "$d/corpus" ] || { echo "campaign: no $d/corpus" >&2; return 1; }
	local base="$d/min.base" cand="$d/min.cand"
	rm -rf "$base" "$cand" "$d/min" "$d/min.ctl"
	mkdir -p "$base" "$cand" "$d/min"
	[ -d "tests/fuzz/corpus/$t" ] && cp "tests/fuzz/corpus/$t"/* "$base"/ 2>/dev/null
	# Small inputs only, so the repository stays light.
	find "$d/corpus" -type f -size -4097c -exec cp {} "$cand"/ \;
	# The control file records the features of every input; a greedy set
	# cover over it keeps the inputs that add the most over the seeds.
	nice -n 19 "$bin" -merge=1 -merge_control_file="$d/min.ctl" -timeout=10 -rss_limit_mb=2048 \
		"$base" "$cand" >"$d/min.log" 2>&1
	python3 - "$d/min.ctl" "$max_keep" "$d/min" <<'PY'
import os, shutil, sys
ctl, keep, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
lines = open(ctl).read().split('\n')
n, nfirst = int(lines[0]), int(lines[1])
files = lines[2:2 + n]
feats, size = {}, {}
for l in lines[2 + n:]:
    w = l.split()
    if len(w) >= 3 and w[0] == 'STARTED':
        size[int(w[1])] = int(w[2])
    elif w and w[0] == 'FT':
        feats[int(w[1])] = set(w[2:])
have = set()
for i in range(nfirst):
    have |= feats.get(i, set())
cands = [i for i in range(nfirst, n) if i in feats]
total = set()
for i in cands:
    total |= feats[i]
total -= have
picked = []
while len(picked) < keep:
    best, gain = None, 0
    for i in cands:
        g = len(feats[i] - have)
        if g > gain or (g == gain and g and size.get(i, 0) < size.get(best, 0)):
            best, gain = i, g
    if best is None:
        break
    picked.append((best, gain))
    have |= feats[best]
    cands.remove(best)
for i, g in picked:
    shutil.copy(files[i], os.path.join(out, os.path.basename(files[i])))
print('%d candidates, %d picked adding %d of the %d features the campaign found over %d seeds' %
      (n - nfirst, len(picked), sum(g for _, g in picked), len(total), nfirst))
PY
	echo "campaign: $t: kept $(ls "$d/min" | wc -l) inputs in $d/min"
	rm -rf "$base" "$cand"
}

campaign() {
	if [ "$do_build" = 1 ]; then
		nice -n 19 make --no-print-directory O="$build" fuzz-build || exit 2
	fi
	mkdir -p "$scratch"
	echo "campaign: ${#targets[@]} targets, $minutes min each, $parallel at a time, scratch $scratch"
	local running=0 t
	for t in "${targets[@]}"; do
		if [ ! -x "$build/fuzz/fuzz_$t" ]; then
			echo "campaign: no fuzzer $build/fuzz/fuzz_$t, skipped" >&2
			continue
		fi
		if [ "$running" -ge "$parallel" ]; then
			wait -n
			running=$((running - 1))
		fi
		run_target "$t" &
		running=$((running + 1))
	done
	wait
	table
}

main() {
	case $mode in
	table) table ;;
	min) for t in "${targets[@]}"; do minimise "$t"; done ;;
	run) campaign ;;
	esac
}

# Everything above is a definition and this is one line: bash has read the
# whole script before the campaign starts, so editing this file while a
# campaign runs cannot change or break it.
main; exit $?
