#!/bin/sh
# repo-faults.sh: system-call failures inside repo/ (issue 17), through
# tests/helpers/faultshim.so on a file:// target:
#   1. the local cache (TRESOR_CACHE_DIR): write, fsync, rename, create,
#      unlink and mkdir failures during a full backup, an incremental, a
#      purge and a restore. The run succeeds or fails with one line; the
#      next run without a fault succeeds, and verify --read-data passes at
#      the end with the data byte-identical.
#   2. pthread_create failing (EAGAIN) for the volume uploader and the
#      seal writer's threads: the fallbacks give a set that verifies.
#   3. the lock object on the target: its write or rename failing is one
#      line, and the next run takes the lock.
# REPO_FAULTS_FULL=1 sweeps N = 1..12 for each call (default: 1..3).
. "$TOP_SRCDIR/tests/integration/lib.sh"

SHIM="$TESTS_BUILDDIR/helpers/faultshim.so"
[ -f "$SHIM" ] || bail "no $SHIM (make check builds it)"
[ -n "${SANITIZED:-}" ] &&
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" &&
    export ASAN_OPTIONS
MAXN=3
[ -n "${REPO_FAULTS_FULL:-}" ] && MAXN=12

make_key k
V="$WORK/src/vault"
make_tree "$V"
head -c 2500000 /dev/urandom >"$V/big.bin"
T="file://$WORK/target"
mkdir -p "$WORK/target"
FLOG="$WORK/fault.log"
day=0

# The shim removes LD_PRELOAD when it loads: the binary itself, no wrapper
# script or env(1) in between, and the signing keys spelt out.
X=$TRESOR_REAL
SK="--sign-key $WORK/sign.sec.asc"
SP="--sign-pubkey $WORK/sign.pub.asc"
# f FAULT DAY ARG...: tresor ARG... on day DAY with the shim failing FAULT;
# $FLOG is empty when the fault never happened.
f() {
	fault=$1
	now=$(at "$2")
	shift 2
	: >"$FLOG"
	LD_PRELOAD="$SHIM" TRESOR_FAULT="$fault" TRESOR_FAULT_LOG="$FLOG" \
	    TRESOR_NOW=$now "$X" "$@"
}
b() {
	day=$((day + 1))
	echo "$day" >>"$V/docs/hello.txt"
	TRESOR_NOW=$(at "$day") "$TRESOR" backup --quiet --to "$T" \
	    --key-file "$WORK/k.pub.asc" "$@" "$V"
}
ver() {
	"$TRESOR" verify --quiet --read-data --from "$T" \
	    --key-file "$WORK/k.sec.asc"
}
rst() {
	rm -rf "$1"
	"$TRESOR" restore --quiet --from "$T" --to "$1" \
	    --key-file "$WORK/k.sec.asc"
}
# outcome WHAT RC: the run passed, or failed with one line.
outcome() {
	if [ "$2" -eq 0 ]; then
		check "$1: succeeds" true
	else
		check "$1: fails with one line (exit $2)" one_line_error "$WORK/err"
		one_line_error "$WORK/err" || diag "$(cat "$WORK/err")"
	fi
	check "$1: no temporary file left in the target" \
	    sh -c "! ls -a '$WORK/target' | grep -q '\.tmp\|\.part'"
}
# recovered WHAT: a backup without fault succeeds afterwards.
# The secret key: a cache that lost a set is rebuilt from the target's
# manifest, which needs it (without, the run says so and fails).
recovered() {
	day=$((day + 1))
	echo "$day" >>"$V/docs/hello.txt"
	TRESOR_NOW=$(at "$day") "$TRESOR" backup --quiet --to "$T" \
	    --key-file "$WORK/k.sec.asc" "$V" 2>"$WORK/next.err"
	rc=$?
	check "$1: the next backup succeeds (exit $rc)" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || diag "$(cat "$WORK/next.err")"
}

