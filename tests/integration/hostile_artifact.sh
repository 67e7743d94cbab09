#!/usr/bin/env bash
# hostile_artifact.sh — runmin itself (not only `polc verify`) refuses
# tampered artifacts and signatures, and hostile sizes cannot make it
# allocate without bound.
#
#  1. Every single-byte change (xor 0x01 and xor 0x80) of a small signed
#     artifact and of its .minisig, and every truncation of the artifact:
#     `runmin -a X -p PUB -- touch MARKER` exits 125 with one `runmin: ` line
#     and MARKER is never created.  The one exception is minisign's
#     *untrusted* comment (the text after "untrusted comment: " on the first
#     line of the .minisig), which minisign's format leaves unsigned by design;
#     those offsets are counted and reported, not checked.
#  2. Artifacts whose declared counts and lengths are huge (section count,
#     total size, section offsets and lengths, Landlock rule counts, net
#     table counts, seccomp instruction and map counts), correctly signed so
#     that they reach the parsers, and again unsigned with consistent section
#     hashes (--allow-unsigned): refused with 125 under a 128 MiB address
#     space limit (prlimit --as), with a small peak RSS.
#  3. Oversized files (artifact over 64 MiB, 1 GiB signature and key, sparse)
#     are refused before they are read; an artifact of exactly the limit is
#     read whole and refused, within the same address space limit.
. "$(dirname "$0")/../lib.sh"

if [ ! -x "$RUNMIN" ] || [ ! -x "$POLC" ]; then
	fail "hostile_artifact" "build first: make O=... all"
	finish
fi
for tool in python3 prlimit /usr/bin/time; do
	if ! command -v "$tool" >/dev/null; then
		skip "hostile_artifact" "needs $tool"
		finish
	fi
done

MARK=$T/marker
AS_LIMIT=$((128 << 20)) # bytes of address space runmin gets
RSS_MAX_KB=16384        # peak RSS allowed for a small hostile artifact
BIG_RSS_MAX_KB=$((80 << 10))
# An ASan build reserves terabytes of shadow address space and keeps more
# resident: no address space limit there, looser RSS bounds.
if grep -qa __asan_init "$RUNMIN"; then
	AS_LIMIT=unlimited
	RSS_MAX_KB=$((96 << 10))
	BIG_RSS_MAX_KB=$((256 << 10))
fi
"$POLC" keygen -p "$T/k.pub" -s "$T/k.sec" >/dev/null 2>&1 || { fail "keygen"; finish; }

# A tiny policy (no process section) keeps the artifact small: ~450 bytes.
printf 'polc: 1\nname: tiny\n' >"$T/tiny.yaml"
"$POLC" build "$T/tiny.yaml" -o "$T/tiny.pola" --sign "$T/k.sec" >/dev/null 2>&1 ||
	{ fail "build tiny"; finish; }

# try ARTIFACT [runmin options...] — runs `touch MARKER` under runmin with
# the test key; sets $st (exit status), $T/try.err.
try() {
	local art=$1
	shift
	rm -f "$MARK"
	st=0
	"$RUNMIN" "$@" -a "$art" -p "$T/k.pub" -- /usr/bin/touch "$MARK" >"$T/try.out" 2>"$T/try.err" ||
		st=$?
}

# refused_ok: the last try was a proper refusal (125, one runmin: line,
# nothing ran).
refused_ok() {
	[ "$st" = 125 ] && [ ! -e "$MARK" ] && [ ! -s "$T/try.out" ] &&
		[ "$(wc -l <"$T/try.err")" = 1 ] && grep -q '^runmin: ' "$T/try.err"
}

# The baseline must run the command, or the refusals below prove nothing.
try "$T/tiny.pola"
if [ "$st" = 0 ] && [ -e "$MARK" ]; then pass "unmodified artifact runs the command"; else
	fail "unmodified artifact runs the command" "exit $st: $(head -c 300 "$T/try.err")"
	finish
fi

