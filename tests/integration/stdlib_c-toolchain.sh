#!/usr/bin/env bash
# stdlib_c-toolchain.sh — stdlib-policies/c-toolchain.yaml under runmin: cc
# compiles and runs hello.c, make builds a two-file project with a static
# library and runs its test, in a workspace the policy on top also makes
# executable; compiler output outside the workspace is refused; the obvious
# escapes fail; its polc test file passes.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/stdlib/common.sh"

expect_status "polc test c-toolchain" 0 "$POLC" test "$SRC/stdlib-policies/c-toolchain.yaml" \
	"$SRC/stdlib-policies/tests/c-toolchain.test.yaml"
expect_status "polc lint c-toolchain" 0 "$POLC" lint --fail-level warning \
	"$SRC/stdlib-policies/c-toolchain.yaml"
# Running what it builds needs execute on the workspace: the policy on top.
stdlib c-toolchain "$W/ws" || finish

mkdir -p "$W/ws/proj"
cat >"$W/ws/hello.c" <<'EOS'
#include <stdio.h>
int main(void) { puts("hello from the sandbox"); return 0; }
EOS
check "cc compiles hello.c and it runs" "hello from the sandbox" sb c-toolchain /bin/sh -c \
	"cc -O2 -Wall -o $W/ws/hello $W/ws/hello.c && $W/ws/hello"
cat >"$W/ws/proj/sum.c" <<'EOS'
int sum(int n) { int s = 0; for (int i = 1; i <= n; i++) s += i; return s; }
EOS
cat >"$W/ws/proj/main.c" <<'EOS'
#include <stdio.h>
#include <math.h>
int sum(int n);
int main(void) { printf("%d %.0f\n", sum(10), sqrt(49.0)); return sum(10) != 55; }
EOS
printf 'CFLAGS = -O2 -Wall -Werror\nall: main\nlibsum.a: sum.o\n\tar rcs $@ $^\nmain: main.o libsum.a\n\t$(CC) -o $@ main.o -L. -lsum -lm\ntest: main\n\t./main\nclean:\n\trm -f *.o *.a main\n.PHONY: all test clean\n' >"$W/ws/proj/Makefile"
check "make builds a project with a library and runs its test" "55 7" sb c-toolchain /bin/sh -c \
	"make -s -C $W/ws/proj -j2 test"
check "make clean" 0 sb c-toolchain /bin/sh -c "make -s -C $W/ws/proj clean && ls $W/ws/proj | grep -c '\\.o$'"
expect_status "cc cannot write its output outside the workspace" 1 sb c-toolchain \
	/usr/bin/cc -o "$W/out/hello" "$W/ws/hello.c"
test ! -e "$W/out/hello" && pass "no binary outside" || fail "no binary outside"
check "cc -E reads the system headers" ok sb c-toolchain /bin/sh -c \
	"echo '#include <stdlib.h>' | cc -E - >/dev/null && echo ok"
escapes c-toolchain
finish
