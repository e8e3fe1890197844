#!/bin/sh
# authenticity-sftp.sh: authenticity.sh's attacks and legitimate cases on
# an sftp:// target, a real sshd (tests/transport/servers.sh) serving a
# directory the test manipulates as the attacker would (its own user,
# tresor-test5, so that tests running at once do not share it).
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/transport/servers.sh"

start_cli_servers auth tresor-test5 sshd
D="$TEST_HOME/$RUN_ID/target"
T="sftp://$TEST_USER@127.0.0.1:$SSH_PORT/$RUN_ID/target"
NET="--ssh-key $SSH_KEY --ssh-known-hosts $KNOWN_HOSTS"
AUTHENTICITY_SFTP=1
. "$TOP_SRCDIR/tests/integration/authenticity.sh"