# ---- 1. single-byte changes -----------------------------------------------------------
# All variants are written at once (python3), each artifact beside a
# symbolic link to the signature it is checked with (or the other way
# round), so the loop below starts nothing but runmin.
mkdir -p "$T/flip"
python3 - "$T/tiny.pola" "$T/flip" >"$T/flip.list" <<'PY' || fail "write the single-byte variants"
import os, sys
art, out = sys.argv[1], sys.argv[2]
a = open(art, 'rb').read()
s = open(art + '.minisig', 'rb').read()
nl = s.index(b'\n')
uc = len(b'untrusted comment: ') if s.startswith(b'untrusted comment: ') else nl
def variant(name, abytes, sbytes):
    p = os.path.join(out, name + '.pola')
    if abytes is None:
        os.symlink(art, p)
    else:
        open(p, 'wb').write(abytes)
    if sbytes is None:
        os.symlink(art + '.minisig', p + '.minisig')
    else:
        open(p + '.minisig', 'wb').write(sbytes)
    print(name)
for off in range(len(a)):
    for x in (0x01, 0x80):
        b = bytearray(a); b[off] ^= x
        variant('art-%d-%02x' % (off, x), bytes(b), None)
for off in range(len(s)):
    if uc <= off < nl:
        continue  # minisign's untrusted comment is not signed, by design
    for x in (0x01, 0x80):
        b = bytearray(s); b[off] ^= x
        variant('sig-%d-%02x' % (off, x), None, bytes(b))
for n in range(len(a)):
    variant('trunc-%d' % n, a[:n], None)
variant('append-1', a + b'\0', None)
PY

# refused_fast: refused_ok without starting a process.
refused_fast() {
	local l1 l2
	[ "$st" = 125 ] && [ ! -e "$MARK" ] && [ ! -s "$T/try.out" ] || return 1
	{ IFS= read -r l1 && ! IFS= read -r l2; } <"$T/try.err" && [ "${l1#runmin: }" != "$l1" ]
}
declare -A nvar nbad badlist
while read -r v; do
	try "$T/flip/$v.pola"
	k=${v%%-*}
	nvar[$k]=$((${nvar[$k]:-0} + 1))
	if ! refused_fast; then
		nbad[$k]=$((${nbad[$k]:-0} + 1))
		[ "${nbad[$k]}" -le 8 ] && badlist[$k]="${badlist[$k]:-} $v: exit $st $(head -c 120 "$T/try.err");"
	fi
done <"$T/flip.list"
rm -rf "$T/flip"
asize=$(stat -c %s "$T/tiny.pola")
ssize=$(stat -c %s "$T/tiny.pola.minisig")
uc_len=$(head -n 1 "$T/tiny.pola.minisig" | wc -c)
uc_len=$((uc_len - 1 - 19))
for k in art sig trunc append; do
	case $k in
	art) what="artifact ($asize bytes): ${nvar[$k]:-0} single-byte changes (xor 0x01, xor 0x80)" ;;
	sig) what="signature ($ssize bytes): ${nvar[$k]:-0} single-byte changes (xor 0x01, xor 0x80; the $uc_len bytes of the unsigned untrusted comment excluded)" ;;
	trunc) what="artifact: all ${nvar[$k]:-0} truncations" ;;
	append) what="artifact with one byte appended" ;;
	esac
	if [ "${nvar[$k]:-0}" -gt 0 ] && [ "${nbad[$k]:-0}" = 0 ]; then
		pass "$what refused by runmin (exit 125, the command never ran)"
	else
		fail "$what refused by runmin" "${nbad[$k]:-0} not refused:${badlist[$k]:-}"
	fi
done
[ "${nvar[art]:-0}" = $((2 * asize)) ] || fail "every artifact byte changed" "${nvar[art]:-0} variants"
[ "${nvar[trunc]:-0}" = "$asize" ] || fail "every truncation" "${nvar[trunc]:-0} variants"

