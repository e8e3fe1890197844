#!/bin/sh
# interrupt.sh: a backup stopped at any point (SIGINT, SIGTERM, SIGKILL)
# never blocks the next night. A signal stops the run at its next safe
# point: exit 128 + N, one line saying what was left, no lock, no
# temporary object, no GnuPG home. After a SIGKILL nothing can run: its lock
# names this host and a dead pid, and the next run takes it over. Either
# way the next backup, purge and cleanup succeed without any flag, and
# verify --read-data passes.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
V="$WORK/vault"
mkdir -p "$V/a" "$V/b" "$WORK/target" "$WORK/tmp"
T="file://$WORK/target"
head -c 2500000 /dev/urandom >"$V/a/big1.bin"
head -c 2500000 /dev/urandom >"$V/b/big2.bin"
for i in 1 2 3 4 5; do printf 'doc %s\n' "$i" >"$V/a/doc$i.txt"; done
TMPDIR="$WORK/tmp"
export TMPDIR

day=0
# interrupt POINT SIGNAL EXPECTED_RC: one backup stopped at POINT by SIGNAL.
interrupt() {
	point=$1 sig=$2 want=$3
	day=$((day + 1))
	# A night with new data: volumes to write in an incremental too.
	head -c 2500000 /dev/urandom >"$V/a/big1.bin"
	TRESOR_NOW=$(at $day) TRESOR_TESTPOINT=$point "$TRESOR" backup --quiet --volsize 1 \
	    --to "$T" --key-file "$WORK/k.pub.asc" "$V" 2>"$WORK/err" &
	pid=$!
	if ! wait_stopped $pid; then
		kill -KILL $pid 2>/dev/null
		wait $pid
		check "[$point $sig] the run reaches its test point" false
		return
	fi
	kill -s "$sig" $pid
	kill -CONT $pid
	wait $pid
	rc=$?
	check "[$point $sig] exit $want" test "$rc" -eq "$want"
	if [ "$sig" != KILL ]; then
		check "[$point $sig] one line, naming the signal" \
		    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q '^tresor: .*interrupted by SIG$sig' '$WORK/err'"
		check "[$point $sig] no lock left" test ! -e "$WORK/target/tresor.lock"
		check "[$point $sig] no temporary object left" \
		    sh -c "! ls -A '$WORK/target' | grep -q '^\.tmp\.\|\.tmp\.'"
		check "[$point $sig] no GnuPG home or scratch left" \
		    sh -c "[ -z \"\$(ls -A '$WORK/tmp')\" ]"
	fi
	# The next nights: no flag needed.
	day=$((day + 1))
	TRESOR_NOW=$(at $day) "$TRESOR" backup --quiet --volsize 1 --to "$T" \
	    --key-file "$WORK/k.pub.asc" "$V" 2>"$WORK/err2"
	check "[$point $sig] the next backup succeeds without a flag" test $? -eq 0
	check "[$point $sig] ... and no GnuPG home is left (a killed run's is removed)" \
	    sh -c "[ -z \"\$(ls -A '$WORK/tmp')\" ]"
	TRESOR_NOW=$(at $day) "$TRESOR" purge --quiet --from "$T" --older-than 1Y --force 2>>"$WORK/err2"
	check "[$point $sig] ... and purge" test $? -eq 0
	TRESOR_NOW=$(at $day) "$TRESOR" cleanup --quiet --from "$T" --force 2>>"$WORK/err2"
	check "[$point $sig] ... and cleanup" test $? -eq 0
	check "[$point $sig] ... which leaves no incomplete set or temporary" \
	    sh -c "'$TRESOR' status --from '$T' | grep -q ' 0 incomplete' && ! ls -A '$WORK/target' | grep -q 'tmp\|lock'"
	if [ "$sig" = KILL ]; then
		check "[$point $sig] ... the dead run's lock was taken over with a warning" \
		    sh -c "[ ! -e '$WORK/target/tresor.lock' ] && { [ '$point' = backup-published ] || grep -q 'taking over the lock of backup by host .*not running' '$WORK/err2'; }"
	fi
}

