#!/usr/bin/env bash
# bench/data/training-trace.sh — records bench/data/training-trace.txt, the
# trace the seccomp backend's static syscall weights are derived from
# (weights[] in compiler/bpf_gen.c).  Its programs are deliberately none of
# those of bench/data/syscall-trace.txt, the trace bpf_bench measures on:
# a tree tuned on the trace it is measured on would be measured dishonestly.
#
#   bash bench/data/training-trace.sh > bench/data/training-trace.txt
#   bash bench/data/training-trace.sh weights < bench/data/training-trace.txt
#
# The first records the trace: each program runs under `strace -f -c`
# (calls of children included) in a scratch directory; the output has the
# format of syscall-trace.txt.  Needs strace, make, gcc, perl, python3,
# node, gzip, xz, zstd, sqlite3, jq, file, tclsh.
#
# The second prints the weights[] table for compiler/bpf_gen.c: for each
# syscall, its share of each program's calls, averaged over the programs
# (so every program counts the same, however many calls it makes), in
# calls per 100 000, plus 1 (a syscall no program made weighs 1).
set -eu
if [ "${1:-}" = weights ]; then
	awk -v SCALE=100000 '/^program:/ { p++; next } /^#/ || NF != 2 { next }
	     { c[p, $1] += $2; tot[p] += $2; names[$1] = 1 }
	     END {
		for (n in names) {
			s = 0
			for (i = 1; i <= p; i++) if ((i, n) in c) s += c[i, n] / tot[i]
			printf "%s %d\n", n, int(s / p * SCALE + 0.5) + 1
		}
	     }' | LC_ALL=C sort | awk '{ printf "\t{\"%s\", %d},\n", $1, $2 }'
	exit 0
fi
S=$(mktemp -d)
trap 'rm -rf "$S"' EXIT
cd "$S"

# A small C project for make: four units and a link.
mkdir proj
for u in a b c d; do
	printf '#include <stdio.h>\n#include <string.h>\nint f_%s(const char *s) { return (int)strlen(s); }\n' "$u" >"proj/$u.c"
done
printf 'int f_a(const char *);int f_b(const char *);int f_c(const char *);int f_d(const char *);\nint main(int c, char **v) { (void)c; return f_a(v[0]) + f_b(v[0]) + f_c(v[0]) + f_d(v[0]) > 0 ? 0 : 1; }\n' >proj/main.c
printf 'OBJ = a.o b.o c.o d.o main.o\nprog: $(OBJ)\n\t$(CC) -o $@ $(OBJ)\n%%.o: %%.c\n\t$(CC) -O1 -c -o $@ $<\n' >proj/Makefile

run() {
	local what=$1
	shift
	strace -f -c -o "$S/st" "$@" >/dev/null 2>&1 ||
		echo "training-trace.sh: $what: exit status $? (its calls are recorded anyway)" >&2
	echo "program: $what"
	# strace -c: "% time seconds usecs/call calls [errors] syscall" rows
	awk '$1 ~ /^[0-9.]+$/ && NF >= 5 && $NF != "total" { print $NF, $4 }' "$S/st" | sort -k2,2nr -k1,1
}

echo "# training-trace.txt — system calls made by real programs, to derive the seccomp"
echo "# backend's static syscall weights (compiler/bpf_gen.c).  None of these programs"
echo "# is one of bench/data/syscall-trace.txt's (the benchmark's held-out trace)."
echo "# Recorded by bench/data/training-trace.sh with \`strace -f -c\` ($(strace -V | head -1 | sed 's/.*version //'));"
echo "# $(. /etc/os-release && echo "$PRETTY_NAME") $(uname -m), kernel $(uname -r | cut -d- -f1)."
echo "# One block per program: \"program: COMMAND\" then \"NAME COUNT\" lines."
run "make (4 C units and a link, gcc -O1)" make -C proj
run "python3 -c (email, http.client, xml.dom.minidom, csv, sqlite3, tempfile)" python3 -c '
import csv, email.parser, hashlib, http.client, os, sqlite3, tempfile, xml.dom.minidom
d = tempfile.mkdtemp()
p = os.path.join(d, "t.csv")
with open(p, "w", newline="") as f:
    csv.writer(f).writerows([[i, hashlib.sha1(str(i).encode()).hexdigest()] for i in range(2000)])