# ---- 2. huge declared counts and lengths -----------------------------------------------
# A policy with every section: Landlock paths and a bind port, net rows,
# seccomp programs, kept capabilities (PROCESS).
cat >"$T/full.yaml" <<'EOF'
polc: 1
name: full
filesystem:
  exec: [/usr]
  read: [/etc]
  write: [/tmp]
process:
  default: allow
  deny: [ptrace, bpf]
  rules:
    - syscalls: [socket]
      args: [{index: 0, op: in, values: [AF_VSOCK, AF_PACKET]}]
      action: errno EACCES
  capabilities: [NET_BIND_SERVICE]
network:
  outbound:
    - host: api.example.com
      ports: [443]
      methods: [GET]
      paths: ["/v1/**"]
    - host: 10.0.0.0/8
      ports: ["8000-8080", 9000]
  bind: [3000]
EOF
"$POLC" build "$T/full.yaml" -o "$T/full.pola" >/dev/null 2>&1 || { fail "build full"; finish; }

mkdir -p "$T/hostile"
# Writes one variant per line "NAME<TAB>FILE" to the manifest; section
# hashes are recomputed so that only the declared sizes are wrong.
case "$(uname -m)" in
x86_64) native_audit=$((0xc000003e)) ;;
aarch64) native_audit=$((0xc00000b7)) ;;
*) native_audit=0 ;;
esac
python3 - "$T/full.pola" "$T/hostile" "$native_audit" >"$T/manifest" <<'PY' || fail "craft hostile artifacts"
import hashlib, struct, sys
src, out, native = sys.argv[1], sys.argv[2], int(sys.argv[3])
base = open(src, 'rb').read()
n = struct.unpack_from('<I', base, 16)[0]
secs = []
for i in range(n):
    t, a, off, ln = struct.unpack_from('<IIII', base, 32 + 48 * i)
    secs.append((i, t, a, off, ln))
names = {1: 'meta', 2: 'seccomp', 3: 'landlock', 4: 'nettable', 5: 'process'}

# Third column: "used" when runmin reads the part that was changed, "unused"
# for the payload of a section it does not read (the network table: runmin
# has no proxy yet; seccomp programs for other architectures).
def emit(name, b, rehash=True, used='used'):
    b = bytearray(b)
    if rehash:
        for i, t, a, off, ln in secs:
            if off + ln <= len(b):
                b[32 + 48 * i + 16: 32 + 48 * i + 48] = hashlib.sha256(b[off:off + ln]).digest()
    path = '%s/%s.pola' % (out, name)
    open(path, 'wb').write(bytes(b))
    print('%s\t%s\t%s' % (name, path, used))

def patched(off, fmt, val):
    b = bytearray(base)
    struct.pack_into(fmt, b, off, val)
    return b

for v in (0, 17, 0xffff, 0xffffffff):
    emit('header-nsections-%x' % v, patched(16, '<I', v))
emit('header-total-ffffffff', patched(24, '<I', 0xffffffff))
emit('header-min-abi-ffffffff', patched(20, '<I', 0xffffffff))
emit('header-size-ffff', patched(10, '<H', 0xffff))
for i, t, a, off, ln in secs:
    nm = '%s%d' % (names.get(t, 'sec'), i)
    for v in (0xffffffff, 0x7fffffff, ln + 8):
        emit('%s-length-%x' % (nm, v), patched(32 + 48 * i + 12, '<I', v))
    emit('%s-offset-fffffff8' % nm, patched(32 + 48 * i + 8, '<I', 0xfffffff8))
    emit('%s-type-ffffffff' % nm, patched(32 + 48 * i, '<I', 0xffffffff))
    fields = []
    if t == 3:    # landlock: path and net rule counts, first path length
        fields = [(36, '<I'), (40, '<I'), (48 + 14, '<H')]
    elif t == 4:  # nettable: every count and length in the header
        fields = [(o, '<I') for o in range(8, 40, 4)]
    elif t == 2:  # seccomp: instruction count, map count
        ninsn = struct.unpack_from('<I', base, off + 8)[0]
        fields = [(8, '<I'), (12 + 8 * ninsn, '<I')]
    elif t == 5:  # process: version, flags
        fields = [(0, '<I'), (4, '<I')]
    used = 'unused' if t == 2 and a != native else 'used'  # runmin opens the network table too
    for fo, fmt in fields:
        for v in ((0xffff, 0x8000) if fmt == '<H' else (0xffffffff, 0x80000000, 0x10000)):
            emit('%s-field%d-%x' % (nm, fo, v), patched(off + fo, fmt, v), used=used)
