#!/usr/bin/env bash
# runmin_landlock.sh — real filesystem escapes under runmin: writes, creates,
# renames, links, truncates, removals outside the write paths, reads outside
# the read paths, execs outside the exec paths — the kernel must say EACCES
# (EXDEV when only the `refer` right is missing, as Landlock documents, so
# that programs fall back to copying).  Each
# refusal has a control: the same probe without runmin succeeds, so the test
# can fail.  Positive checks prove the sandbox still lets the policy's own
# paths work, and `polc query fs` must agree with the kernel.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/runmin/common.sh"

D=$T/fs # not $T/out or $T/err: lib.sh writes those
mkdir -p "$D/ws/sub" "$D/ro/d" "$D/out/d" "$D/single"
for f in "$D/ws/f" "$D/ro/file" "$D/out/file" "$D/out/victim" "$D/single/only.txt" \
	"$D/single/other.txt"; do
	echo data >"$f"
done
cp /bin/true "$D/ws/true"
ln -s /etc/passwd "$D/ws/passwd-link"

policy fs <<EOF || { fail "build fs policy"; finish; }
polc: 1
name: runmin-fs
filesystem:
  exec: $SYS_EXEC
  read: [$D/ro, /proc]
  write: [$D/ws, $D/single/only.txt]
  rules:
    - path: /dev/null
      access: [read_file, write_file]
  optional: $SYS_OPTIONAL
EOF

# ---- refusals (with controls) ----------------------------------------------------
# The controls change the files, so recreate them between checks.
reset() { echo data >"$D/out/file"; echo data >"$D/ro/file"; rm -rf "$D/out/new" "$D/out/d2" "$D/ws/moved"; }
refused() { # NAME WANT OP ARGS... : control says ok, runmin says WANT
	local name=$1 want=$2
	shift 2
	check "control: $name" ok "$PROBE" "$@"
	reset
	check "$name" "$want" rmin fs "$PROBE" "$@"
}

reset; refused "write outside write paths" EACCES write "$D/out/file"
reset; refused "write to a read-only path" EACCES write "$D/ro/file"
reset; refused "create outside write paths" EACCES create "$D/out/new"
reset; refused "truncate outside write paths" EACCES truncate "$D/out/file"
reset; refused "truncate a read-only file" EACCES truncate "$D/ro/file"
reset; refused "mkdir outside write paths" EACCES mkdir "$D/out/d2"
reset; refused "read outside read paths" EACCES read "$D/out/file"
reset; refused "read /etc/passwd" EACCES read /etc/passwd
reset; refused "list a directory outside read paths" EACCES readdir "$D/out"
reset; refused "read through a symlink in the workspace" EACCES read "$D/ws/passwd-link"
reset; check "control: unlink outside write paths" ok "$PROBE" unlink "$D/out/victim"
echo data >"$D/out/victim"
check "unlink outside write paths" EACCES rmin fs "$PROBE" unlink "$D/out/victim"
check "unlink a read-only file" EACCES rmin fs "$PROBE" unlink "$D/ro/file"
check "rename out of the workspace" EACCES rmin fs "$PROBE" rename "$D/ws/f" "$D/out/moved"
check "rename into the workspace" EACCES rmin fs "$PROBE" rename "$D/out/file" "$D/ws/moved"
check "hard link a read-only file into the workspace" EXDEV rmin fs "$PROBE" link "$D/ro/file" "$D/ws/l"
check "rename inside a read-only tree" EACCES rmin fs "$PROBE" rename "$D/ro/file" "$D/ro/d/file"
check "file rule grants no sibling" EACCES rmin fs "$PROBE" create "$D/single/new"
check "file rule grants no sibling write" EACCES rmin fs "$PROBE" write "$D/single/other.txt"
test -s "$D/out/file" && test -s "$D/ro/file" && pass "outside files intact" ||
	fail "outside files intact"

# exec outside exec paths: runmin itself reports 126, and so does a shell inside
expect_status "exec outside exec paths (runmin)" 126 rmin fs "$D/ws/true"
expect_grep "exec refusal names the file" "runmin: $D/ws/true: Permission denied" "$T/err"
expect_status "exec outside exec paths (shell inside)" 126 rmin fs /bin/sh -c "$D/ws/true"
expect_status "control: the same file runs unconfined" 0 "$D/ws/true"

# ---- what the policy grants still works --------------------------------------------
check "write in the workspace" ok rmin fs "$PROBE" write "$D/ws/f"
check "create in the workspace" ok rmin fs "$PROBE" create "$D/ws/new"
check "truncate in the workspace" ok rmin fs "$PROBE" truncate "$D/ws/f"
check "mkdir in the workspace" ok rmin fs "$PROBE" mkdir "$D/ws/newdir"
check "rename within the workspace" ok rmin fs "$PROBE" rename "$D/ws/new" "$D/ws/sub/new"
check "unlink in the workspace" ok rmin fs "$PROBE" unlink "$D/ws/sub/new"
check "read a read path" ok rmin fs "$PROBE" read "$D/ro/file"
check "list a read path" ok rmin fs "$PROBE" readdir "$D/ro"
check "write /dev/null (file rule)" ok rmin fs "$PROBE" write /dev/null
check "write a single-file write rule" ok rmin fs "$PROBE" write "$D/single/only.txt"
check "truncate a single-file write rule" ok rmin fs "$PROBE" truncate "$D/single/only.txt"
expect_status "a shell pipeline in the workspace" 0 rmin fs /bin/sh -c \
	"echo hello >$D/ws/h && grep -q hello $D/ws/h && ls $D/ws >/dev/null"

# /proc is readable, but Landlock keeps other processes' private files
# (ptrace-checked: environ, mem, ...) out of reach of the sandbox.
check "read own /proc/self/status" ok rmin fs "$PROBE" read /proc/self/status
check "control: read the test shell's environ" ok "$PROBE" read "/proc/$$/environ"
check "read an outside process's environ" EACCES rmin fs "$PROBE" read "/proc/$$/environ"

# ---- the model agrees with the kernel ---------------------------------------------
model() { # PATH ACCESS WANT(allow|deny)
	local got
	got=$("$POLC" query "$T/fs.pola" fs "$1" "$2" 2>&1 | cut -d' ' -f1)
	if [ "$got" = "$3" ]; then pass "query fs $1 $2 = $3"; else
		fail "query fs $1 $2" "got '$got', want '$3' (the kernel says $3)"
	fi
}
model "$D/ws/f" write_file allow
model "$D/ws/new2" make_reg allow
model "$D/out/file" write_file deny
model "$D/out/new" make_reg deny
model "$D/ro/file" read_file allow
model "$D/ro/file" truncate deny
model "$D/ro/d/x" remove_file deny
model "$D/single/only.txt" write_file allow
model "$D/single/new" make_reg deny
model "$D/ws/true" execute deny
model /usr/bin/true execute allow
model /etc/passwd read_file deny

finish
