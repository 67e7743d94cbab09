#!/usr/bin/env bash
# signing.sh — polc keygen / sign / verify: the CLI contract (exit 0 good,
# 1 bad or missing signature, 2 usage/IO), key-file safety (modes, never
# overwriting, permission refusal), interoperability both ways with the
# real minisign (plain and encrypted keys, legacy signatures), and every
# single-byte flip of a signed file and of its .minisig being rejected.
. "$(dirname "$0")/../lib.sh"

if [ ! -x "$POLC" ]; then
	fail signing "build first: make O=... all"
	finish
fi
D=$T/sig
mkdir -p "$D"
cd "$D" || exit 1
HAVE_MINISIGN=0
command -v minisign >/dev/null 2>&1 && HAVE_MINISIGN=1
HAVE_PY=0
command -v python3 >/dev/null 2>&1 && HAVE_PY=1

mode() { stat -c %a "$1"; }
same() { cmp -s "$1" "$2"; }
absent() { for f in "$@"; do [ ! -e "$f" ] && [ ! -L "$f" ] || return 1; done; }
# that NAME CMD... — passes when CMD succeeds.
that() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name"; fi
}

# one_line NAME — the last command's stderr ($T/err) is one `polc CMD:` line.
one_line() {
	if [ "$(wc -l <"$T/err")" = 1 ] && grep -Eq '^polc (sign|verify|keygen): ' "$T/err"; then
		pass "$1"
	else
		fail "$1" "stderr is not one 'polc ...:' line: $(head -c 300 "$T/err")"
	fi
}

# ---- keygen --------------------------------------------------------------------------
expect_status "keygen" 0 "$POLC" keygen -p k.pub -s k.key
if [ "$(mode k.key)" = 600 ] && [ "$(mode k.pub)" = 644 ]; then pass "keygen modes 0600/0644"; else
	fail "keygen modes 0600/0644" "secret $(mode k.key), public $(mode k.pub)"
fi
cp k.pub k.pub.orig
cp k.key k.key.orig
expect_status "keygen refuses to overwrite" 2 "$POLC" keygen -p k.pub -s k.key
expect_grep "keygen says why" "exists; refusing to overwrite.*--force" "$T/err"
one_line "keygen refusal is one line"
expect_status "keygen refuses if only the public key exists" 2 "$POLC" keygen -p k.pub -s new.key
expect_status "keygen refuses if only the secret key exists" 2 "$POLC" keygen -p new.pub -s k.key
if same k.pub k.pub.orig && same k.key k.key.orig && [ ! -e new.key ] && [ ! -e new.pub ]; then
	pass "refused keygen changed nothing"
else
	fail "refused keygen changed nothing"
fi
ln -s "$D/nowhere" link.key
expect_status "keygen does not follow a symlink" 2 "$POLC" keygen -p l.pub -s link.key
that "symlink target not created" absent nowhere l.pub
cp k.pub f.pub
cp k.key f.key
expect_status "keygen --force replaces" 0 "$POLC" keygen -p f.pub -s f.key --force
if ! same f.pub k.pub && [ "$(mode f.key)" = 600 ] && [ "$(mode f.pub)" = 644 ]; then
	pass "forced keys are new, modes kept"
else
	fail "forced keys are new, modes kept"
fi
expect_status "keygen --password without a terminal" 2 setsid -w "$POLC" keygen -p t.pub -s t.key --password </dev/null
expect_grep "keygen --password says it needs a terminal" "terminal" "$T/err"
that "no key written without a password" absent t.key t.pub
expect_status "keygen needs -s" 2 "$POLC" keygen -p x.pub
expect_status "keygen --help" 0 "$POLC" keygen --help