PY
nvar=$(wc -l <"$T/manifest")
[ "$nvar" -gt 40 ] && pass "crafted $nvar hostile artifacts" || fail "crafted hostile artifacts" "only $nvar"

# limited NAME ARTIFACT [runmin options] — runmin under the address space
# limit and /usr/bin/time; sets $st and $rss (KiB).
limited() {
	local art=$1
	shift
	rm -f "$MARK"
	st=0
	/usr/bin/time -f '%M' -o "$T/rss" prlimit --as="$AS_LIMIT" -- \
		"$RUNMIN" "$@" -a "$art" -p "$T/k.pub" -- /usr/bin/touch "$MARK" \
		>"$T/try.out" 2>"$T/try.err" || st=$?
	rss=$(tail -n 1 "$T/rss")
}

# The limit itself does not stop a good artifact.
"$POLC" sign "$T/full.pola" -s "$T/k.sec" >/dev/null 2>&1
limited "$T/full.pola"
if [ "$st" = 0 ] && [ -e "$MARK" ]; then
	pass "full artifact runs under the address space limit ($AS_LIMIT bytes; peak RSS ${rss} KiB)"
else
	fail "full artifact runs under the address space limit" "exit $st: $(head -c 300 "$T/try.err")"
fi

# sign FILE: `polc sign` refuses to sign a malformed artifact, so a hostile
# one is signed with minisign (the same key format): a signer that signs
# whatever it is given.
sign() {
	"$POLC" sign "$1" -s "$T/k.sec" >/dev/null 2>&1 ||
		minisign -S -s "$T/k.sec" -m "$1" -t hostile >/dev/null 2>&1 </dev/null
}
have_minisign=0
command -v minisign >/dev/null && have_minisign=1

bad=0 maxrss=0 nsig=0 nuns=0 nacc=0 accepted=""
# judge NAME USED — after `limited`: refused within bounds is right; a
# change runmin never reads may also run the command (counted, reported);
# anything else (a crash, a signal, too much memory) fails.
judge() {
	[ "$rss" -gt "$maxrss" ] && maxrss=$rss
	if [ "$rss" -gt "$RSS_MAX_KB" ]; then
		bad=$((bad + 1))
		echo "    $1: peak RSS $rss KiB"
	elif refused_ok; then
		:
	elif [ "$2" = unused ] && [ "$st" = 0 ] && [ -e "$MARK" ]; then
		nacc=$((nacc + 1))
		local sec=${1#* }
		sec=${sec%%-*}
		case " $accepted " in *" $sec "*) ;; *) accepted="$accepted $sec" ;; esac
	else
		bad=$((bad + 1))
		echo "    $1: exit $st, peak RSS $rss KiB: $(head -c 200 "$T/try.err")"
	fi
}
while IFS=$'\t' read -r name file used; do
	# Signed by the trusted key: only the parsers stand in the way.
	if sign "$file"; then
		limited "$file"
		nsig=$((nsig + 1))
		judge "signed $name" "$used"
	elif [ "$have_minisign" = 1 ]; then
		bad=$((bad + 1))
		echo "    could not sign $name"
	fi
	# Unsigned, with consistent section hashes.
	limited "$file" --allow-unsigned
	nuns=$((nuns + 1))
	judge "unsigned $name" "$used"
done <"$T/manifest"
if [ "$bad" = 0 ]; then
	pass "huge declared sizes: $nsig signed and $nuns unsigned variants refused or harmless, peak RSS at most $maxrss KiB"
