#!/usr/bin/env bash
# stdlib_python3.sh — stdlib-policies/python3.yaml under runmin: python3
# runs a script that uses files, threads, subprocesses, multiprocessing,
# tempfile, asyncio, sqlite and the ssl module's CA store in the workspace;
# the same script's escape attempts fail with the errors a program sees;
# the obvious escapes fail; its polc test file passes.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/stdlib/common.sh"

expect_status "polc test python3" 0 "$POLC" test "$SRC/stdlib-policies/python3.yaml" \
	"$SRC/stdlib-policies/tests/python3.test.yaml"
expect_status "polc lint python3" 0 "$POLC" lint --fail-level warning "$SRC/stdlib-policies/python3.yaml"
stdlib python3 || finish

cat >"$W/ws/work.py" <<'EOS'
import asyncio, concurrent.futures, hashlib, json, multiprocessing, os, socket
import sqlite3, ssl, subprocess, sys, tempfile, threading

ws = sys.argv[1]
out = []
with open(os.path.join(ws, "data.json"), "w") as f:
    json.dump({"k": list(range(10))}, f)
out.append(json.load(open(os.path.join(ws, "data.json")))["k"][-1] == 9)
t = threading.Thread(target=lambda: None); t.start(); t.join()
with concurrent.futures.ThreadPoolExecutor(4) as ex:
    out.append(sum(ex.map(lambda x: x * x, range(10))) == 285)
out.append(subprocess.run(["/bin/echo", "hi"], capture_output=True, text=True).stdout == "hi\n")
out.append(subprocess.run("ls | wc -l", shell=True, capture_output=True).returncode == 0)
with tempfile.TemporaryDirectory() as d:
    open(os.path.join(d, "x"), "w").write("x")
with multiprocessing.Pool(2) as p:
    out.append(p.map(abs, [-1, -2]) == [1, 2])
async def main():
    await asyncio.sleep(0.01)
    return 1
out.append(asyncio.run(main()) == 1)
db = sqlite3.connect(os.path.join(ws, "db.sqlite"))
db.execute("create table t (x)"); db.execute("insert into t values (1)"); db.commit()
out.append(db.execute("select count(*) from t").fetchone()[0] == 1)
out.append(ssl.create_default_context().cert_store_stats()["x509_ca"] > 10)
out.append(hashlib.sha256(b"x").hexdigest()[:4] == "2d71")
print("works" if all(out) else "broken: %r" % out)

# what the sandbox refuses, as python sees it
def err(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return type(e).__name__
print(err(lambda: open("/etc/shadow").read()))
print(err(lambda: open(sys.argv[2], "w").write("x")))
print(err(lambda: os.listdir("/root")))
print(err(lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)))
print(err(lambda: os.setuid(65534) if os.getuid() == 0 else (_ for _ in ()).throw(PermissionError())))
print(err(lambda: os.unshare(os.CLONE_NEWUSER) if hasattr(os, "unshare") else (_ for _ in ()).throw(PermissionError())))
EOS
sb python3 /usr/bin/python3 "$W/ws/work.py" "$W/ws" "$W/out/py" >"$T/py.out" 2>"$T/py.err"
want="works PermissionError PermissionError PermissionError PermissionError PermissionError PermissionError "
if [ "$(tr '\n' ' ' <"$T/py.out")" = "$want" ]; then
	pass "python3 runs the script; open/listdir/UDP/setuid/unshare escapes raise PermissionError"
else
	fail "python3 script" "out: $(tr '\n' ' ' <"$T/py.out") err: $(head -c 600 "$T/py.err")"
fi
test ! -e "$W/out/py" && pass "nothing written outside by python" || fail "python wrote outside"
check "control: the same script outside the sandbox can read /etc/shadow" ok \
	python3 -c 'open("/etc/shadow").read(); print("ok")'
check "python3 -m venv in the workspace" ok sb python3 /bin/sh -c \
	"/usr/bin/python3 -m venv --without-pip $W/ws/venv && $W/ws/venv/bin/python -c 'print(\"ok\")'"
escapes python3
finish
