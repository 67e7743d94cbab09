#!/usr/bin/env bash
# stdlib_node.sh — stdlib-policies/node.yaml under runmin: node runs a
# script using fs, child_process, worker_threads, crypto, zlib, timers and
# the TLS stack's CA store in the workspace; the script's own escape
# attempts fail with EACCES/EPERM; the obvious escapes fail; its polc test
# file passes.
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/stdlib/common.sh"

expect_status "polc test node" 0 "$POLC" test "$SRC/stdlib-policies/node.yaml" \
	"$SRC/stdlib-policies/tests/node.test.yaml"
expect_status "polc lint node" 0 "$POLC" lint --fail-level warning "$SRC/stdlib-policies/node.yaml"
stdlib node || finish

cat >"$W/ws/work.js" <<'EOS'
const fs = require('fs'), path = require('path'), cp = require('child_process');
const crypto = require('crypto'), zlib = require('zlib'), os = require('os');
const tls = require('tls'), dgram = require('dgram');
const { Worker } = require('worker_threads');
const [ws, outside] = process.argv.slice(2);
async function main() {
  const ok = [];
  fs.writeFileSync(path.join(ws, 'n.json'), JSON.stringify({ a: [1, 2, 3] }));
  ok.push(JSON.parse(fs.readFileSync(path.join(ws, 'n.json'))).a.length === 3);
  ok.push((await fs.promises.readdir(ws)).includes('n.json'));
  ok.push(cp.execFileSync('/bin/echo', ['hi']).toString() === 'hi\n');
  ok.push(cp.execSync('ls | wc -l').toString().trim() !== '');
  ok.push(await new Promise(r => { const w = new Worker('require("worker_threads").parentPort.postMessage(6*7)', { eval: true }); w.on('message', m => r(m === 42)); w.on('error', () => r(false)); }));
  ok.push(crypto.createHash('sha256').update('x').digest('hex').startsWith('2d71'));
  ok.push(zlib.gunzipSync(zlib.gzipSync('abc')).toString() === 'abc');
  ok.push(tls.rootCertificates.length > 10);
  ok.push(os.cpus().length > 0);
  await new Promise(r => setTimeout(r, 10));
  console.log(ok.every(Boolean) ? 'works' : 'broken: ' + JSON.stringify(ok));
  const code = f => { try { f(); return 'ok'; } catch (e) { return e.code || String(e); } };
  console.log(code(() => fs.readFileSync('/etc/shadow')));
  console.log(code(() => fs.writeFileSync(outside, 'x')));
  console.log(code(() => fs.readdirSync('/root')));
  console.log(await new Promise(r => { const s = dgram.createSocket('udp4'); s.on('error', e => r(e.code)); s.bind(0, () => { r('ok'); s.close(); }); }));
}
main();
EOS
sb node /usr/bin/node "$W/ws/work.js" "$W/ws" "$W/out/node" >"$T/node.out" 2>"$T/node.err"
want="works EACCES EACCES EACCES EPERM "
if [ "$(tr '\n' ' ' <"$T/node.out")" = "$want" ]; then
	pass "node runs the script; read/write/list/UDP escapes fail (EACCES, EPERM)"
else
	fail "node script" "out: $(tr '\n' ' ' <"$T/node.out") err: $(head -c 600 "$T/node.err")"
fi
test ! -e "$W/out/node" && pass "nothing written outside by node" || fail "node wrote outside"
check "control: node outside the sandbox reads /etc/shadow" ok \
	node -e 'require("fs").readFileSync("/etc/shadow"); console.log("ok")'
check "npm runs (version)" ok sb node /bin/sh -c 'npm --version >/dev/null 2>&1 && echo ok'
escapes node
finish