interrupt backup-locked INT 130
interrupt volume-published INT 130
interrupt volume-published:2 TERM 143
interrupt backup-manifest INT 130
interrupt backup-manifest HUP 129
interrupt backup-published TERM 143
interrupt backup-locked KILL 137
interrupt volume-published:2 KILL 137
interrupt backup-manifest KILL 137
interrupt backup-published KILL 137

# What the interrupted runs said.
day=$((day + 1))
head -c 2500000 /dev/urandom >"$V/a/big1.bin"
TRESOR_NOW=$(at $day) TRESOR_TESTPOINT=volume-published:2 "$TRESOR" backup --quiet --volsize 1 \
    --to "$T" --key-file "$WORK/k.pub.asc" "$V" 2>"$WORK/err" &
pid=$!
wait_stopped $pid && kill -INT $pid && kill -CONT $pid
wait $pid
check "a run stopped after its second volume says no set was published and what is left" \
    grep -q 'interrupted by SIGINT: no set was published; its [0-9]* volumes in file://.* are left for tresor cleanup' "$WORK/err"
day=$((day + 1))
TRESOR_NOW=$(at $day) TRESOR_TESTPOINT=backup-published "$TRESOR" backup --quiet --volsize 1 \
    --to "$T" --key-file "$WORK/k.pub.asc" "$V" 2>"$WORK/err" &
pid=$!
wait_stopped $pid && kill -TERM $pid && kill -CONT $pid
wait $pid
set_id=$(ls "$WORK/target" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p' | sort | tail -n 1)
check "a run stopped after its manifest names the published set" \
    grep -q "interrupted by SIGTERM after set $set_id was published" "$WORK/err"
check "... which is complete" "$TRESOR" verify --quiet --from "$T" --set "$set_id" --key-file "$WORK/k.sec.asc" --read-data

# Failures after the manifest is published are not "no set was published".
day=$((day + 1))
head -c 100000 /dev/urandom >"$V/a/big1.bin"
TRESOR_NOW=$(at $day) TRESOR_TESTPOINT=backup-published "$TRESOR" backup --quiet \
    --to "$T" --key-file "$WORK/k.pub.asc" "$V" 2>"$WORK/err" &
pid=$!
if wait_stopped $pid; then
	# A lock that cannot be removed: a non-empty directory in its place.
	rm -f "$WORK/target/tresor.lock"
	mkdir -p "$WORK/target/tresor.lock/x"
	kill -CONT $pid
fi
wait $pid
rc=$?
set_id=$(date -u -d @$(at $day) +%Y%m%dT%H%M%SZ).inc
check "a lock that cannot be removed after publishing: exit 3" test "$rc" -eq 3
check "... one line saying the set was published and the lock stayed" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'set $set_id was published in file://.*, but its lock could not be removed' '$WORK/err' && ! grep -q 'no set was published' '$WORK/err'"
rm -rf "$WORK/target/tresor.lock"
day=$((day + 1))
set_id=$(date -u -d @$(at $day) +%Y%m%dT%H%M%SZ).inc
cache=$(dirname "$(ls "$WORK"/cache/*/url)")
mkdir -p "$cache/manifest.$set_id/x"
head -c 100000 /dev/urandom >"$V/a/big1.bin"
TRESOR_NOW=$(at $day) "$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k.pub.asc" "$V" 2>"$WORK/err"
rc=$?
rm -rf "$cache/manifest.$set_id"
check "a failure after the manifest reached the target: exit 1" test "$rc" -eq 1
check "... one line saying the set was published" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'set $set_id was published in file://.*, but the run then failed' '$WORK/err' && ! grep -q 'no set was published' '$WORK/err'"
check "... which it was" test -e "$WORK/target/tresor.$set_id.manifest.gpg"
check "... and no lock is left" test ! -e "$WORK/target/tresor.lock"

"$TRESOR" verify --quiet --from "$T" --key-file "$WORK/k.sec.asc" --read-data 2>"$WORK/err"
check "verify --read-data passes after all of it" test $? -eq 0
"$TRESOR" restore --quiet --from "$T" --to "$WORK/out" --key-file "$WORK/k.sec.asc"
check "the newest set restores the vault" "$TREEDIFF" "$V" "$WORK/out/vault"

done_testing
