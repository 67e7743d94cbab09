// agent.js — does what a coding agent (Claude Code, Codex CLI, Copilot CLI)
// does, for tests/integration/stdlib_agents.sh: reads a task in the
// workspace, writes code, runs it, drives git, keeps state in its config
// directory, calls its model API over HTTPS through the proxy named in
// HTTPS_PROXY, and tries a few things a sandbox must refuse.  One line per
// step on stdout: "NAME: RESULT".
//
//   node agent.js WORKSPACE STATE_DIR OUTSIDE_FILE SECRET_FILE [API_HOST API_PORT CA_FILE DENIED_HOST]
'use strict';
const fs = require('fs'), path = require('path'), cp = require('child_process');
const http = require('http'), tls = require('tls');
const [ws, state, outside, secret, apiHost, apiPort, caFile, deniedHost] = process.argv.slice(2);

const say = (k, v) => console.log(`${k}: ${v}`);
const code = f => { try { f(); return 'ok'; } catch (e) { return e.code || e.message; } };

// CONNECT through the proxy, then TLS to the API, then one POST; resolves
// to the HTTP status line's code, or the proxy's refusal.
function apiCall(host, port, ca) {
  const proxy = new URL(process.env.HTTPS_PROXY || process.env.https_proxy);
  return new Promise(resolve => {
    const req = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT',
                               path: `${host}:${port}`, headers: { host: `${host}:${port}` } });
    req.on('connect', (res, sock) => {
      if (res.statusCode !== 200) { sock.destroy(); return resolve(`proxy ${res.statusCode}`); }
      const t = tls.connect({ socket: sock, ca, servername: host.match(/^[\d.]+$/) ? undefined : host,
                              host }, () => {
        const body = JSON.stringify({ model: 'test', messages: [{ role: 'user', content: 'hi' }] });
        t.write(`POST /v1/messages HTTP/1.1\r\nHost: ${host}\r\ncontent-type: application/json\r\n` +
                `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      });
      let data = '';
      t.on('data', d => { data += d; });
      t.on('end', () => resolve((data.match(/^HTTP\/1\.[01] (\d+)/) || [])[1] + ' ' +
                                (data.includes('"content"') ? 'with a reply' : 'no reply')));
      t.on('error', e => resolve(`tls ${e.code || e.message}`));
    });
    req.on('error', e => resolve(`proxy ${e.code || e.message}`));
    req.end();
  });
}

async function main() {
  // the task, the code, running it
  const task = fs.readFileSync(path.join(ws, 'TASK.md'), 'utf8');
  fs.mkdirSync(path.join(ws, 'src'), { recursive: true });
  fs.writeFileSync(path.join(ws, 'src', 'add.js'), 'module.exports = (a, b) => a + b;\n');
  fs.writeFileSync(path.join(ws, 'src', 'test.js'),
                   'const add = require("./add"); if (add(2, 3) !== 5) process.exit(1); console.log("pass");\n');
  say('files', task.includes('add') ? 'ok' : 'task unread');
  say('tests', cp.execFileSync(process.execPath, [path.join(ws, 'src', 'test.js')]).toString().trim());
  say('shell', cp.execSync('grep -rl "a + b" src | wc -l', { cwd: ws }).toString().trim());
  // git, as agents drive it
  const git = (...a) => cp.execFileSync('git', a, { cwd: ws, env: { ...process.env,
    GIT_AUTHOR_NAME: 'agent', GIT_AUTHOR_EMAIL: 'agent@example.com',
    GIT_COMMITTER_NAME: 'agent', GIT_COMMITTER_EMAIL: 'agent@example.com' } }).toString();
  git('init', '-q', '-b', 'main'); git('add', '-A'); git('commit', '-qm', 'add: implement');
  say('git', git('log', '--oneline').trim().split('\n').length === 1 &&
             git('status', '--porcelain').trim() === '' ? 'ok' : 'unexpected');
  // state: sessions and settings
  fs.mkdirSync(path.join(state, 'sessions'), { recursive: true });
  fs.writeFileSync(path.join(state, 'sessions', 's1.jsonl'), '{"role":"user"}\n');
  say('state', code(() => fs.readFileSync(path.join(state, 'sessions', 's1.jsonl'))));
  // what the sandbox must refuse
  say('read secret', code(() => fs.readFileSync(secret)));
  say('write outside', code(() => fs.writeFileSync(outside, 'x')));
  say('read /root', code(() => fs.readdirSync('/root')));
  say('spawn unshare', code(() => cp.execFileSync('unshare', ['--user', 'true'], { stdio: 'ignore' })) === 'ok'
                       ? 'ok' : 'refused');
  // the API, through the proxy
  if (!apiHost) return say('api', 'not asked');
  if (!process.env.HTTPS_PROXY && !process.env.https_proxy) return say('api', 'no proxy');
  const ca = fs.readFileSync(caFile);
  say('api', await apiCall(apiHost, apiPort, ca));
  say('api elsewhere', await apiCall(deniedHost, apiPort, ca));
}
main().catch(e => { say('crash', e.stack); process.exit(1); });