# ---- sign / verify a small file ---------------------------------------------------------
printf 'a small signed file\n' >small
expect_status "sign" 0 "$POLC" sign small -s k.key
expect_grep "trusted comment names the file" '^trusted comment: file:small$' small.minisig
that "signature mode 0644" [ "$(mode small.minisig)" = 644 ]
hidden=(.[!.]*)
that "no temporary files left" absent "${hidden[@]}"
expect_status "verify good" 0 "$POLC" verify small -p k.pub
expect_grep "verify prints the trusted comment" '^trusted comment: file:small$' "$T/out"
expect_status "verify -q" 0 "$POLC" verify -q small -p k.pub
that "verify -q is quiet" [ ! -s "$T/out" ]
expect_status "verify with the wrong key" 1 "$POLC" verify small -p f.pub
expect_grep "wrong key reason" "signed by key [0-9A-F]{16}, not by the trusted key [0-9A-F]{16}" "$T/err"
one_line "wrong key is one line"
cp small unsigned
expect_status "verify without a .minisig" 1 "$POLC" verify unsigned -p k.pub
expect_grep "missing signature reason" "not signed" "$T/err"
one_line "missing signature is one line"
expect_status "verify -x another signature file" 0 "$POLC" verify unsigned -x small.minisig -p k.pub
expect_status "verify with a missing public key" 2 "$POLC" verify small -p nope.pub
expect_status "verify with a malformed public key" 2 "$POLC" verify small -p small
expect_status "verify a missing file" 2 "$POLC" verify nope -p k.pub
expect_status "verify without -p" 2 "$POLC" verify small
printf 'a small signed file.\n' >changed
cp small.minisig changed.minisig
expect_status "verify a changed file" 1 "$POLC" verify changed -p k.pub
one_line "changed file is one line"
head -c 20000 /dev/zero | tr '\0' 'a' >big.minisig
cp small big
expect_status "oversized signature file" 1 "$POLC" verify big -p k.pub

# ---- secret key permissions -------------------------------------------------------------
cp k.key open.key
for m in 644 640 604 660; do
	chmod "$m" open.key
	rm -f small.minisig
	expect_status "secret key mode $m refused" 2 "$POLC" sign small -s open.key
	expect_grep "mode $m: says why" "accessible by group or others.*chmod 600" "$T/err"
	that "mode $m: nothing written" absent small.minisig
done
chmod 400 open.key
expect_status "secret key mode 400 accepted" 0 "$POLC" sign small -s open.key
expect_status "sign a missing file" 2 "$POLC" sign nope -s k.key
expect_status "sign without -s" 2 "$POLC" sign small
expect_status "sign with a missing key" 2 "$POLC" sign small -s nope.key
expect_status "sign --help" 0 "$POLC" sign --help
expect_grep "sign --help documents POLC_KEY_PASSWORD" POLC_KEY_PASSWORD "$T/out"

# ---- artifacts --------------------------------------------------------------------------
cat >p.yaml <<EOF
polc: 1
name: signing-test
filesystem:
  read: [/usr]
  write: [$D]
EOF
HAVE_ART=0
if "$POLC" build p.yaml -o a.pola --sign k.key >"$T/out" 2>"$T/err"; then
	HAVE_ART=1
	pass "build --sign"
	sha=$(sha256sum a.pola | cut -d' ' -f1)
	expect_grep "artifact comment: sha256 and name" "^trusted comment: polc-artifact sha256:$sha name:signing-test\$" a.pola.minisig
	expect_status "verify artifact" 0 "$POLC" verify a.pola -p k.pub
	cp a.pola.minisig built.minisig
	expect_status "sign artifact" 0 "$POLC" sign a.pola -s k.key
	that "sign == build --sign (deterministic)" same a.pola.minisig built.minisig
	cp p.yaml q.yaml
	sed -i 's/signing-test/other-artifact/' q.yaml
	"$POLC" build q.yaml -o b.pola --sign k.key >/dev/null 2>&1
	cp b.pola b2.pola
	cp a.pola.minisig b2.pola.minisig
	expect_status "another artifact's signature" 1 "$POLC" verify b2.pola -p k.pub
	head -c 100 a.pola >broken.pola
	expect_status "sign refuses a malformed artifact" 2 "$POLC" sign broken.pola -s k.key
	expect_grep "malformed artifact reason" "malformed polc artifact" "$T/err"
else
	skip "artifact signing" "polc build failed: $(head -c 200 "$T/err")"
fi

