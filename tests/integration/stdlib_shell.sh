#!/usr/bin/env bash
# stdlib_shell.sh — stdlib-policies/shell.yaml under runmin: bash runs a
# script that does what agents ask a shell to do (coreutils, sed, grep,
# awk, find, tar, here-documents, pipes, mktemp) in the workspace; the
# obvious escapes fail; its polc test file passes.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/stdlib/common.sh"

expect_status "polc test shell" 0 "$POLC" test "$SRC/stdlib-policies/shell.yaml" \
	"$SRC/stdlib-policies/tests/shell.test.yaml"
expect_status "polc lint shell" 0 "$POLC" lint --fail-level warning "$SRC/stdlib-policies/shell.yaml"
stdlib shell || finish

cat >"$W/ws/work.sh" <<'EOS'
set -eu
cd "$1"
echo hello >a.txt
cat a.txt | tr a-z A-Z | sort | uniq >b.txt
grep -q HELLO b.txt
ls -la >/dev/null
cp a.txt c.txt && mv c.txt d.txt && rm d.txt
mkdir -p x/y && rmdir x/y
sed -i s/hello/bye/ a.txt && grep -q bye a.txt
[ "$(wc -l <a.txt)" = 1 ]
find . -name '*.txt' | sort >list
awk 'END { print NR }' list >/dev/null
cat <<EOT >h.txt
heredoc $(echo substituted)
EOT
grep -q substituted h.txt
tar czf t.tgz a.txt b.txt && mkdir -p un && tar xzf t.tgz -C un && cmp a.txt un/a.txt
ln -s a.txt l && [ "$(readlink l)" = a.txt ]
chmod 600 a.txt && touch -d 2020-01-01 a.txt
t=$(mktemp) && echo tmp >"$t" && rm "$t"
sha256sum a.txt >/dev/null && diff a.txt a.txt
(sleep 0.01; echo sub) | cat >/dev/null
x=$(date +%Y) && [ "$x" -gt 2000 ]
mkfifo fifo && rm fifo
echo all-good
EOS
check "bash runs a script in the workspace" all-good sb shell /bin/bash "$W/ws/work.sh" "$W/ws"
check "the script's files are in the workspace" "heredoc substituted" cat "$W/ws/h.txt"
check "threads and posix_spawn work" ok sb shell "$O/helpers/stdlib_threads"
check "sh is there too" 42 sb shell /bin/sh -c 'echo $((40 + 2))'
expect_status "/tmp is writable (here-documents, mktemp)" 0 sb shell /bin/sh -c \
	"echo x >/tmp/polc-shell-$$ && rm /tmp/polc-shell-$$"
check "ls -l of a system directory (getxattr is allowed)" ok sb shell /bin/sh -c \
	'ls -l /usr/bin/env >/dev/null && echo ok'
check "cp -a copies without xattr errors" ok sb shell /bin/sh -c \
	"cp -a $W/ws/a.txt $W/ws/a.copy && echo ok"
escapes shell
finish
