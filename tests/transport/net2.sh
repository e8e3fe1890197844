#!/bin/sh
# net2.sh: starts real WebDAV (apache2, http and https) and SMB (smbd)
# servers (servers.sh) and runs the webdav and smb drivers' tests
# (test-transport-net2.c) against them; its TAP is this test's.
set -u
. "$TOP_SRCDIR/tests/transport/servers.sh"
# libsmbclient's own process-wide allocations (see the file).
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TOP_SRCDIR/tests/lsan-smb.supp:print_suppressions=0"
export LSAN_OPTIONS

start_net_test net2 tresor-test3 "apache smbd"

# A directory the server's user may not write to (permission denied).
mkdir -p "$TEST_HOME/$RUN_ID/ro"
chown "$TEST_USER" "$TEST_HOME/$RUN_ID"
chmod 755 "$TEST_HOME/$RUN_ID/ro"
# A port nobody listens on, and a silent server (idle timeouts).
start_silent_server
export RUN_ID

"$TESTS_BUILDDIR/transport/test-transport-net2"