# ---- interoperability with minisign -------------------------------------------------------
if [ "$HAVE_MINISIGN" = 1 ]; then
	expect_status "minisign verifies polc's signature" 0 minisign -Vm small -p k.pub
	[ "$HAVE_ART" = 1 ] && expect_status "minisign verifies a polc artifact signature" 0 minisign -Vm a.pola -p k.pub
	expect_status "minisign -G -W" 0 minisign -G -W -p m.pub -s m.key
	expect_status "minisign signs" 0 minisign -S -s m.key -m small -x small.ms
	expect_status "polc verifies minisign's signature" 0 "$POLC" verify small -x small.ms -p m.pub
	expect_grep "minisign's trusted comment" "^trusted comment: timestamp:[0-9]+.file:small" "$T/out"
	expect_status "minisign legacy signature" 0 minisign -S -l -s m.key -m small -x small.legacy
	expect_status "polc verifies a legacy signature" 0 "$POLC" verify small -x small.legacy -p m.pub
	expect_status "polc rejects minisign's signature of another file" 1 "$POLC" verify changed -x small.ms -p m.pub
	expect_status "polc signs with minisign's key" 0 "$POLC" sign small -s m.key -x small.pm
	expect_status "minisign verifies it" 0 minisign -Vm small -x small.pm -p m.pub
	expect_status "minisign signs with polc's key" 0 minisign -S -s k.key -m small -x small.mp
	expect_status "polc verifies it" 0 "$POLC" verify small -x small.mp -p k.pub
	expect_status "minisign refuses a polc signature by another key" 1 minisign -Vm small -x small.pm -p k.pub
	if [ "$HAVE_ART" = 1 ]; then
		bsha=$(sha256sum b.pola | cut -d' ' -f1)
		expect_status "minisign signs a lying artifact comment" 0 \
			minisign -S -s m.key -m a.pola -x lie.minisig -t "polc-artifact sha256:$bsha name:x"
		expect_status "polc refuses an artifact comment naming another file" 1 \
			"$POLC" verify a.pola -x lie.minisig -p m.pub
		expect_grep "lying comment reason" "not this file's" "$T/err"
	fi

	# Encrypted keys (scrypt with minisign's 1 GiB / 2^25 limits: seconds each).
	if printf 'enc pw\nenc pw\n' | minisign -G -p e.pub -s e.key >/dev/null 2>&1; then
		pass "minisign -G (encrypted)"
		POLC_KEY_PASSWORD='enc pw' expect_status "polc signs with minisign's encrypted key" 0 \
			"$POLC" sign small -s e.key -x small.enc
		expect_status "minisign verifies it" 0 minisign -Vm small -x small.enc -p e.pub
		POLC_KEY_PASSWORD='wrong' expect_status "wrong password" 2 "$POLC" sign small -s e.key -x small.enc2
		expect_grep "wrong password reason" "wrong password" "$T/err"
		that "nothing written with a wrong password" absent small.enc2
		expect_status "encrypted key without password or terminal" 2 \
			env -u POLC_KEY_PASSWORD setsid -w "$POLC" sign small -s e.key -x small.enc3 </dev/null
		expect_grep "says how to give the password" "POLC_KEY_PASSWORD" "$T/err"
	else
		fail "minisign -G (encrypted)"
	fi
	if [ "$HAVE_PY" = 1 ]; then
		# keygen --password reads the terminal: drive it through a pty.
		cat >"$T/ttydrive.py" <<'EOF'
import os, pty, select, sys
# ttydrive.py ANSWERS CMD...: run CMD on a new pty, answer each "...: " prompt
# with the next line of ANSWERS; exit with CMD's status.
answers = sys.argv[1].split("\n")
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
seen = b""
while True:
    r, _, _ = select.select([fd], [], [], 120)
    if not r:
        break
    try:
        d = os.read(fd, 4096)
    except OSError:
        break
    if not d:
        break
    seen += d
    if seen.rstrip(b" ").endswith(b":") and answers:
        os.write(fd, answers.pop(0).encode() + b"\n")
        seen = b""
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
EOF
		expect_status "keygen --password (mismatch)" 2 python3 "$T/ttydrive.py" $'one\ntwo' "$POLC" keygen -p pe.pub -s pe.key --password
		that "no key written on a password mismatch" absent pe.key pe.pub
		expect_status "keygen --password" 0 python3 "$T/ttydrive.py" $'pty pw\npty pw' "$POLC" keygen -p pe.pub -s pe.key --password
		expect_grep "encrypted key comment" "^untrusted comment: minisign encrypted secret key" pe.key
		if printf 'pty pw\n' | minisign -S -s pe.key -m small -x small.pe >/dev/null 2>&1; then
			pass "minisign signs with polc's encrypted key"
		else
			fail "minisign signs with polc's encrypted key"
		fi
		expect_status "polc verifies it" 0 "$POLC" verify small -x small.pe -p pe.pub
	else
		skip "keygen --password" "python3 not found (needed to drive a terminal)"
	fi
