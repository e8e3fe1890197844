#!/bin/sh
# net2.sh: starts real WebDAV (apache2, http and https) and SMB (smbd)
# servers (servers.sh) and runs the webdav and smb drivers' tests
# (test-transport-net2.c) against them; its TAP is this test's.
set -u
. "$TOP_SRCDIR/tests/transport/servers.sh"
# libsmbclient's own process-wide allocations (see the file).
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TOP_SRCDIR/tests/lsan-smb.supp"
export LSAN_OPTIONS

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tresor-net2.XXXXXX")
chmod 755 "$WORK"
RUN_ID=tresor-net2-$$
trap 'stop_servers; rm -rf "$WORK" "${TEST_HOME:-/nonexistent}/$RUN_ID"' EXIT
start_servers "$WORK" tresor-test3 "apache smbd"

# A directory the server's user may not write to (permission denied).
mkdir -p "$TEST_HOME/$RUN_ID/ro"
chown "$TEST_USER" "$TEST_HOME/$RUN_ID"
chmod 755 "$TEST_HOME/$RUN_ID/ro"
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
export RUN_ID DEAD_PORT SILENT_PORT

"$TESTS_BUILDDIR/transport/test-transport-net2"
