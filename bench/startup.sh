#!/usr/bin/env bash
# bench/startup.sh — what runmin costs (never a pass/fail test).
#
#  1. Start-up: `runmin -a base.pola -- /bin/true` against `/bin/true` alone
#     and against `bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all
#     true`, interleaved in the same run; medians (p10-p90) and ratios to
#     /bin/true.  Target: runmin <= 2x /bin/true.
#  2. System-call-heavy loops under runmin against bare, alternating: calls
#     on open descriptors (the seccomp program's cost; target within 5%) and
#     open+close (Landlock checks each open by walking the path, reported
#     apart); median ns per iteration.
#
# base.pola is stdlib-policies/base.yaml plus exec on the bench binaries,
# signed; if the seccomp backend cannot compile it yet, base's filesystem
# part alone is used and the output says so.
#
#   bench/startup.sh            O=build N=400 (spawns per command) R=7 (loop rounds)
set -eu
cd "$(dirname "$0")/.."
O=${O:-build}
case "$O" in /*) ;; *) O="$PWD/$O" ;; esac
N=${N:-400}
R=${R:-7}
ITER=${ITER:-200000}
make -s O="$O" "$O/polc" "$O/runmin" >/dev/null 2>&1 || echo "(make failed: using the binaries already in $O)"
POLC=$O/polc RUNMIN=$O/runmin
W=$(mktemp -d "${TMPDIR:-/tmp}/polc-bench.XXXXXX")
trap 'rm -rf "$W"' EXIT
# The timing programs need nothing of polc: plain libc, built here.
mkdir -p "$W/bin"
${CC:-cc} -O2 -o "$W/bin/startup_spawn" bench/startup_spawn.c
${CC:-cc} -O2 -o "$W/bin/sysloop" bench/sysloop.c
SPAWN=$W/bin/startup_spawn LOOP=$W/bin/sysloop
chmod 0755 "$W" "$W/bin"

"$POLC" keygen -p "$W/k.pub" -s "$W/k.sec" >/dev/null
cat >"$W/base.yaml" <<EOF
polc: 1
name: bench-base
extends: [$PWD/stdlib-policies/base.yaml]
filesystem:
  exec: [$W/bin]
EOF
what="stdlib base (Landlock + seccomp)"
if ! "$POLC" build "$W/base.yaml" -o "$W/base.pola" --sign "$W/k.sec" 2>"$W/build.err"; then
	# Same filesystem rules, no process section.
	sed -n '/^filesystem:/,/^process:/p' stdlib-policies/base.yaml | sed '$d' >"$W/fs.part"
	{ printf 'polc: 1\nname: bench-base-fs\n'; cat "$W/fs.part"; } >"$W/base.yaml"
	sed -i "s|^  exec: \[|  exec: [$W/bin, |" "$W/base.yaml"
	"$POLC" build "$W/base.yaml" -o "$W/base.pola" --sign "$W/k.sec" 2>/dev/null
	what="stdlib base filesystem rules + scopes only (no seccomp: $(grep -o 'error\[E[0-9]*\]: [^.]*' "$W/build.err" | head -1))"
fi
RM=("$RUNMIN" -a "$W/base.pola" -p "$W/k.pub" --)
BWRAP=$(command -v bwrap || true)
TRUE=/bin/true

echo "runmin start-up and overhead — $(uname -sr), $(nproc) CPUs, $(date -u +%Y-%m-%d)"
echo "policy: $what"
echo "runmin: $(stat -c %s "$RUNMIN") bytes, $(size "$RUNMIN" | awk 'NR==2 {print $1 " text"}')"
echo
echo "1. start-up, $N runs each, interleaved (microseconds: median [p10-p90])"
# /bin/sh -c /bin/true: the cost of any extra exec of a small program, the
# floor for a wrapper that execs the real program.
cmds=("$TRUE" --- "${RM[@]}" "$TRUE" --- /bin/sh -c "$TRUE" --- "$RUNMIN" --allow-unsigned -a "$W/base.pola" -- "$TRUE")
names=("/bin/true" "runmin -a base.pola -- /bin/true" "/bin/sh -c /bin/true (reference: one more exec)"
	"runmin --allow-unsigned (the same, minus the signature check)")
if [ -n "$BWRAP" ] && "$BWRAP" --ro-bind / / --dev /dev --proc /proc --unshare-all true 2>/dev/null; then
	cmds+=(--- "$BWRAP" --ro-bind / / --dev /dev --proc /proc --unshare-all true)
	names+=("bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all true")
else
	echo "   (bwrap missing or unable to run here: skipped)"
fi
div() { awk -v a="$1" -v b="$2" 'BEGIN {print a / b}'; }
mapfile -t res < <("$SPAWN" "$N" "${cmds[@]}")
base=$(echo "${res[0]}" | cut -d' ' -f1)
for i in "${!names[@]}"; do
	read -r med p10 p90 <<<"${res[$i]}"
	printf '   %-66s %8s us [%s-%s]  %5.2fx\n' "${names[$i]}" "$med" "$p10" "$p90" \
		"$(div "$med" "$base")"
done
if [ "${#res[@]}" -ge 5 ]; then
	printf '   bwrap / runmin: %.2fx\n' "$(div "${res[4]%% *}" "${res[1]%% *}")"
fi

echo
echo "2. syscall loops, $ITER iterations, $R rounds alternating bare/runmin (ns per iteration, median)"
bc=() bo=() rc=() ro=() fc=() fo=()
for _ in $(seq "$R"); do
	read -r x y < <("$LOOP" "$ITER" /etc/ld.so.cache)
	bc+=("$x") bo+=("$y")
	read -r x y < <("$LOOP" "$ITER" /etc/ld.so.cache allow-filter)
	fc+=("$x") fo+=("$y")
	read -r x y < <("${RM[@]}" "$LOOP" "$ITER" /etc/ld.so.cache)
	rc+=("$x") ro+=("$y")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%+.1f%%", (a / b - 1) * 100}'; }
row() { # LABEL BARE FLOOR RUNMIN
	printf '   %-44s %8s %8s %7s %8s %7s\n' "$1" "$2" "$3" "$(pct "$3" "$2")" "$4" "$(pct "$4" "$2")"
}
printf '   %-44s %8s %8s %7s %8s %7s\n' "" bare "allow-1" "" runmin ""
row "pread+fstat+getppid+write (seccomp)" "$(median "${bc[@]}")" "$(median "${fc[@]}")" "$(median "${rc[@]}")"
row "open+close (Landlock path walk + seccomp)" "$(median "${bo[@]}")" "$(median "${fo[@]}")" "$(median "${ro[@]}")"
echo "   allow-1: the same loop under a one-instruction seccomp program that allows"
echo "   everything, i.e. what the kernel charges for running any filter at all."
