#!/bin/sh
# crash-check.sh: crash at every storage operation (docs/TESTING.md).
#
# A fixed scenario: a full backup, an incremental after a change, a second
# full (a new chain), a purge of the first chain, a cleanup after a killed
# backup, and a backupd --once job. A first run numbers each step's
# storage operations (common/storageop.h): K in all. Then, for every k in
# 1..K (with CRASH_STRIDE: every CRASH_STRIDE-th of each step, and those
# that publish or remove a manifest or write the cache), the state before k's
# step is put back, the step runs with TRESOR_TEST_CRASH_AFTER and is
# killed (SIGKILL) right after operation k, and:
#   - the same step run again, without any flag, succeeds;
#   - verify --read-data passes;
#   - every set complete before the step (but those the step purges) is
#     still there, and it and any new set restore byte-identically.
# Prints "crash points: R/N recovered (K=...)", N = K without a stride.
#
# Run by `make crash-check` (every point) and by tests/integration/crash.sh
# (CRASH_STRIDE=17, for CI). Needs TRESOR, BACKUPD, TREEDIFF, TOP_SRCDIR.
. "$TOP_SRCDIR/tests/integration/lib.sh"

: "${BACKUPD:?BACKUPD must point at the backupd binary}"
STRIDE=${CRASH_STRIDE:-1}
TZ=UTC
export TZ

make_key k
V=$WORK/src/vault
T="file://$WORK/target"
mkdir -p "$WORK/target" "$WORK/snap"
make_tree "$V"
head -c 20000000 /dev/urandom >"$V/big.bin"

# The backupd configuration: the vault, no database, the public key only.
{
	echo "appliance:"
	echo "  backup:"
	echo "    url: $T"
	echo "    sources: [$V]"
	echo "    database: none"
	echo "    metrics: $WORK/backup.prom"
	echo "    cache_dir: $WORK/cache"
	echo "    state_dir: $WORK/state"
	echo "    deadline: none"
	echo "    encrypt: |"
	sed 's/^/      /' "$WORK/k.pub.asc"
} >"$WORK/env.yml"

STEPS="1 2 3 4 5 6"
step_name() {
	case $1 in
	1) echo "full backup" ;; 2) echo "incremental backup" ;;
	3) echo "second full backup" ;; 4) echo "purge" ;;
	5) echo "cleanup" ;; 6) echo "backupd --once job" ;;
	esac
}
step_day() {
	case $1 in 1) echo 0 ;; 2) echo 1 ;; 3) echo 40 ;; 4) echo 75 ;;
	5) echo 77 ;; 6) echo 78 ;; esac
}

# run_step STEP NOW: the step's command at time NOW; its exit status.
run_step() {
	case $1 in
	1|2|3)	full=; [ "$1" != 2 ] && full=--full
		TRESOR_NOW=$2 "$TRESOR" backup --quiet $full --volsize 1 \
		    --delta-min-size 65536 --to "$T" \
		    --key-file "$WORK/k.pub.asc" "$V" ;;
	4)	TRESOR_NOW=$2 "$TRESOR" purge --quiet --from "$T" \
		    --older-than 30D --force ;;
	5)	TRESOR_NOW=$2 "$TRESOR" cleanup --quiet --from "$T" --force ;;
	6)	TRESOR_NOW=$2 "$BACKUPD" --once --config "$WORK/env.yml" ;;
	esac
}

complete_sets() {
	ls "$1" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p' | sort
}

# save_state DIR / load_state DIR: the target, cache and backupd state.
save_state() {
	mkdir -p "$1"
	for d in target cache state; do
		[ -d "$WORK/$d" ] && cp -a "$WORK/$d" "$1/"
	done
	complete_sets "$WORK/target" >"$1/sets"
}
load_state() {
	rm -rf "$WORK/target" "$WORK/cache" "$WORK/state"
	for d in target cache state; do
		[ -d "$1/$d" ] && cp -a "$1/$d" "$WORK/"
	done
	# A crashed run's lock names its pid: a pid reused since would make
	# the next run wait for a run that is gone (same host, same program).
	return 0
}

# snapshot STEP: the source as the step backs it up.
snapshot() {
	rm -rf "$WORK/snap/$1"
	mkdir -p "$WORK/snap/$1"
	cp -a "$V" "$WORK/snap/$1/"
}

mutate_a() {	# before the incremental
	printf 'changed\n' >"$V/docs/hello.txt"
	head -c 100000 /dev/urandom >>"$V/big.bin"
	printf 'new\n' >"$V/docs/new-file"
	rm "$V/docs/empty-file"
}
mutate_b() {	# before the backupd job
	dd if=/dev/urandom of="$V/docs/2024/a/random.bin" bs=4096 count=2 \
	    seek=10 conv=notrunc 2>/dev/null
	printf 'later\n' >"$V/later.txt"
}

# --- one crash point ----------------------------------------------------
# restores_ok SET STEP: the set restores to exactly its source.
restores_ok() {
	src=$(awk -v id="$1" '$1 == id { print $2 }' "$WORK/set-source")
	[ -n "$src" ] || src=$2	# a set made by the step's rerun
	rm -rf "$WORK/r"
	"$TRESOR" restore --quiet --from "$T" --set "$1" --to "$WORK/r" \
	    --key-file "$WORK/k.sec.asc" >"$WORK/point.err" 2>&1 &&
	    "$TREEDIFF" "$WORK/snap/$src/vault" "$WORK/r/vault" \
	    >>"$WORK/point.err" 2>&1
}

