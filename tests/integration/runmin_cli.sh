#!/usr/bin/env bash
# runmin_cli.sh — runmin's contract: refusals exit 125 with one distinct
# `runmin: ` line (unsigned, wrong key, tampered artifact or signature,
# truncated, kernel ABI too low, missing rule path, bad options), 126/127
# like env(1), the command's own status and 128+signal, descriptors closed
# unless --keep-fd, and JSON Lines refusal events with --log.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/runmin/common.sh"

D=$T/cli
mkdir -p "$D/ws"
policy ok <<EOF || { fail "build ok policy"; finish; }
polc: 1
name: runmin-cli
filesystem:
  exec: $SYS_EXEC
  read: [/proc]
  write: [$D/ws]
  optional: $SYS_OPTIONAL
EOF

# refused NAME PATTERN CMD... — exit 125, exactly one stderr line matching
# ^runmin: .*PATTERN, and nothing run (stdout empty).
refused() {
	local name=$1 pat=$2 got=0
	shift 2
	"$@" >"$T/r.out" 2>"$T/r.err" || got=$?
	if [ "$got" != 125 ]; then
		fail "$name" "exit $got, want 125; stderr: $(head -c 300 "$T/r.err")"
	elif [ "$(wc -l <"$T/r.err")" != 1 ] || ! grep -Eq "^runmin: .*$pat" "$T/r.err"; then
		fail "$name" "stderr is not one 'runmin: ...$pat' line: $(head -c 300 "$T/r.err")"
	elif [ -s "$T/r.out" ]; then
		fail "$name" "the command ran: $(head -c 100 "$T/r.out")"
	else
		pass "$name"
	fi
}

expect_status "signed artifact runs" 0 rmin ok /bin/true
check "the command's output comes through" hello rmin ok /bin/echo hello

# ---- signatures ----------------------------------------------------------------------
cp "$T/ok.pola" "$D/u.pola"
refused "unsigned artifact refused" "u.pola.minisig: No such file.*--allow-unsigned" \
	"$RUNMIN" -a "$D/u.pola" -p "$T/k.pub" -- /bin/true
expect_status "unsigned artifact runs with --allow-unsigned" 0 \
	"$RUNMIN" --allow-unsigned -a "$D/u.pola" -- /bin/true
"$POLC" keygen -p "$D/other.pub" -s "$D/other.sec" >/dev/null 2>&1
refused "wrong key refused" "signed by key .* not by the trusted key" \
	"$RUNMIN" -a "$T/ok.pola" -p "$D/other.pub" -- /bin/true
refused "missing public key refused" "public key $D/none.pub: No such file" \
	"$RUNMIN" -a "$T/ok.pola" -p "$D/none.pub" -- /bin/true
refused "default key path is /etc/polc/trusted.pub" "/etc/polc/trusted.pub" \
	"$RUNMIN" -a "$T/ok.pola" -- /bin/true
size=$(stat -c %s "$T/ok.pola")
# Flip one byte in several places (header, section table, payloads, the
# last byte): each must be refused by the signature check.
for off in 0 9 20 40 100 $((size / 2)) $((size - 1)); do
	cp "$T/ok.pola" "$D/t.pola"
	cp "$T/ok.pola.minisig" "$D/t.pola.minisig"
	printf '\xa5' | dd of="$D/t.pola" bs=1 seek="$off" conv=notrunc status=none
	refused "tampered artifact (byte $off) refused" "signature verification failed" \
		"$RUNMIN" -a "$D/t.pola" -p "$T/k.pub" -- /bin/true
done
cp "$T/ok.pola" "$D/t.pola"
head -c $((size - 8)) "$T/ok.pola" >"$D/t.pola"
refused "truncated artifact refused" "signature verification failed" \
	"$RUNMIN" -a "$D/t.pola" -p "$T/k.pub" -- /bin/true
refused "truncated artifact refused by the reader with --allow-unsigned" "truncated" \
	"$RUNMIN" --allow-unsigned -a "$D/t.pola" -- /bin/true
cp "$T/ok.pola" "$D/t.pola"
sed 's/^trusted comment: polc-artifact/trusted comment: polc-artifacT/' "$T/ok.pola.minisig" \
	>"$D/t.pola.minisig"
refused "tampered trusted comment refused" "signature verification failed" \
	"$RUNMIN" -a "$D/t.pola" -p "$T/k.pub" -- /bin/true
: >"$D/t.pola.minisig"
refused "empty signature refused" "signature verification failed" \
	"$RUNMIN" -a "$D/t.pola" -p "$T/k.pub" -- /bin/true
# A valid signature of another artifact does not vouch for this one.
policy other <<EOF || fail "build other policy"
polc: 1
name: runmin-cli-other
filesystem:
  exec: $SYS_EXEC
  optional: $SYS_OPTIONAL
EOF
cp "$T/other.pola.minisig" "$D/t.pola.minisig"
refused "signature of another artifact refused" "signature verification failed" \
	"$RUNMIN" -a "$D/t.pola" -p "$T/k.pub" -- /bin/true
