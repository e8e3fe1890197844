#!/bin/sh
# net.sh: starts real servers (servers.sh) and runs the network drivers'
# tests (test-transport-net.c) against them; its TAP is this test's.
set -u
. "$TOP_SRCDIR/tests/transport/servers.sh"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tresor-net.XXXXXX")
chmod 755 "$WORK"
RUN_ID=tresor-net-$$
trap 'stop_servers; rm -rf "$WORK" "${TEST_HOME:-/nonexistent}/$RUN_ID"' EXIT
start_servers "$WORK" tresor-test1

# What the tests compare against: the host key's fingerprint, a known_hosts
# with another key for the same host, and a port nobody listens on.
HOST_FINGERPRINT=$(ssh-keygen -lf "$WORK/host_key.pub" | cut -d' ' -f2)
ssh-keygen -q -t ed25519 -N '' -f "$WORK/other_host_key"
printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$WORK/other_host_key.pub")" >"$WORK/other_known_hosts"
OTHER_KNOWN_HOSTS=$WORK/other_known_hosts
DEAD_PORT=$(free_port)
# A server that accepts connections and never says a word (idle timeouts).
SILENT_PORT=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
' "$SILENT_PORT" &
SERVER_PIDS="$SERVER_PIDS $!"
wait_port "$SILENT_PORT" $! || servers_bail "the silent server did not start"
export RUN_ID HOST_FINGERPRINT OTHER_KNOWN_HOSTS DEAD_PORT SILENT_PORT

"$TESTS_BUILDDIR/transport/test-transport-net"
