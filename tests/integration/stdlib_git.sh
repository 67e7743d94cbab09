#!/usr/bin/env bash
# stdlib_git.sh — stdlib-policies/git.yaml under runmin: git init, add,
# commit, branch, merge, log, diff, stash and gc in the workspace; the
# user's real ~/.gitconfig and other repositories are out of reach; the
# obvious escapes fail; its polc test file passes.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/stdlib/common.sh"

expect_status "polc test git" 0 "$POLC" test "$SRC/stdlib-policies/git.yaml" \
	"$SRC/stdlib-policies/tests/git.test.yaml"
expect_status "polc lint git" 0 "$POLC" lint --fail-level warning "$SRC/stdlib-policies/git.yaml"
stdlib git || finish

# A repository outside the workspace, which git must not touch.
mkdir -p "$W/out/other"
git -C "$W/out/other" init -q && pass "control: git init outside the sandbox" ||
	fail "control: git init outside the sandbox"

cat >"$W/ws/work.sh" <<'EOS'
set -eu
cd "$1"
git config --global user.email agent@example.com
git config --global user.name "Sandboxed Agent"
git init -q -b main repo && cd repo
echo one >f && git add f && git commit -qm one
git checkout -q -b topic && echo two >>f && git commit -qam two
git checkout -q main && git merge -q --no-edit topic
git log --oneline | wc -l
git status --short | wc -l
echo three >>f && git diff --stat >/dev/null && git stash -q && git stash pop -q
git commit -qam three && git tag v1
git gc -q --prune=now
git fsck --no-progress 2>/dev/null && git rev-parse --verify -q v1 >/dev/null && echo all-good
EOS
sb git /bin/bash "$W/ws/work.sh" "$W/ws" >"$T/git.out" 2>"$T/git.err"
if [ "$(tr '\n' ' ' <"$T/git.out")" = "2 0 all-good " ]; then pass "git init/commit/branch/merge/gc in the workspace"; else
	fail "git in the workspace" "out: $(tr '\n' ' ' <"$T/git.out") err: $(head -c 400 "$T/git.err")"
fi
check "the commits are real" 3 git -C "$W/ws/repo" rev-list --count HEAD
expect_status "git cannot write a repository outside the workspace" 128 \
	sb git /usr/bin/git -C "$W/out/other" commit -q --allow-empty -m x
expect_status "git cannot clone into a place outside the workspace" 128 \
	sb git /usr/bin/git clone -q "$W/ws/repo" "$W/out/clone"
test ! -e "$W/out/clone" && pass "no clone outside" || fail "no clone outside"
expect_status "git can clone within the workspace" 0 sb git /usr/bin/git clone -q "$W/ws/repo" "$W/ws/clone"
escapes git
finish