db = sqlite3.connect(os.path.join(d, "t.db"))
db.execute("create table t(a, b)")
with open(p) as f:
    db.executemany("insert into t values (?, ?)", csv.reader(f))
db.commit()
print(db.execute("select count(*) from t").fetchone(), xml.dom.minidom.parseString("<a><b/></a>").documentElement.tagName)
'
run "python3 http.server (threaded) and urllib, 200 requests on loopback" python3 -c '
import http.server, threading, urllib.request
open("page.html", "w").write("<p>polc</p>\n" * 2000)
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=srv.serve_forever, daemon=True).start()
url = "http://127.0.0.1:%d/page.html" % srv.server_address[1]
print(sum(len(urllib.request.urlopen(url).read()) for _ in range(200)))
srv.shutdown()
'
run "perl (File::Find over /usr/share/perl, lines of every .pm)" perl -MFile::Find -e '
my $n = 0; find(sub { return unless /\.pm$/; open(my $f, "<", $_) or return; $n++ while <$f>; close $f }, "/usr/share/perl"); print "$n\n"'
run "gzip -c /usr/include/linux/*.h" sh -c 'gzip -c /usr/include/linux/*.h > /dev/null'
run "xz -T1 -c libc.so.6" xz -T1 -c /usr/lib/x86_64-linux-gnu/libc.so.6
run "du -s /usr/lib/x86_64-linux-gnu /usr/share" du -s /usr/lib/x86_64-linux-gnu /usr/share
run "cp -r /usr/share/doc DIR" cp -r /usr/share/doc "$S/doc"
run "diff -r /usr/share/doc DIR" diff -r /usr/share/doc "$S/doc"
run "sed over /usr/include/linux/*.h" sh -c 'sed -n "s/^#define \\([A-Z_]*\\).*/\\1/p" /usr/include/linux/*.h > /dev/null'
run "awk over /usr/include/*.h" sh -c "awk '{ n += NF } END { print n }' /usr/include/*.h"
run "node -e (walk /usr/share/perl, JSON out)" node -e '
const fs = require("fs"), path = require("path");
function walk(d, out) { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p, out); else out.push([p, fs.statSync(p).size]); } return out; }
fs.writeFileSync(process.argv[1] || "/dev/null", JSON.stringify(walk("/usr/share/perl", [])));'
run "sha256sum /usr/lib/x86_64-linux-gnu/*.so.*" sh -c 'sha256sum /usr/lib/x86_64-linux-gnu/*.so.* > /dev/null'
run "python3 -m compileall (a copy of dist-packages/yaml and pygments)" sh -c "cp -r /usr/lib/python3/dist-packages/yaml /usr/lib/python3/dist-packages/pygments $S/ && python3 -m compileall -q $S/yaml $S/pygments"
run "file /usr/bin/*" sh -c 'file /usr/bin/* > /dev/null'
run "jq (node's output, every path over 4 KiB)" sh -c "node -e 'const a = []; for (let i = 0; i < 20000; i++) a.push({ p: \"/x/\" + i, s: i * 37 % 9000 }); console.log(JSON.stringify(a))' | jq -c '[.[] | select(.s > 4096) | .p] | length'"
run "zstd -c /usr/share/perl/*/unicore/*" sh -c 'zstd -q -c /usr/share/perl/*/unicore/* > /dev/null'
run "tclsh (glob and read /usr/share/tcltk)" sh -c "echo 'set n 0; foreach d [glob -type d /usr/share/tcltk/*] { foreach f [glob -nocomplain -directory \$d *.tcl] { set h [open \$f]; incr n [string length [read \$h]]; close \$h } }; puts \$n' | tclsh"
run "sqlite3 (2000 inserts, index, query)" sqlite3 "$S/x.db" "create table t(a integer, b text); with recursive c(x) as (select 1 union all select x + 1 from c where x < 2000) insert into t select x, hex(randomblob(16)) from c; create index ti on t(b); select count(*) from t where b like 'A%';"
