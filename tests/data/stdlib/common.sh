# tests/data/stdlib/common.sh — shared by tests/integration/stdlib_*.sh
# (sourced after tests/lib.sh).  Builds on tests/data/runmin/common.sh
# (PROBE, the test key pair, check, needs_root) and provides:
#   W                  a scratch tree outside /tmp (shell grants /tmp):
#                      W/ws the workspace, W/home HOME, W/out outside both,
#                      W/victim a stranger's home with an ssh key
#   stdlib NAME [PATH] builds $T/NAME.pola from the stdlib policy NAME plus a
#                      policy on top granting the workspace and HOME (as a
#                      user of the stdlib would), signed with the test key;
#                      PATH: also executable (the workspace, to run builds)
#   sb NAME CMD...     runs CMD under runmin with that artifact, in W/ws,
#                      with a clean environment (HOME=W/home, PATH=/usr/bin:/bin)
#   escapes NAME       the escapes every stdlib policy must refuse, each with
#                      a control run that succeeds without runmin
. "$SRC/tests/data/runmin/common.sh"
# The controls read /etc/shadow, list /root and ptrace a process: as root.
needs_root

W=$(mktemp -d /var/tmp/polc-stdlib.XXXXXX)
chmod 0755 "$W"
trap 'rm -rf "$T" "$W"; [ -n "${SLEEPER:-}" ] && kill "$SLEEPER" 2>/dev/null' EXIT
mkdir -p "$W/ws" "$W/home" "$W/out" "$W/victim/.ssh"
echo data >"$W/out/file"
echo "-----BEGIN OPENSSH PRIVATE KEY-----" >"$W/victim/.ssh/id_ed25519"
echo data >"$W/ws/file"

stdlib() {
	local name=$1 exec=${2:+, $2}
	cat >"$T/$name.top.yaml" <<EOF
polc: 1
name: test-$name
extends: [$name]
filesystem:
  write: [$W/ws, $W/home]
  exec: [$O/helpers$exec]  # polc:ignore fs-exec-writable the test runs what it builds
EOF
	if ! "$POLC" build "$T/$name.top.yaml" -o "$T/$name.pola" --sign "$T/k.sec" >"$T/build.out" 2>&1; then
		fail "build $name" "$(head -c 600 "$T/build.out")"
		return 1
	fi
	pass "build $name (policy on top grants the workspace)"
}

sb() {
	local name=$1
	shift
	(cd "$W/ws" && env -i HOME="$W/home" PATH=/usr/bin:/bin LANG=C.UTF-8 TERM=dumb \
		"$RUNMIN" -a "$T/$name.pola" -p "$T/k.pub" -- "$@")
}

# A TCP listener on loopback outside the sandbox, for the connect check.
listener() {
	exec /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
s.settimeout(30)
try:
    while True:
        c, _ = s.accept(); c.close()
except Exception:
    pass' &
}