# point STEP LOCAL GLOBAL: crash the step after its operation LOCAL.
point() {
	s=$1
	now=$(at "$(step_day "$s")")
	# Where volumes end varies a little from run to run (zstd runs in
	# its own thread), so a run may have fewer operations than the
	# counting one: then it is run again, three times at most.
	try=0
	while :; do
		try=$((try + 1))
		load_state "$WORK/before-$s"
		: >"$WORK/point.log"
		TRESOR_TEST_RECORD="$WORK/point.log" TRESOR_TEST_CRASH_AFTER=$2 \
		    run_step "$s" "$now" >/dev/null 2>&1
		rc=$?
		cat "$WORK/point.log" >>"$TRESOR_TEST_RECORD"
		[ $rc -eq 137 ] && break
		ops=$(grep -c '^[0-9]' "$WORK/point.log")
		if [ $rc -ne 0 ] || [ "$ops" -ge "$2" ] || [ $try -ge 3 ]; then
			diag "point $3 (step $s op $2): not killed (exit $rc, $ops operations, try $try)"
			return 1
		fi
	done
	# The next run: a minute later (one set per second at most).
	if ! run_step "$s" $((now + 60)) >"$WORK/point.out" 2>&1; then
		diag "point $3 (step $s op $2): the next run failed: $(cat "$WORK/point.out")"
		return 1
	fi
	if ! "$TRESOR" verify --quiet --read-data --from "$T" \
	    --key-file "$WORK/k.sec.asc" >"$WORK/point.out" 2>&1; then
		diag "point $3 (step $s op $2): verify --read-data: $(cat "$WORK/point.out")"
		return 1
	fi
	complete_sets "$WORK/target" >"$WORK/now-sets"
	if [ -n "$(comm -23 "$WORK/keep-$s" "$WORK/now-sets")" ]; then
		diag "point $3 (step $s op $2): sets lost: $(comm -23 "$WORK/keep-$s" "$WORK/now-sets" | tr '\n' ' ')"
		return 1
	fi
	# The kept sets and those the crashed run or its rerun made.
	for id in $(cat "$WORK/keep-$s"; comm -13 "$WORK/before-$s/sets" \
	    "$WORK/now-sets"); do
		if ! restores_ok "$id" "$s"; then
			diag "point $3 (step $s op $2): set $id: $(head -c 2000 "$WORK/point.err")"
			return 1
		fi
	done
	return 0
}

# --- each step: count its operations, then crash it at each -------------
# The source changes only between steps, so the cache's view of it stays
# true while a step's points run.
: >"$WORK/set-source"
K=0
tried=0
recovered=0
g=0
for s in $STEPS; do
	case $s in
	2) mutate_a ;;
	5)	# Debris for cleanup: a full backup killed after its 20th op.
		TRESOR_TEST_CRASH_AFTER=20 run_step 1 "$(at 76)" 2>/dev/null
		[ $? -eq 137 ] || bail "the interrupted backup of day 76" ;;
	6) mutate_b ;;
	esac
	snapshot "$s"
	save_state "$WORK/before-$s"
	TRESOR_TEST_RECORD="$WORK/count-$s.log" \
	    run_step "$s" "$(at "$(step_day "$s")")" >"$WORK/count-$s.out" 2>&1 ||
	    bail "step $s ($(step_name "$s")) fails without a crash: $(cat "$WORK/count-$s.out")"
	n=$(grep -c '^[0-9]' "$WORK/count-$s.log")
	pids=$(awk '$1 != "-" { print $2 }' "$WORK/count-$s.log" | sort -u | wc -l)
	[ "$pids" -eq 1 ] || bail "step $s numbers operations in $pids processes"
	K=$((K + n))
	diag "step $s ($(step_name "$s")): $n storage operations"
	# A new set from this step holds the step's source.
	complete_sets "$WORK/target" | comm -13 "$WORK/before-$s/sets" - |
	    while read -r id; do echo "$id $s"; done >>"$WORK/set-source"
	# Sets the step keeps: those complete before and after it.
	complete_sets "$WORK/target" | comm -12 "$WORK/before-$s/sets" - \
	    >"$WORK/keep-$s"
	save_state "$WORK/after-$s"
	# With a stride: every STRIDE-th operation of each step from its
	# first, and every one that publishes or removes a manifest or
	# writes the cache (where the order matters most).
	awk '$1 != "-" && ($3 ~ /^cache-/ ||
	    ($3 ~ /^(publish|delete)$/ && $4 ~ /manifest/)) { print $1 }' \
	    "$WORK/count-$s.log" >"$WORK/key-ops-$s"
	k=1
	while [ "$k" -le "$n" ]; do
		g=$((g + 1))
		if [ $(((k - 1) % STRIDE)) -eq 0 ] ||
		    grep -qx "$k" "$WORK/key-ops-$s"; then
			tried=$((tried + 1))
			point "$s" "$k" "$g" && recovered=$((recovered + 1))
		fi
		k=$((k + 1))
	done
	# The next step starts from the counting run's result.
	load_state "$WORK/after-$s"
	rm -rf "$WORK/before-$s/target" "$WORK/before-$s/cache"
done
check "the scenario has hundreds of storage operations ($K)" [ "$K" -ge 100 ]
diag "crash points: $recovered/$tried recovered (K=$K, stride $STRIDE)"
echo "crash points: $recovered/$tried recovered (K=$K, stride $STRIDE)" \
    >"${CRASH_REPORT:-/dev/null}"
check "crash points: $recovered/$tried recovered" [ "$recovered" -eq "$tried" ]
check "every step was crashed at least once" [ "$tried" -ge 6 ]

done_testing
