#!/usr/bin/env bash
# runmin_net.sh — Landlock's TCP rules: with a network section, the program
# may bind only the `network.bind` ports and connect nowhere directly (only
# to runmin's proxy, which the network work adds); without one, Landlock
# leaves TCP alone (the network namespace is what isolates it).
. "$(dirname "$0")/../lib.sh"
. "$SRC/tests/data/runmin/common.sh"

# Below the ephemeral range (32768-60999): no outgoing connection holds these.
base=$((20000 + ($$ % 10000)))
allowed=$base other=$((base + 1)) closed=$((base + 2))
policy net <<EOF || { fail "build net policy"; finish; }
polc: 1
name: runmin-net
filesystem:
  exec: $SYS_EXEC
  optional: $SYS_OPTIONAL
network:
  bind: [$allowed]
EOF
check "bind a network.bind port" ok rmin net "$PROBE" tcp-bind "$allowed"
check "control: bind another port" ok "$PROBE" tcp-bind "$other"
check "bind another port" EACCES rmin net "$PROBE" tcp-bind "$other"
check "control: connect to a closed local port" ECONNREFUSED "$PROBE" tcp-connect "$closed"
check "connect directly" EACCES rmin net "$PROBE" tcp-connect "$closed"
check "connect to the bind port" EACCES rmin net "$PROBE" tcp-connect "$allowed"

policy nonet <<EOF || { fail "build nonet policy"; finish; }
polc: 1
name: runmin-nonet
filesystem:
  exec: $SYS_EXEC
  optional: $SYS_OPTIONAL
EOF
check "no network section: Landlock leaves TCP bind alone" ok rmin nonet "$PROBE" tcp-bind "$other"
finish
