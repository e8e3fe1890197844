#!/bin/sh
# faults.sh: faults that are not crashes (docs/TESTING.md). The scenario of
# scenario.sh; each step's storage operations are numbered by a first run,
# then for each operation k and each fault kind (ENOSPC, EIO, a short
# write, a dropped connection, a timeout, permission denied), the step runs
# with TRESOR_TEST_FAULT=KIND:k from the state before it, and:
#   - it fails (non-zero exit), unless the operation is one the engine may
#     skip (removing a stale cache copy); tresor's stderr ends in one
#     line, "tresor: ...", naming the object, with only warnings before it
#     (backupd's log names it);
#   - no set looks complete that is not: verify --read-data passes on the
#     sets the target lists, and every set complete before is still there;
#   - the same step run again, without any flag, succeeds.
# FAULT_STRIDE=N: only the kind (k + i) mod N == 0 for the i-th kind (the
# kinds take turns over the operations); 1 (the default): every kind at
# every operation. Prints "faults: R/N handled".
# Needs TRESOR, BACKUPD, TREEDIFF, TOP_SRCDIR; FAULT_URL: another target
# URL to run through (default: a directory, file://).
# Sourced by a test that set up lib.sh already (faults-sftp.sh), or run.
[ -n "${TAP_N+x}" ] || . "$TOP_SRCDIR/tests/integration/lib.sh"
SCENARIO_BIG=${SCENARIO_BIG:-1500000}	# 2 volumes a full backup
. "$TOP_SRCDIR/tests/crash/scenario.sh"
STRIDE=${FAULT_STRIDE:-1}
KINDS="enospc eio short drop timeout eacces"

# verify_sets FILE: verify --read-data the sets FILE lists.
verify_sets() {
	if [ "$(manifest_sets "$TARGET_DIR")" = "$(cat "$1")" ]; then
		"$TRESOR" verify --quiet --read-data --from "$T" $TOPTS \
		    --key-file "$WORK/k.sec.asc"
		return
	fi
	for set in $(cat "$1"); do
		"$TRESOR" verify --quiet --read-data --from "$T" $TOPTS \
		    --key-file "$WORK/k.sec.asc" --set "$set" || return 1
	done
}

# one_failure_line STDERR OBJECT: the last line, "tresor: ...", names the
# object; any before it are warnings (taking over a killed run's lock).
# With exit 3 (the set is complete) the last line is a warning too.
one_failure_line() {
	last=$(tail -n 1 "$1")
	case $last in "tresor: "*"$2'"*) ;; *) return 1 ;; esac
	[ "$(sed '$d' "$1" | grep -vc '^tresor: warning: ')" -eq 0 ]
}

# fault STEP K KIND: one run with the fault, and the checks after it.
fault() {
	s=$1
	now=$(at "$(step_day "$s")")
	load_state "$WORK/before-$s"
	: >"$WORK/fault.log"
	TRESOR_TEST_RECORD="$WORK/fault.log" TRESOR_TEST_FAULT=$3:$2 \
	    run_step "$s" "$now" >/dev/null 2>"$WORK/fault.err"
	rc=$?
	cat "$WORK/fault.log" >>"$TRESOR_TEST_RECORD"
	op=$(awk -v k="$2" '$1 == k { print $3; exit }' "$WORK/fault.log")
	name=$(awk -v k="$2" '$1 == k { print $4; exit }' "$WORK/fault.log")
	what="step $s op $2 ($op $name) $3"
	if [ -z "$op" ]; then
		# Fewer operations than the counting run (volume ends vary).
		diag "$what: not reached (exit $rc)"
		return 2
	fi
	if [ $rc -eq 0 ] && [ "$op" != cache-delete ]; then
		diag "$what: the run succeeded"
		return 1
	fi
	# The object as messages name it (a cache file's final name).
	obj=${name%.tmp}
	if [ $rc -ne 0 ] && [ "$s" -le 5 ] && ! one_failure_line "$WORK/fault.err" "$obj"; then
		diag "$what: exit $rc, not one line naming $obj: $(head -c 1000 "$WORK/fault.err")"
		return 1
	fi
	if [ $rc -ne 0 ] && [ "$s" -eq 6 ] && ! grep -qF "$obj" "$WORK/fault.err"; then
		diag "$what: backupd's log does not name $obj: $(tail -c 1000 "$WORK/fault.err")"
		return 1
	fi
	complete_sets "$TARGET_DIR" >"$WORK/now-sets"
	if [ -n "$(comm -23 "$WORK/keep-$s" "$WORK/now-sets")" ]; then
		diag "$what: sets lost: $(comm -23 "$WORK/keep-$s" "$WORK/now-sets" | tr '\n' ' ')"
		return 1
	fi
	# Every complete set verifies: all at once, or, when the fault left a
	# manifest without its seal (which readers refuse as no set), each
	# complete set on its own.
	if [ -s "$WORK/now-sets" ] && ! verify_sets "$WORK/now-sets" \
	    >"$WORK/fault.out" 2>&1; then
		diag "$what: a set looks complete and is not: $(cat "$WORK/fault.out")"
		return 1
	fi
	if ! run_step "$s" $((now + 60)) >"$WORK/fault.out" 2>&1; then
		diag "$what: the next run failed: $(head -c 1000 "$WORK/fault.out")"
		return 1
	fi
	return 0
}

: >"$WORK/set-source"
K=0
tried=0
handled=0
unreached=0
for s in $STEPS; do
	step_prepare "$s"
	save_state "$WORK/before-$s"
	TRESOR_TEST_RECORD="$WORK/count-$s.log" \
	    run_step "$s" "$(at "$(step_day "$s")")" >"$WORK/count-$s.out" 2>&1 ||
	    bail "step $s ($(step_name "$s")) fails without a fault: $(cat "$WORK/count-$s.out")"
	n=$(grep -c '^[0-9]' "$WORK/count-$s.log")
	K=$((K + n))
	diag "step $s ($(step_name "$s")): $n storage operations"
	complete_sets "$TARGET_DIR" | comm -12 "$WORK/before-$s/sets" - \
	    >"$WORK/keep-$s"
	save_state "$WORK/after-$s"
	k=1
	while [ "$k" -le "$n" ]; do
		i=0
		for kind in $KINDS; do
			i=$((i + 1))
			[ $(((k + i) % STRIDE)) -eq 0 ] || continue
			fault "$s" "$k" "$kind"
			case $? in
			0) tried=$((tried + 1)); handled=$((handled + 1)) ;;
			1) tried=$((tried + 1)) ;;
			2) unreached=$((unreached + 1)) ;;
			esac
		done
		k=$((k + 1))
	done
	load_state "$WORK/after-$s"
done
diag "faults: $handled/$tried handled (K=$K operations, $(echo $KINDS | wc -w) kinds, stride $STRIDE, $unreached not reached)"
echo "faults: $handled/$tried handled (K=$K, stride $STRIDE, $unreached not reached)" \
    >"${FAULT_REPORT:-/dev/null}"
check "faults: $handled/$tried handled" [ "$handled" -eq "$tried" ]
check "faults were injected ($tried)" [ "$tried" -ge "$((K / STRIDE))" ]
check "almost every fault point was reached ($unreached not)" \
    [ "$unreached" -le "$((tried / 20))" ]
# A caller's own checks (faults-sftp.sh).
if command -v extra_checks >/dev/null 2>&1; then extra_checks; fi

done_testing