cp "$T/ok.pola" "$D/v.pola"
printf '\x02' | dd of="$D/v.pola" bs=1 seek=8 conv=notrunc status=none
refused "unknown format version refused (even unsigned)" "unsupported artifact version 2" \
	"$RUNMIN" --allow-unsigned -a "$D/v.pola" -- /bin/true
printf 'not an artifact at all, but long enough to have a header' >"$D/g.pola"
refused "garbage refused by the reader" "bad magic" \
	"$RUNMIN" --allow-unsigned -a "$D/g.pola" -- /bin/true
refused "a directory is not an artifact" "not a regular file" \
	"$RUNMIN" --allow-unsigned -a "$D" -- /bin/true
mkfifo "$D/fifo.pola"
refused "a FIFO is not an artifact (and does not block runmin)" "not a regular file" \
	timeout 10 "$RUNMIN" --allow-unsigned -a "$D/fifo.pola" -- /bin/true

# ---- kernel ABI ---------------------------------------------------------------------
abi=$("$POLC" inspect "$T/ok.pola" | sed -n 's/.*min Landlock ABI \([0-9]*\).*/\1/p')
if "$POLC" build "$T/ok.yaml" --min-abi 64 -o "$D/abi.pola" --sign "$T/k.sec" >/dev/null 2>&1; then
	refused "kernel ABI below the artifact's minimum refused" \
		"needs Landlock ABI 64, this kernel has ABI [0-9]+: refusing" \
		"$RUNMIN" -a "$D/abi.pola" -p "$T/k.pub" -- /bin/true
else
	fail "build with --min-abi 64"
fi
[ -n "$abi" ] && [ "$abi" -ge 6 ] && pass "default policy needs ABI $abi (scopes)" ||
	fail "default min ABI" "got '$abi'"

# ---- rule paths ---------------------------------------------------------------------
policy missing <<EOF || fail "build missing policy"
polc: 1
name: runmin-cli-missing
filesystem:
  exec: $SYS_EXEC
  read: [$D/not-there]
  optional: $SYS_OPTIONAL
EOF
refused "missing rule path refused, named" "$D/not-there: No such file or directory" \
	rmin missing /bin/true
policy optional <<EOF || fail "build optional policy"
polc: 1
name: runmin-cli-optional
filesystem:
  exec: $SYS_EXEC
  read: [$D/not-there]
  optional: [$D/not-there, /lib64, /bin, /sbin, /lib]
EOF
expect_status "missing optional rule path skipped" 0 rmin optional /bin/true

# ---- options ------------------------------------------------------------------------
refused "no arguments" "no artifact given" "$RUNMIN"
refused "no command" "no command given" "$RUNMIN" -a "$T/ok.pola"
refused "unknown option" "unknown option '--bogus'" "$RUNMIN" --bogus -a x -- true
refused "missing option argument" "needs an argument" "$RUNMIN" -a
refused "--keep-fd of a closed descriptor" "--keep-fd 57: descriptor is not open" \
	"$RUNMIN" --keep-fd 57 -a "$T/ok.pola" -- /bin/true
refused "--keep-fd not a number" "not a descriptor number" "$RUNMIN" --keep-fd x -a y -- z
refused "--uid without --gid" "--uid needs --gid" "$RUNMIN" --uid 1 -a "$T/ok.pola" -- /bin/true
refused "--uid not numeric" "--uid: 'root' is not a numeric id" "$RUNMIN" --uid root --gid 0 -a x -- y
refused "--gid negative" "--gid: '-1' is not a numeric id" "$RUNMIN" --gid -1 -a x -- y
expect_status "--help exits 0" 0 "$RUNMIN" --help
expect_grep "--help shows the synopsis" "runmin -a ARTIFACT" "$T/out"
expect_status "--version exits 0" 0 "$RUNMIN" --version
expect_grep "--version names runmin" "^runmin [0-9]" "$T/out"
check "options after COMMAND belong to COMMAND" "-a x" rmin ok /bin/echo -a x

# ---- exit statuses ------------------------------------------------------------------
expect_status "exit status passes through" 3 rmin ok /bin/sh -c 'exit 3'
expect_status "exit status 0 passes through" 0 rmin ok /bin/sh -c 'exit 0'
expect_status "killed by SIGKILL: 137" 137 rmin ok /bin/sh -c 'kill -9 $$'
expect_status "killed by SIGKILL, supervised: 137" 137 \
	"$RUNMIN" --supervise -a "$T/ok.pola" -p "$T/k.pub" -- /bin/sh -c 'kill -9 $$'
expect_status "killed by SIGTERM, supervised: 143" 143 \
	"$RUNMIN" --supervise -a "$T/ok.pola" -p "$T/k.pub" -- /bin/sh -c 'kill -TERM $$'
expect_status "exit status, supervised" 7 \
	"$RUNMIN" --supervise -a "$T/ok.pola" -p "$T/k.pub" -- /bin/sh -c 'exit 7'
