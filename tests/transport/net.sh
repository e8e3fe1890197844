#!/bin/sh
# net.sh: starts real servers (servers.sh) and runs the network drivers'
# tests (test-transport-net.c) against them; its TAP is this test's.
set -u
. "$TOP_SRCDIR/tests/transport/servers.sh"

start_net_test net tresor-test1

# What the tests compare against: the host key's fingerprint, a known_hosts
# with another key for the same host, a port nobody listens on and a
# silent server (idle timeouts).
HOST_FINGERPRINT=$(ssh-keygen -lf "$WORK/host_key.pub" | cut -d' ' -f2)
ssh-keygen -q -t ed25519 -N '' -f "$WORK/other_host_key"
printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$WORK/other_host_key.pub")" >"$WORK/other_known_hosts"
OTHER_KNOWN_HOSTS=$WORK/other_known_hosts
start_silent_server
export RUN_ID HOST_FINGERPRINT OTHER_KNOWN_HOSTS

"$TESTS_BUILDDIR/transport/test-transport-net"
