#!/bin/sh
# faults-sftp.sh: the fault check (tests/crash/faults.sh) through the
# recording driver around sftp://, against a real sshd on loopback: the
# engine reads back what it stores there, which write-order.awk checks too.
# The tresor steps of the scenario (backupd's job needs a local target
# here); the six kinds take turns, one in FAULT_STRIDE (12) pairs.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/transport/servers.sh"

start_cli_servers faults tresor-test6 sshd
mkdir -p "$TEST_HOME/$RUN_ID" && chown "$TEST_USER" "$TEST_HOME/$RUN_ID" ||
    bail "the run's directory in $TEST_HOME"
SCENARIO_TARGET_DIR=$TEST_HOME/$RUN_ID/target
mkdir -p "$SCENARIO_TARGET_DIR" && chown "$TEST_USER" "$SCENARIO_TARGET_DIR" ||
    bail "the target directory"
SCENARIO_URL="sftp://$TEST_USER@127.0.0.1:$SSH_PORT/$RUN_ID/target"
SCENARIO_TOPTS="--ssh-key $SSH_KEY --ssh-known-hosts $KNOWN_HOSTS"
SCENARIO_STEPS="1 2 3 4 5"
FAULT_STRIDE=${FAULT_STRIDE:-12}
# The write-order check sees read-backs here (volumes read back after
# their publication, before the manifest's).
extra_checks() {
	check "over sftp:// the engine reads back what it stores" sh -c "
	    grep -q ' open readback=1\$' '$WORK/count-1.log' &&
	    awk '\$3 == \"publish\" && \$4 ~ /vol000001/ { p = 1 }
	        p && \$3 == \"get\" && \$4 ~ /vol000001/ { g = 1 }
	        END { exit !g }' '$WORK/count-1.log'"
}
. "$TOP_SRCDIR/tests/crash/faults.sh"
