"""A minimal agent: reads its task from the workspace, asks the model API for
an answer over HTTPS, writes the answer next to the task.  Then it tries two
things its sandbox refuses: reading an SSH key and calling a host the policy
does not name.

It uses only the standard library: urllib sends HTTPS through the proxy in
HTTPS_PROXY (which runmin sets) with a CONNECT tunnel, and verifies the
server against SSL_CERT_FILE or the system's CA certificates.

  API_URL=https://api.anthropic.com/v1/messages python3 agent.py WORKSPACE
"""
import json
import os
import sys
import urllib.error
import urllib.request

ws = sys.argv[1]
url = os.environ.get("API_URL", "https://api.anthropic.com/v1/messages")
task = open(os.path.join(ws, "TASK.md")).read().strip()
body = json.dumps({"model": "claude-sonnet-4-5", "max_tokens": 200,
                   "messages": [{"role": "user", "content": task}]}).encode()
req = urllib.request.Request(url, data=body, method="POST", headers={
    "content-type": "application/json",
    "x-api-key": os.environ.get("ANTHROPIC_API_KEY", "test"),
    "anthropic-version": "2023-06-01"})
with urllib.request.urlopen(req, timeout=30) as resp:
    reply = json.load(resp)
answer = "".join(part.get("text", "") for part in reply.get("content", []))
open(os.path.join(ws, "ANSWER.md"), "w").write(answer + "\n")
print("agent: answer written to", os.path.join(ws, "ANSWER.md"))

# What the sandbox refuses.
try:
    open(os.path.expanduser(os.environ.get("SECRET", "~/.ssh/id_ed25519"))).read()
    print("agent: read an ssh key (the sandbox is broken)")
except OSError as e:
    print("agent: reading the ssh key refused:", e.strerror)
try:
    urllib.request.urlopen(os.environ.get("OTHER_URL", "https://example.com/"), timeout=10)
    print("agent: reached a host outside the policy (the sandbox is broken)")
except (urllib.error.URLError, OSError) as e:
    print("agent: other host refused:", getattr(e, "reason", e))
