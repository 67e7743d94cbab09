#!/bin/sh
# make demo: build polc and runmin, compile and sign examples/demo.yaml, then
# run a real shell under runmin and show what the kernel allows and refuses.
set -eu
cd "$(dirname "$0")/.."
O=${O:-build}
POLC=$O/polc
RUNMIN=$O/runmin
D=$O/demo
WS=/tmp/polc-demo/workspace

# Bold headings only on a terminal, and never with NO_COLOR.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
else
	step() { printf '\n==> %s\n' "$*"; }
fi

mkdir -p "$D" "$WS"
step "generate a signing key (minisign format)"
if [ ! -f "$D/demo.key" ]; then
	"$POLC" keygen -p "$D/demo.pub" -s "$D/demo.key"
fi
echo "$D/demo.pub, $D/demo.key"

step "compile examples/demo.yaml into a verified, signed artifact"
"$POLC" -v build examples/demo.yaml -o "$D/demo.pola" --sign "$D/demo.key"
"$POLC" verify "$D/demo.pola" -p "$D/demo.pub"

step "ask the artifact what it allows"
"$POLC" query "$D/demo.pola" fs "$WS/note.txt" write || true
"$POLC" query "$D/demo.pola" fs /etc/passwd write || true
"$POLC" query "$D/demo.pola" syscall unshare || true

step "allowed: write a file in the workspace, under runmin"
"$RUNMIN" -a "$D/demo.pola" -p "$D/demo.pub" -- /bin/sh -c \
	"echo 'written inside the sandbox' > $WS/note.txt && cat $WS/note.txt"

step "denied: write outside the workspace (Landlock says EACCES)"
if "$RUNMIN" -a "$D/demo.pola" -p "$D/demo.pub" -- /bin/sh -c 'echo x > /etc/polc-demo-escape'; then
	echo "demo: the write outside the workspace succeeded — sandbox broken" >&2
	exit 1
fi
test ! -e /etc/polc-demo-escape

step "denied: a new user namespace (seccomp says EPERM)"
if "$RUNMIN" -a "$D/demo.pola" -p "$D/demo.pub" -- /usr/bin/unshare --user true; then
	echo "demo: unshare succeeded — sandbox broken" >&2
	exit 1
fi

step "refused: a tampered artifact (runmin exits 125 before running anything)"
cp "$D/demo.pola" "$D/tampered.pola"
cp "$D/demo.pola.minisig" "$D/tampered.pola.minisig"
printf 'X' | dd of="$D/tampered.pola" bs=1 seek=100 conv=notrunc 2>/dev/null
rc=0
"$RUNMIN" -a "$D/tampered.pola" -p "$D/demo.pub" -- /bin/true || rc=$?
echo "runmin exit status: $rc"
[ "$rc" = 125 ]

printf '\ndemo finished: one allowed action ran, the denied ones were refused by the kernel.\n'
