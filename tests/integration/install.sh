#!/usr/bin/env bash
# install.sh — `make install DESTDIR=... PREFIX=/usr` puts the binaries, man
# pages, bash and zsh completions and the stdlib policies (with their test
# files) in the usual places under DESTDIR and nowhere else; the installed
# polc finds the installed stdlib by itself; the completions complete (bash:
# by calling the function; zsh: in a real interactive zsh on a pty);
# `make uninstall` removes what install put there.
. "$(dirname "$0")/../lib.sh"

R=$T/root
# `install` depends on `all`: for the sanitizer build of `make check`, ask
# for the same flags, or make would relink its objects without them.
SANFLAGS=()
if ldd "$O/polc" 2>/dev/null | grep -q libasan; then SANFLAGS=(ASAN=1 UBSAN=1); fi
mk() { make -C "$SRC" --no-print-directory O="$O" "${SANFLAGS[@]}" "$@" >"$T/make.out" 2>&1; }

if mk install DESTDIR="$R" PREFIX=/usr; then pass "make install DESTDIR=... PREFIX=/usr"; else
	fail "make install" "$(tail -c 600 "$T/make.out")"
	finish
fi
[ "$(ls "$R")" = usr ] && pass "everything lands under DESTDIR/usr" ||
	fail "install outside PREFIX" "$(ls "$R")"

want() { # KIND PATH...
	local kind=$1 f missing=""
	shift
	for f in "$@"; do
		case $kind in
		x) [ -x "$R$f" ] && [ -f "$R$f" ] || missing+=" $f" ;;
		f) [ -f "$R$f" ] && [ ! -x "$R$f" ] || missing+=" $f" ;;
		esac
	done
	[ -z "$missing" ] && pass "installed: $*" || fail "installed" "missing or wrong mode:$missing"
}
want x /usr/bin/polc /usr/bin/runmin
want f /usr/share/man/man1/polc.1 /usr/share/man/man1/runmin.1 \
	/usr/share/man/man5/polc-policy.5 /usr/share/man/man5/polc-artifact.5