# --- 1. the local cache ----------------------------------------------------
for call in write fsync rename renameat open openat unlink unlinkat mkdir mkdirat; do
	for err in ENOSPC EIO; do
		n=1
		while [ $n -le $MAXN ]; do
			# A full backup from an empty cache (mkdirat then fails).
			rm -rf "$WORK/cache"
			day=$((day + 1))
			echo "$day" >>"$V/docs/hello.txt"
			f "$call:$n:$err:$WORK/cache" "$day" \
			    backup $SK --quiet --to "$T" --full \
			    --key-file "$WORK/k.pub.asc" "$V" 2>"$WORK/err"
			rc=$?
			[ -s "$FLOG" ] || break
			outcome "full, cache $call #$n $err" $rc
			recovered "full, cache $call #$n $err"
			# An incremental.
			day=$((day + 1))
			echo "$day" >>"$V/docs/hello.txt"
			f "$call:$n:$err:$WORK/cache" "$day" \
			    backup $SK --quiet --to "$T" \
			    --key-file "$WORK/k.sec.asc" "$V" 2>"$WORK/err"
			rc=$?
			if [ -s "$FLOG" ]; then
				outcome "incremental, cache $call #$n $err" $rc
				recovered "incremental, cache $call #$n $err"
			fi
			# A restore.
			rm -rf "$WORK/r"
			f "$call:$n:$err:$WORK/cache" "$day" restore $SP --quiet \
			    --from "$T" --to "$WORK/r" \
			    --key-file "$WORK/k.sec.asc" 2>"$WORK/err"
			rc=$?
			if [ -s "$FLOG" ]; then
				outcome "restore, cache $call #$n $err" $rc
				[ $rc -ne 0 ] || check "restore, cache $call #$n $err: data identical" \
				    "$TREEDIFF" "$V" "$WORK/r/vault"
			fi
			n=$((n + 1))
		done
	done
done
# A purge (forced) with the cache failing, of chains older than 2 days.
for call in write rename unlink unlinkat open openat; do
	b --full 2>/dev/null || bail "a full before the purge"
	b --full 2>/dev/null || bail "a full before the purge"
	day=$((day + 5))
	f "$call:1:EIO:$WORK/cache" "$day" purge $SK \
	    --from "$T" --older-than 2D --force >/dev/null 2>"$WORK/err"
	rc=$?
	if [ -s "$FLOG" ]; then
		outcome "purge, cache $call EIO" $rc
	fi
	recovered "purge, cache $call EIO"
done
# The cache's copy of the newest manifest altered, then its SHA-256 file:
# the next backup (with the secret key) fetches the copy again, saying so.
newest=$(ls "$WORK"/cache/*/manifest.*[lc] | sort | tail -n 1)
printf 'X' | dd of="$newest" bs=1 seek=10 conv=notrunc 2>/dev/null
recovered "an altered cache copy"
check "... one warning naming the corrupt copy" \
    sh -c "[ \$(grep -c \"warning: the cache's copy '.*' is corrupt: sha256 .*; fetching it again\" '$WORK/next.err') -eq 1 ]"
newest=$(ls "$WORK"/cache/*/manifest.*[lc] | sort | tail -n 1)
echo junk >"$newest.sha256"
recovered "a cache copy's SHA-256 file altered"
check "... the run says its sum is not a SHA-256" \
    grep -q "does not hold its SHA-256" "$WORK/next.err"
# A restore that cannot make its cache, then one that cannot store the
# head it learnt: each a warning, and the data restored all the same.
rm -rf "$WORK/cache" "$WORK/r"
f "mkdir:0:EACCES:$WORK/cache" "$day" restore $SP --quiet --from "$T" \
    --to "$WORK/r" --key-file "$WORK/k.sec.asc" 2>"$WORK/err"
rc=$?
check "restore without a cache directory: succeeds (exit $rc)" [ $rc -eq 0 ]
check "... warning that the rollback check has only --head" \
    grep -q "warning: no local cache (unable to create cache directory '$WORK/cache': Permission denied" "$WORK/err"
check "... the data identical" "$TREEDIFF" "$V" "$WORK/r/vault"
rm -rf "$WORK/cache" "$WORK/r"
f "open:0:EIO:head" "$day" restore $SP --quiet --from "$T" \
    --to "$WORK/r" --key-file "$WORK/k.sec.asc" 2>"$WORK/err"
rc=$?
check "restore unable to store the learnt head: succeeds (exit $rc)" [ $rc -eq 0 ]
check "... warning that the head could not be written" \
    grep -q "warning: unable to write '.*/head.tmp': Input/output error" "$WORK/err"
