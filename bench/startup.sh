#!/usr/bin/env bash
# bench/startup.sh — what runmin costs (never a pass/fail test).
#
#  1. Start-up: `runmin -a base.pola -- /bin/true` against `/bin/true` alone
#     and against `bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all
#     true`, interleaved in the same run; medians (p10-p90) and ratios to
#     /bin/true.  Target: runmin <= 2x /bin/true without networking
#     (`--no-netns`; the default also makes a network namespace).  Floors
#     measured alongside: a static program that only execs its argument
#     (what any exec wrapper costs), `unshare -n` (the namespace alone).
#  2. System-call-heavy loops under runmin against bare, alternating: calls
#     on open descriptors (the seccomp program's cost; target within 5%) and
#     open+close (Landlock checks each open by walking the path, reported
#     apart); median ns per iteration, with the kernel's floor (allow-1).
#  3. Real system-call-heavy work, bare and under runmin, alternating:
#     grep -r over /usr/include, find over three trees, python3 imports.
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
# The cheapest exec wrapper: static, execs its arguments at once.
printf '#include <unistd.h>\nint main(int c, char **v) { (void)c; execv(v[1], v + 1); return 127; }\n' >"$W/wrap.c"
${CC:-cc} -O2 -static-pie -o "$W/bin/execwrap" "$W/wrap.c" 2>/dev/null ||
	${CC:-cc} -O2 -static -o "$W/bin/execwrap" "$W/wrap.c"
SPAWN=$W/bin/startup_spawn LOOP=$W/bin/sysloop
chmod 0755 "$W" "$W/bin"

"$POLC" keygen -p "$W/k.pub" -s "$W/k.sec" >/dev/null
cat >"$W/base.yaml" <<EOF
polc: 1
name: bench-base
extends: [$PWD/stdlib-policies/base.yaml]
filesystem:
  exec: [$W/bin]
  read: [/usr/include]
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
cmds=("$TRUE" --- "${RM[@]}" "$TRUE" --- "$RUNMIN" --no-netns -a "$W/base.pola" -p "$W/k.pub" -- "$TRUE"
	--- "$W/bin/execwrap" "$TRUE" --- /bin/sh -c "$TRUE"
	--- "$RUNMIN" --no-netns --allow-unsigned -a "$W/base.pola" -- "$TRUE")
names=("/bin/true" "runmin -a base.pola -- /bin/true (network namespace)"
	"runmin --no-netns (target <= 2x)"
	"floor: a static program that only execs /bin/true"
	"/bin/sh -c /bin/true (one more exec of a small program)"
	"runmin --no-netns --allow-unsigned (minus the signature check)")
UNSHARE=$(command -v unshare || true)
if [ -n "$UNSHARE" ] && "$UNSHARE" -n "$TRUE" 2>/dev/null; then
	cmds+=(--- "$UNSHARE" -n "$TRUE")
	names+=("floor: unshare -n /bin/true (a network namespace alone)")
fi
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
last=$((${#names[@]} - 1))
if [ "${names[$last]#bwrap}" != "${names[$last]}" ]; then
	printf '   bwrap / runmin: %.2fx (network namespace), %.2fx (--no-netns)\n' \
		"$(div "${res[$last]%% *}" "${res[1]%% *}")" "$(div "${res[$last]%% *}" "${res[2]%% *}")"
fi
printf '   runmin --no-netns over the exec-wrapper floor: %+.0f us; over /bin/true: %.2fx\n' \
	"$(awk -v a="${res[2]%% *}" -v b="${res[3]%% *}" 'BEGIN {print a - b}')" \
	"$(div "${res[2]%% *}" "${res[0]%% *}")"

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

echo
echo "3. real system-call-heavy work, $R runs each, alternating bare/runmin (ms, median)"
# Each through /bin/sh -c on both sides, so that output goes to /dev/null.
work=("grep -r include /usr/include >/dev/null"
	"find /usr/include /usr/share/man /usr/share/doc -type f >/dev/null"
	"/usr/bin/python3 -c 'import json, email.parser, http.client, argparse, decimal' >/dev/null")
printf '   %-60s %9s %9s %7s\n' "" bare runmin ""
for w in "${work[@]}"; do
	if ! out=$("$SPAWN" "$R" /bin/sh -c "$w" --- "${RM[@]}" /bin/sh -c "$w" 2>&1); then
		printf '   %-60s (failed under runmin or bare: %s)\n' "$w" "$(echo "$out" | tail -n 1)"
		continue
	fi
	mapfile -t r <<<"$out"
	b=${r[0]%% *} u=${r[1]%% *}
	printf '   %-60s %9.1f %9.1f %7s\n' "$w" "$(awk -v x="$b" 'BEGIN {print x / 1000}')" \
		"$(awk -v x="$u" 'BEGIN {print x / 1000}')" "$(pct "$u" "$b")"
done