# A signal sent to the supervisor reaches the command.
"$RUNMIN" --supervise -a "$T/ok.pola" -p "$T/k.pub" -- /bin/sleep 30 &
sup=$!
sleep 0.3
kill -TERM "$sup"
got=0
wait "$sup" || got=$?
[ "$got" = 143 ] && pass "SIGTERM to the supervisor is forwarded (143)" ||
	fail "SIGTERM to the supervisor is forwarded" "exit $got, want 143"
expect_status "command not found: 127" 127 rmin ok no-such-command-polc
expect_grep "not found message" "^runmin: no-such-command-polc: command not found" "$T/err"
expect_status "missing absolute command: 127" 127 rmin ok "$D/ws/nope"
printf 'echo hi\n' >"$D/ws/script"
chmod +x "$D/ws/script"
cp "$D/ws/script" "$D/noshebang"
chmod +x "$D/noshebang"
expect_status "not executable (directory): 126" 126 rmin ok "$D/ws"
policy script <<EOF || fail "build script policy"
polc: 1
name: runmin-cli-script
filesystem:
  exec: [/usr, /bin, /lib, /lib64, $D]
  optional: $SYS_OPTIONAL
EOF
expect_status "file without #! is not run through a shell: 126" 126 rmin script "$D/noshebang"
expect_grep "ENOEXEC message" "Exec format error .no #! line" "$T/err"
# PATH search: relative and empty entries are skipped, absolute ones used.
mkdir -p "$D/bin"
cp "$PROBE" "$D/bin/polc-probe-copy"
got=$(cd "$D/bin" && PATH=".::bin:$D/bin" "$RUNMIN" -a "$T/script.pola" -p "$T/k.pub" -- polc-probe-copy read /usr/bin/true 2>&1)
[ "$got" = ok ] && pass "PATH search finds an absolute entry" || fail "PATH search" "$got"
expect_status "PATH: relative entries are not searched" 127 \
	env -C "$D/bin" PATH=".:bin" "$RUNMIN" -a "$T/script.pola" -p "$T/k.pub" -- polc-probe-copy read /usr/bin/true
expect_status "PATH: an entry the policy does not let run: 126" 126 \
	env PATH="$D/ws" "$RUNMIN" -a "$T/ok.pola" -p "$T/k.pub" -- script

# ---- descriptors --------------------------------------------------------------------
fds() { rmin ok /bin/sh -c 'ls /proc/self/fd | tr "\n" " "'; }
got=$(fds 7>/dev/null 8</dev/null 9>/dev/null)
[ "$got" = "0 1 2 3 " ] && pass "descriptors above 2 are closed" ||
	fail "descriptors above 2 are closed" "open: $got (3 is ls's own)"
got=$("$RUNMIN" --keep-fd 8 -a "$T/ok.pola" -p "$T/k.pub" -- /bin/sh -c 'ls /proc/self/fd | tr "\n" " "' 7>/dev/null 8</dev/null 9>/dev/null)
[ "$got" = "0 1 2 3 8 " ] && pass "--keep-fd keeps exactly that descriptor" ||
	fail "--keep-fd keeps exactly that descriptor" "open: $got"
check "a kept descriptor is usable" kept \
	"$RUNMIN" --keep-fd 9 -a "$T/ok.pola" -p "$T/k.pub" -- /bin/sh -c 'echo kept >&9; cat '"$D/ws/kept" 9>"$D/ws/kept"

got=$(rmin ok /bin/sh -c 'readlink /proc/self/fd/0' <&- 2>&1)
[ "$got" = /dev/null ] && pass "a closed stdin becomes /dev/null" ||
	fail "a closed stdin becomes /dev/null" "fd 0 is '$got'"

# ---- audit log ----------------------------------------------------------------------
rm -f "$D/log.jsonl"
"$RUNMIN" --log "$D/log.jsonl" -a "$D/t.pola" -p "$T/k.pub" -- /bin/true 2>/dev/null
"$RUNMIN" --log "$D/log.jsonl" -a "$T/missing.pola" -p "$T/k.pub" -- /bin/true 2>/dev/null
if python3 - "$D/log.jsonl" <<'PY'; then pass "--log: one JSON object per refusal"; else fail "--log: one JSON object per refusal" "$(cat "$D/log.jsonl")"; fi
import json, sys
lines = open(sys.argv[1]).read().splitlines()
ev = [json.loads(l) for l in lines]
assert len(ev) == 2, ev
for e in ev:
    assert e["event"] == "refused" and e["time"].endswith("Z") and e["artifact"], e
assert "signature verification failed" in ev[0]["reason"], ev[0]
assert "No such file" in ev[1]["reason"], ev[1]
PY
[ "$(stat -c %a "$D/log.jsonl")" = 600 ] && pass "--log file created 0600" || fail "--log file mode"
refused "--log in a missing directory refused" "--log $D/no/log: No such file" \
	"$RUNMIN" --log "$D/no/log" -a "$T/ok.pola" -p "$T/k.pub" -- /bin/true

finish
