"""agent.py — the Python twin of agent.js (tests/integration/stdlib_agents.sh):
reads a task in the workspace, writes and runs code, drives git, keeps state,
calls the model API over HTTPS through the proxy in HTTPS_PROXY, and tries
what a sandbox must refuse.  One line per step: "NAME: RESULT".

  python3 agent.py WORKSPACE STATE_DIR OUTSIDE_FILE SECRET_FILE [API_HOST API_PORT CA_FILE DENIED_HOST]
"""
import json
import os
import socket
import ssl
import subprocess
import sys
import urllib.parse

ws, state, outside, secret = sys.argv[1:5]
api = sys.argv[5:9]


def say(k, v):
    print(f"{k}: {v}", flush=True)


def code(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return type(e).__name__


def api_call(host, port, ca):
    """CONNECT through the proxy, TLS to the API, one POST."""
    proxy = urllib.parse.urlsplit(os.environ.get("HTTPS_PROXY") or os.environ["https_proxy"])
    s = socket.create_connection((proxy.hostname, proxy.port), timeout=10)
    s.sendall(f"CONNECT {host}:{port} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            break
        head += chunk
    status = head.split(b" ", 2)[1].decode() if head.startswith(b"HTTP/") else "?"
    if status != "200":
        s.close()
        return f"proxy {status}"
    ctx = ssl.create_default_context(cafile=ca)
    try:
        t = ctx.wrap_socket(s, server_hostname=host)
    except (ssl.SSLError, OSError) as e:
        return f"tls {type(e).__name__}"
    body = json.dumps({"model": "test", "messages": [{"role": "user", "content": "hi"}]})
    t.sendall((f"POST /v1/responses HTTP/1.1\r\nHost: {host}\r\ncontent-type: application/json\r\n"
               f"content-length: {len(body)}\r\nconnection: close\r\n\r\n{body}").encode())
    data = b""
    while True:
        chunk = t.recv(4096)
        if not chunk:
            break
        data += chunk
    t.close()
    code_ = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "?"
    return f"{code_} {'with a reply' if b'content' in data else 'no reply'}"


task = open(os.path.join(ws, "TASK.md")).read()
os.makedirs(os.path.join(ws, "pkg"), exist_ok=True)
open(os.path.join(ws, "pkg", "add.py"), "w").write("def add(a, b):\n    return a + b\n")
open(os.path.join(ws, "pkg", "test_add.py"), "w").write(
    "import sys\nsys.path.insert(0, sys.argv[1])\nfrom add import add\nassert add(2, 3) == 5\nprint('pass')\n")
say("files", "ok" if "add" in task else "task unread")
say("tests", subprocess.run([sys.executable, os.path.join(ws, "pkg", "test_add.py"), os.path.join(ws, "pkg")],
                            capture_output=True, text=True).stdout.strip())
say("shell", subprocess.run("grep -rl 'a + b' pkg | wc -l", shell=True, cwd=ws,
                            capture_output=True, text=True).stdout.strip())
env = dict(os.environ, GIT_AUTHOR_NAME="agent", GIT_AUTHOR_EMAIL="agent@example.com",
           GIT_COMMITTER_NAME="agent", GIT_COMMITTER_EMAIL="agent@example.com")


def git(*a):
    return subprocess.run(["git", *a], cwd=ws, env=env, check=True, capture_output=True, text=True).stdout


git("init", "-q", "-b", "main")
git("add", "-A")
git("commit", "-qm", "add: implement")
say("git", "ok" if len(git("log", "--oneline").strip().splitlines()) == 1
    and git("status", "--porcelain").strip() == "" else "unexpected")
os.makedirs(os.path.join(state, "sessions"), exist_ok=True)
open(os.path.join(state, "sessions", "s1.jsonl"), "w").write('{"role": "user"}\n')
say("state", code(lambda: open(os.path.join(state, "sessions", "s1.jsonl")).read()))
say("read secret", code(lambda: open(secret).read()))
say("write outside", code(lambda: open(outside, "w").write("x")))
say("read /root", code(lambda: os.listdir("/root")))
say("spawn unshare", "ok" if subprocess.run(["unshare", "--user", "true"], capture_output=True).returncode == 0
    else "refused")
if not api:
    say("api", "not asked")
elif not (os.environ.get("HTTPS_PROXY") or os.environ.get("https_proxy")):
    say("api", "no proxy")
else:
    host, port, ca, denied = api
    say("api", api_call(host, int(port), ca))
    say("api elsewhere", api_call(denied, int(port), ca))
