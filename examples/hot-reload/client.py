"""Asks for two URLs through the proxy in HTTP_PROXY once a second and
prints what came back, one line per round: "round N: A 200 B 403".  Stops
after ROUNDS rounds.  The program under runmin in examples/hot-reload.

  python3 client.py URL_A URL_B ROUNDS
"""
import sys
import time
import urllib.error
import urllib.request

a, b, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])


def status(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except (urllib.error.URLError, OSError) as e:
        return type(e).__name__


for n in range(1, rounds + 1):
    print(f"round {n}: A {status(a)} B {status(b)}", flush=True)
    time.sleep(1)
