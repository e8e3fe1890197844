#!/bin/sh
# faults-net.sh: the fault check (tests/crash/faults.sh) through the
# recording driver around a network transport, against its real server on
# loopback (tests/transport/servers.sh), as faults-sftp.sh does for sftp://.
# Sourced by tests/integration/faults-ftp.sh, faults-webdav.sh and
# faults-smb.sh with FAULT_TRANSPORT set to ftp, webdav or smb. Each has its
# own test user, so that tests running at once do not reset each other's
# password. The tresor steps of the scenario (backupd's job would need the
# password in its configuration); the six kinds take turns, one in
# FAULT_STRIDE pairs: 12 by default, as faults-sftp.sh (38 faults, half
# the operations, the largest stride whose faults reach the 7 operations of
# step 5); 6: every operation, one kind each; 1: every kind at every one.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/transport/servers.sh"

case ${FAULT_TRANSPORT:-} in
ftp)	start_cli_servers faults-ftp tresor-test7 vsftpd ;;
webdav)	start_cli_servers faults-dav tresor-test8 apache ;;
smb)	# libsmbclient's own process-wide allocations (see the file).
	LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TOP_SRCDIR/tests/lsan-smb.supp:print_suppressions=0"
	export LSAN_OPTIONS
	start_cli_servers faults-smb tresor-test9 smbd
	# libsmbclient's private directories go here: the end checks that
	# a run that failed closed its connection and removed its own.
	mkdir -p "$WORK/tmp" && TMPDIR=$WORK/tmp && export TMPDIR ||
	    bail "the temporary directory" ;;
*)	bail "FAULT_TRANSPORT must be ftp, webdav or smb, not '${FAULT_TRANSPORT:-}'" ;;
esac
mkdir -p "$TEST_HOME/$RUN_ID" && chown "$TEST_USER" "$TEST_HOME/$RUN_ID" ||
    bail "the run's directory in $TEST_HOME"
SCENARIO_TARGET_DIR=$TEST_HOME/$RUN_ID/target
mkdir -p "$SCENARIO_TARGET_DIR" && chown "$TEST_USER" "$SCENARIO_TARGET_DIR" ||
    bail "the target directory"
H=127.0.0.1
case $FAULT_TRANSPORT in
ftp)	SCENARIO_URL="ftp://$TEST_USER@$H:$FTP_PORT/$RUN_ID/target" ;;
webdav)	SCENARIO_URL="webdav://$TEST_USER@$H:$DAV_PORT/$RUN_ID/target" ;;
smb)	SCENARIO_URL="smb://TRESORTEST;$TEST_USER@$H:$SMB_PORT/tresor/$RUN_ID/target" ;;
esac
# The password from the environment, never in argv.
FTP_PASSWORD=$PASSWORD
export FTP_PASSWORD
SCENARIO_TOPTS=
SCENARIO_STEPS="1 2 3 4 5"
FAULT_STRIDE=${FAULT_STRIDE:-12}
# The write-order check sees read-backs here (volumes read back after
# their publication, before the manifest's).
extra_checks() {
	check "over $FAULT_TRANSPORT:// the engine reads back what it stores" sh -c "
	    grep -q ' open readback=1\$' '$WORK/count-1.log' &&
	    awk '\$3 == \"publish\" && \$4 ~ /vol000001/ { p = 1 }
	        p && \$3 == \"get\" && \$4 ~ /vol000001/ { g = 1 }
	        END { exit !g }' '$WORK/count-1.log'"
	# Only the run killed for step 5's debris (SIGKILL after its 8th
	# operation) leaves its private directory: every failed run removes
	# its own.
	case $FAULT_TRANSPORT in
	smb) check "no libsmbclient directory is left but the killed run's" \
	    test "$(ls -A "$WORK/tmp" | grep -c '^tresor-smb\.')" -eq 1 ;;
	esac
}
. "$TOP_SRCDIR/tests/crash/faults.sh"