else
	skip "minisign interoperability" "minisign not installed (ci/install-deps)"
fi

# ---- every single-byte flip is rejected -----------------------------------------------------
# flip.py FILE SIG PUB VALUES — flips each byte of FILE, then of SIG, with
# each value; every `polc verify` must exit 1 (with one stderr line).  The
# untrusted comment is unsigned in minisign's format: a flip there may only
# leave the verdict and the output unchanged.  Prints "ok N" or the failures.
cat >"$T/flip.py" <<'EOF'
import subprocess, sys
polc, path, sig, pub, values = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
values = [int(v, 0) for v in values.split(",")]
orig = {p: open(p, "rb").read() for p in (path, sig)}
def run():
    return subprocess.run([polc, "verify", path, "-x", sig, "-p", pub],
                          capture_output=True)
good = run()
if good.returncode != 0:
    print("unsigned to start with:", good.stderr.decode()); sys.exit(1)
s = orig[sig]
ucom = (len(b"untrusted comment: "), s.index(b"\n"))
bad, n = [], 0
for target in (path, sig):
    data = orig[target]
    for i in range(len(data)):
        for v in values:
            b = bytearray(data); b[i] ^= v
            open(target, "wb").write(b)
            r = run(); n += 1
            if target == sig and ucom[0] <= i < ucom[1] and r.returncode == 0:
                if r.stdout != good.stdout:
                    bad.append("%s[%d]^%#x: output changed" % (target, i, v))
            elif r.returncode != 1 or r.stderr.count(b"\n") != 1:
                bad.append("%s[%d]^%#x: exit %d %r" % (target, i, v, r.returncode, r.stderr[:80]))
    open(target, "wb").write(data)
print("ok %d" % n if not bad else "\n".join(bad[:10]))
sys.exit(1 if bad else 0)
EOF
if [ "$HAVE_PY" = 1 ]; then
	"$POLC" sign small -s k.key >/dev/null 2>&1
	if python3 "$T/flip.py" "$POLC" small small.minisig k.pub 0x01,0x20,0x80 >"$T/flip.out" 2>&1; then
		pass "every byte flip of a small file and its signature rejected ($(cat "$T/flip.out") runs)"
	else
		fail "every byte flip of a small file and its signature rejected" "$(head -c 600 "$T/flip.out")"
	fi
	if [ "$HAVE_ART" = 1 ]; then
		"$POLC" sign a.pola -s k.key >/dev/null 2>&1
		if python3 "$T/flip.py" "$POLC" a.pola a.pola.minisig k.pub 0x01,0xff >"$T/flip.out" 2>&1; then
			pass "every byte flip of an artifact and its signature rejected ($(cat "$T/flip.out") runs)"
		else
			fail "every byte flip of an artifact and its signature rejected" "$(head -c 600 "$T/flip.out")"
		fi
	fi
else
	skip "byte flips" "python3 not found"
fi

# Ctrl-C at the password prompt: polc ends as SIGINT would, the terminal's
# echo is back on, and no key file is left behind.
if [ "$HAVE_PY" = 1 ]; then
	cat >"$T/ctrlc.py" <<'EOP'
import os, pty, sys, time, termios
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
out, deadline = b"", time.time() + 10
while b"assword" not in out and time.time() < deadline:
    try:
        out += os.read(fd, 1024)
    except OSError:
        break
os.write(fd, b"\x03")
_, st = os.waitpid(pid, 0)
echo = bool(termios.tcgetattr(fd)[3] & termios.ECHO)
print("prompt=%d signal=%d echo=%d" % (b"assword" in out, os.WTERMSIG(st) if os.WIFSIGNALED(st) else 0, echo))
EOP
	got=$(python3 "$T/ctrlc.py" "$POLC" keygen -p "$T/cc.pub" -s "$T/cc.sec" --password 2>&1 | tail -n 1)
	if [ "$got" = "prompt=1 signal=2 echo=1" ] && [ ! -e "$T/cc.pub" ] && [ ! -e "$T/cc.sec" ]; then
		pass "Ctrl-C at the password prompt: SIGINT, echo restored, no key files"
	else
		fail "Ctrl-C at the password prompt" "$got; files: $(ls "$T"/cc.* 2>/dev/null)"
	fi
fi

finish