escapes() {
	local n=$1
	# writes outside the workspace
	check "control: write outside" ok "$PROBE" write "$W/out/file"
	check "$n: write outside the workspace -> EACCES" EACCES sb "$n" "$PROBE" write "$W/out/file"
	check "$n: create outside the workspace -> EACCES" EACCES sb "$n" "$PROBE" create "$W/out/new"
	check "$n: overwrite a system program -> EACCES" EACCES sb "$n" "$PROBE" write /usr/bin/env
	# secrets
	check "control: read a stranger's ssh key" ok "$PROBE" read "$W/victim/.ssh/id_ed25519"
	check "$n: read ~/.ssh of another home -> EACCES" EACCES sb "$n" "$PROBE" read "$W/victim/.ssh/id_ed25519"
	check "control: list /root" ok "$PROBE" readdir /root
	check "$n: list /root -> EACCES" EACCES sb "$n" "$PROBE" readdir /root
	check "control: read /etc/shadow" ok "$PROBE" read /etc/shadow
	check "$n: read /etc/shadow -> EACCES" EACCES sb "$n" "$PROBE" read /etc/shadow
	check "$n: read another process's command line -> EACCES" EACCES sb "$n" "$PROBE" read /proc/1/cmdline
	# process escapes
	sleep 60 &
	SLEEPER=$!
	check "control: ptrace a process" ok "$PROBE" ptrace "$SLEEPER"
	check "$n: ptrace -> EPERM" EPERM sb "$n" "$PROBE" ptrace "$SLEEPER"
	kill "$SLEEPER" 2>/dev/null
	wait "$SLEEPER" 2>/dev/null
	SLEEPER=
	check "control: unshare" ok "$PROBE" unshare
	check "$n: unshare -> EPERM" EPERM sb "$n" "$PROBE" unshare
	check "$n: mount -> EPERM" EPERM sb "$n" "$PROBE" mount "$W/ws"
	check "$n: bpf -> EPERM" EPERM sb "$n" "$PROBE" bpf
	check "$n: io_uring -> EPERM" EPERM sb "$n" "$PROBE" io_uring
	check "$n: keyctl -> EPERM" EPERM sb "$n" "$PROBE" keyctl
	# sockets: UDP, raw, netlink, vsock refused by seccomp
	check "control: a UDP socket" ok "$PROBE" socket 2 2
	check "$n: UDP socket -> EPERM" EPERM sb "$n" "$PROBE" socket 2 2
	check "$n: netlink socket -> EPERM" EPERM sb "$n" "$PROBE" socket 16 3
	check "$n: vsock socket -> EPERM" EPERM sb "$n" "$PROBE" socket 40 1
	check "$n: vsock with junk in the upper half -> EPERM" EPERM sb "$n" "$PROBE" socket 40 1 hi
	# a loopback service of the host is out of reach
	local port
	exec 9< <(listener)
	local lpid=$!
	read -r port <&9
	check "control: connect to a host loopback service" ok "$PROBE" tcp-connect "$port"
	local got
	got=$(sb "$n" "$PROBE" tcp-connect "$port" 2>/dev/null | tail -n 1)
	case "$got" in
	EACCES | ECONNREFUSED | ENETUNREACH) pass "$n: connect to a host loopback service -> $got" ;;
	*) fail "$n: connect to a host loopback service" "got '$got'" ;;
	esac
	exec 9<&-
	kill "$lpid" 2>/dev/null
	# a daemon's socket file outside every granted path (docker.sock,
	# ssh-agent, tmux): Landlock does not refuse connect(), base's seccomp
	# refuses socket(AF_UNIX)
	mkdir -p "$W/daemon"
	exec 9< <(exec /usr/bin/python3 -c '
import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
print("ready", flush=True)
s.settimeout(30)
try:
    while True:
        c, _ = s.accept(); c.close()
except Exception:
    pass' "$W/daemon/sock")
	lpid=$!
	read -r _ <&9
	check "control: connect to a daemon's socket file" ok "$O/helpers/stdlib_unix" "$W/daemon/sock"
	check "$n: connect to a daemon's socket file -> EPERM" EPERM sb "$n" "$O/helpers/stdlib_unix" "$W/daemon/sock"
	exec 9<&-
	kill "$lpid" 2>/dev/null
	# setuid files: refused by seccomp even for root
	cp /bin/true "$W/ws/suid-$n"
	sb "$n" /bin/chmod 4755 "$W/ws/suid-$n" >/dev/null 2>&1
	if [ -u "$W/ws/suid-$n" ]; then fail "$n: chmod u+s in the workspace" "the setuid bit was set"; else
		pass "$n: chmod u+s in the workspace is refused"
	fi
	chmod 4755 "$W/ws/suid-$n" && [ -u "$W/ws/suid-$n" ] && pass "control: chmod u+s without runmin" ||
		fail "control: chmod u+s without runmin"
	rm -f "$W/ws/suid-$n"
	# the workspace itself works
	check "$n: write in the workspace" ok sb "$n" "$PROBE" write "$W/ws/file"
	check "$n: create in the workspace" ok sb "$n" "$PROBE" create "$W/ws/new-$n"
}
