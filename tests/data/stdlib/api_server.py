"""api_server.py — a stand-in for a model API on loopback, for
tests/integration/stdlib_agents.sh and examples/python-agent: HTTPS with the
given certificate, answers every POST with a small JSON reply and every GET
with 200 "ok".  Prints its port, then serves until killed (or for 120 s).

  python3 api_server.py CERT KEY
"""
import http.server
import json
import ssl
import sys
import threading


class Handler(http.server.BaseHTTPRequestHandler):
    def _send(self, code, body, ctype="application/json"):
        data = body.encode()
        self.send_response(code)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("content-length") or 0)
        req = json.loads(self.rfile.read(n) or b"{}")
        self._send(200, json.dumps({"id": "msg_test", "model": req.get("model"),
                                    "content": [{"type": "text", "text": "hello from the test API"}]}))

    def do_GET(self):
        self._send(200, "ok\n", "text/plain")

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
threading.Timer(120, srv.shutdown).start()
srv.serve_forever()