want f /usr/share/bash-completion/completions/polc /usr/share/bash-completion/completions/runmin
want f /usr/share/zsh/site-functions/_polc /usr/share/zsh/site-functions/_runmin
n_src=$(ls "$SRC"/stdlib-policies/*.yaml | wc -l)
n_dst=$(ls "$R"/usr/share/polc/stdlib-policies/*.yaml | wc -l)
[ "$n_src" = "$n_dst" ] && [ "$n_src" -ge 10 ] && pass "all $n_src stdlib policies installed" ||
	fail "stdlib policies" "$n_dst of $n_src"
n_src=$(ls "$SRC"/stdlib-policies/tests/*.yaml | wc -l)
n_dst=$(ls "$R"/usr/share/polc/stdlib-policies/tests/*.yaml | wc -l)
[ "$n_src" = "$n_dst" ] && pass "all $n_src stdlib test files installed" ||
	fail "stdlib test files" "$n_dst of $n_src"
cmp -s "$O/polc" "$R/usr/bin/polc" && pass "the installed polc is the one built" || fail "polc differs"
for m in "$R"/usr/share/man/man*/*; do
	mandoc -Tlint -Wwarning "$m" >/dev/null 2>&1 || fail "man page $m" "mandoc -Tlint"
done
pass "installed man pages pass mandoc -Tlint"

# The installed polc finds the installed stdlib (no POLC_STDLIB, no source tree).
cat >"$T/mine.yaml" <<'EOF'
polc: 1
name: mine
extends: [claude-code]
EOF
(cd "$T" && env -u POLC_STDLIB "$R/usr/bin/polc" build mine.yaml -o mine.pola) >"$T/b.out" 2>&1 &&
	pass "installed polc builds a policy extending a stdlib profile" ||
	fail "installed polc build" "$(head -c 400 "$T/b.out")"
# ...and only there: without the installed tree the same build fails.
mv "$R/usr/share/polc/stdlib-policies" "$R/usr/share/polc/moved"
(cd "$T" && env -u POLC_STDLIB "$R/usr/bin/polc" build mine.yaml -o mine2.pola) >"$T/b.out" 2>&1
expect_grep "control: without the installed stdlib, extends fails (E501)" 'error\[E501\]' "$T/b.out"
mv "$R/usr/share/polc/moved" "$R/usr/share/polc/stdlib-policies"
expect_status "installed polc test on installed stdlib files" 0 env -u POLC_STDLIB \
	"$R/usr/bin/polc" test "$R/usr/share/polc/stdlib-policies/claude-code.yaml" \
	"$R/usr/share/polc/stdlib-policies/tests/claude-code.test.yaml"

# The default PREFIX is /usr/local.
if mk install DESTDIR="$T/root2"; then
	[ -x "$T/root2/usr/local/bin/polc" ] && [ -f "$T/root2/usr/local/share/polc/stdlib-policies/base.yaml" ] &&
		[ -f "$T/root2/usr/local/share/bash-completion/completions/polc" ] &&
		pass "default PREFIX is /usr/local" || fail "default PREFIX" "$(find "$T/root2" | head -5)"
else
	fail "make install (default PREFIX)" "$(tail -c 300 "$T/make.out")"
fi

# bash: the installed completion, called the way bash calls it.
mkdir -p "$T/cmp/sub"
touch "$T/cmp/a.yaml" "$T/cmp/b.pola" "$T/cmp/c.txt" "$T/cmp/k.pub"
bashcomp() { # WANT WORDS... (the last word is being completed)
	local want=$1
	shift
	local got
	got=$(cd "$T/cmp" && bash -c '. "$1"; . "$2"; shift 2
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()
		if [ "$1" = runmin ]; then _runmin; else _polc; fi
		printf "%s " "${COMPREPLY[@]}"' _ \
		"$R/usr/share/bash-completion/completions/polc" \
		"$R/usr/share/bash-completion/completions/runmin" "$@")
	[ "$got" = "$want" ] && pass "bash: '$*' -> $want" || fail "bash: '$*'" "got '$got', want '$want'"
}
bashcomp "build " polc bu
bashcomp "convert " polc conv
bashcomp "--openshell-lenient " polc build --opensh
bashcomp "sub a.yaml " polc build ""
bashcomp "sub b.pola " polc inspect ""
bashcomp "syscall fs net " polc query b.pola ""
bashcomp "read,write read,write_file " polc query b.pola fs /x read,wr
bashcomp "error warning note " polc lint --fail-level ""
bashcomp "sub k.pub " polc verify b.pola -p ""
bashcomp "--artifact --allow-unsigned " runmin --a
bashcomp "sub b.pola " runmin -a ""

# zsh: a real interactive zsh on a pseudo-terminal, TAB pressed.
if ! command -v zsh >/dev/null; then
	skip "zsh completion" "zsh is not installed (apt-get install zsh)"
	finish
fi
zshcomp() { # WANT INPUT — the command line after TAB must contain WANT
	local want=$1 input=$2 out
	out=$(cd "$T/cmp" && timeout 20 zsh -f -c '
zmodload zsh/zpty || exit 3
zpty z "TERM=dumb zsh -f -i"
zpty -w z "PROMPT=\"%% \"; fpath=($1 \$fpath); autoload -Uz compinit; compinit -u -D; echo READY"
zpty -r z x "*READY*READY*"
zpty -w -n z "$2"$'"'"'\t'"'"'
sleep 1
out=""
while zpty -r -t z chunk; do out+=$chunk; done
print -r -- "$out"
zpty -d z' _ "$R/usr/share/zsh/site-functions" "$input" 2>&1 | tr -d '\r' | sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g')
	case $out in
	*"$want"*) pass "zsh: '$input<TAB>' -> '$want'" ;;
	*) fail "zsh: '$input<TAB>'" "no '$want' in: $(printf '%s' "$out" | tail -c 300)" ;;
	esac
}
zshcomp "polc build " "polc bu"
zshcomp "polc build --openshell-lenient" "polc build --opensh"
zshcomp "polc inspect b.pola" "polc inspect b"
zshcomp "polc build a.yaml" "polc build a"
zshcomp "runmin --artifact" "runmin --artif"

if mk uninstall DESTDIR="$R" PREFIX=/usr; then
	left=$(find "$R" -type f | sed "s|^$R||")
	[ -z "$left" ] && pass "make uninstall removes every installed file" ||
		fail "make uninstall" "left: $(echo "$left" | head -5)"
else
	fail "make uninstall" "$(tail -c 300 "$T/make.out")"
fi
finish