else
	fail "huge declared sizes refused within bounds" "$bad runs were not"
fi
[ "$have_minisign" = 1 ] || skip "hostile artifacts signed" "no minisign to sign malformed artifacts (polc sign refuses them)"
if [ "$nacc" -gt 0 ]; then
	# Only sections the manifest marks unused get here (judge): another
	# architecture's seccomp program, which runmin never parses, so
	# running is right.
	pass "malformed sections runmin never reads are harmless: $nacc runs with a corrupt payload of:$accepted ran the command"
fi

# ---- 3. oversized files ---------------------------------------------------------------
cp "$T/tiny.pola" "$T/big.pola"
cp "$T/tiny.pola.minisig" "$T/big.pola.minisig"
truncate -s $(((64 << 20) + 1)) "$T/big.pola"
limited "$T/big.pola"
if refused_ok && grep -q 'too large' "$T/try.err" && [ "$rss" -le "$RSS_MAX_KB" ]; then
	pass "artifact over 64 MiB refused unread (peak RSS $rss KiB)"
else
	fail "artifact over 64 MiB refused unread" "exit $st, RSS $rss: $(head -c 200 "$T/try.err")"
fi
truncate -s $((64 << 20)) "$T/big.pola"
sign "$T/big.pola"
limited "$T/big.pola"
if refused_ok && [ "$rss" -le "$BIG_RSS_MAX_KB" ]; then
	pass "signed 64 MiB artifact read once and refused (peak RSS $rss KiB)"
else
	fail "signed 64 MiB artifact refused within bounds" "exit $st, RSS $rss: $(head -c 200 "$T/try.err")"
fi
rm -f "$T/big.pola"

cp "$T/tiny.pola" "$T/v.pola"
cp "$T/tiny.pola.minisig" "$T/v.pola.minisig"
truncate -s $((1 << 30)) "$T/v.pola.minisig"
limited "$T/v.pola"
if refused_ok && grep -q 'too large' "$T/try.err" && [ "$rss" -le "$RSS_MAX_KB" ]; then
	pass "1 GiB signature refused unread (peak RSS $rss KiB)"
else
	fail "1 GiB signature refused unread" "exit $st, RSS $rss: $(head -c 200 "$T/try.err")"
fi
cp "$T/tiny.pola.minisig" "$T/v.pola.minisig"
cp "$T/k.pub" "$T/huge.pub"
truncate -s $((1 << 30)) "$T/huge.pub"
rm -f "$MARK"
st=0
/usr/bin/time -f '%M' -o "$T/rss" prlimit --as="$AS_LIMIT" -- \
	"$RUNMIN" -a "$T/v.pola" -p "$T/huge.pub" -- /usr/bin/touch "$MARK" >"$T/try.out" 2>"$T/try.err" || st=$?
rss=$(tail -n 1 "$T/rss")
if refused_ok && grep -q 'too large' "$T/try.err" && [ "$rss" -le "$RSS_MAX_KB" ]; then
	pass "1 GiB public key refused unread (peak RSS $rss KiB)"
else
	fail "1 GiB public key refused unread" "exit $st, RSS $rss: $(head -c 200 "$T/try.err")"
fi
rm -f "$T/huge.pub" "$T/v.pola.minisig"

# A FIFO where the artifact should be: refused at once, no hang.
mkfifo "$T/fifo.pola"
cp "$T/tiny.pola.minisig" "$T/fifo.pola.minisig"
rm -f "$MARK"
st=0
timeout 10 "$RUNMIN" -a "$T/fifo.pola" -p "$T/k.pub" -- /usr/bin/touch "$MARK" >"$T/try.out" 2>"$T/try.err" || st=$?
if refused_ok && grep -q 'not a regular file' "$T/try.err"; then pass "FIFO artifact refused without blocking"; else
	fail "FIFO artifact refused without blocking" "exit $st: $(head -c 200 "$T/try.err")"
fi
finish