check "... leaving no head.tmp" sh -c "! ls '$WORK'/cache/*/head.tmp 2>/dev/null"
check "... the data identical" "$TREEDIFF" "$V" "$WORK/r/vault"
# cache_claims_only_target_sets: every set the cache has a manifest of
# (pending ones aside) is on the target.
cache_claims_only_target_sets() {
	for m in "$WORK"/cache/*/manifest.*; do
		[ -e "$m" ] || continue
		set=$(basename "$m" | sed -n 's/^manifest\.\([0-9TZ]*\.\(full\|inc\)\)$/\1/p')
		[ -n "$set" ] || continue
		[ -e "$WORK/target/tresor.$set.manifest.gpg" ] || {
			diag "the cache claims $set, not on the target"
			return 1
		}
	done
	return 0
}
check "after the cache faults, no cache entry claims a set the target lacks" \
    cache_claims_only_target_sets
ver >"$WORK/ver.out" 2>&1
rc=$?
check "after the cache faults, verify --read-data passes (exit $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag "$(head -5 "$WORK/ver.out")"
check "... and the newest set restores byte-identical" \
    sh -c "rst() { rm -rf '$WORK/r'; '$TRESOR' restore --quiet --from '$T' \
    --to '$WORK/r' --key-file '$WORK/k.sec.asc'; }; rst && '$TREEDIFF' '$V' '$WORK/r/vault'"

# --- 2. no thread ----------------------------------------------------------
# The Nth pthread_create of a signed incremental in volumes of 1 MiB: the
# seal writer's threads and the volume uploader have fallbacks (the set is
# the same: verify --read-data passes); a thread without one (the gpg
# encryption's) is a one-line failure. An async stage without its thread
# runs in the caller's (format/filter/async.c; it used to abort).
for n in 1 2 3 4 5 6 7 8; do
	day=$((day + 1))
	echo "$day" >>"$V/docs/hello.txt"
	f "pthread_create:$n:EAGAIN" "$day" \
	    backup $SK --quiet --to "$T" --volsize 1 \
	    --key-file "$WORK/k.sec.asc" "$V" 2>"$WORK/err"
	rc=$?
	[ -s "$FLOG" ] || break
	check "no thread #$n: no crash (exit $rc)" [ $rc -lt 128 ]
	outcome "no thread #$n" $rc
	if [ $rc -eq 0 ]; then
		ver >"$WORK/ver.out" 2>&1
		rc=$?
		check "no thread #$n: verify --read-data passes (exit $rc)" [ $rc -eq 0 ]
		[ $rc -eq 0 ] || diag "$(head -5 "$WORK/ver.out")"
	else
		check "no thread #$n: the message says no thread" grep -q 'no thread\|thread' "$WORK/err"
		recovered "no thread #$n"
	fi
done
check "without threads, the newest set restores byte-identical" \
    sh -c "rm -rf '$WORK/r' && '$TRESOR' restore --quiet --from '$T' \
    --to '$WORK/r' --key-file '$WORK/k.sec.asc' && '$TREEDIFF' '$V' '$WORK/r/vault'"

# --- 3. the lock object on the target --------------------------------------
for call in write fsync rename renameat open openat unlink unlinkat; do
	for n in 1 2; do
		day=$((day + 1))
		echo "$day" >>"$V/docs/hello.txt"
		f "$call:$n:EIO:lock" "$day" \
		    backup $SK --quiet --to "$T" --key-file "$WORK/k.pub.asc" \
		    "$V" 2>"$WORK/err"
		rc=$?
		[ -s "$FLOG" ] || break
		outcome "lock $call #$n EIO" $rc
		[ $rc -eq 0 ] || check "lock $call #$n EIO: the message names the lock" \
		    grep -qi 'lock' "$WORK/err"
		recovered "lock $call #$n EIO"
	done
done
ver >"$WORK/ver.out" 2>&1
rc=$?
check "after the lock faults, verify --read-data passes (exit $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag "$(head -5 "$WORK/ver.out")"
check "... and the newest set restores byte-identical" \
    sh -c "rm -rf '$WORK/r' && '$TRESOR' restore --quiet --from '$T' \
    --to '$WORK/r' --key-file '$WORK/k.sec.asc' && '$TREEDIFF' '$V' '$WORK/r/vault'"

done_testing
