#!/bin/sh
# cache-crash.sh: the local cache after a crash at the worst moments (bugs
# the crash check found, docs/TESTING.md "Crash at every storage
# operation"), and write-order.awk catching each order it checks.
#  1. Killed right after the manifest was published: the next incremental,
#     with only the public key, still finds the set in the cache.
#  2. An empty url file (a crash while it was written in place) does not
#     lock the cache directory away.
#  3. Killed after the new set's copies were written but before its
#     manifest was published: the cache holds no copy of a set that is not
#     on the target, and the next run clears the pending ones.
#  4. Killed right after the manifest was published, before its seal: the
#     next run seals it (its copy still pending here proves it is ours),
#     saying so, and verify --read-data passes; a manifest altered on the
#     target in between is not sealed (issue 18).
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
V=$WORK/src/vault
T="file://$WORK/target"
mkdir -p "$WORK/target"
make_tree "$V"
head -c 1500000 /dev/urandom >"$V/big.bin"
b() {	# b DAY [ENV...]: a backup with the public key only
	day=$1
	shift
	env TRESOR_NOW="$(at "$day")" "$@" "$TRESOR" backup --quiet \
	    --delta-min-size 65536 --to "$T" --key-file "$WORK/k.pub.asc" "$V"
}
cachedir() { echo "$WORK"/cache/*; }
# opnum LOG PATTERN: the number of the first operation matching PATTERN.
opnum() { awk -v p="$2" '$1 != "-" && ($3 " " $4) ~ p { print $1; exit }' "$1"; }

# A counting run, to find the operations' numbers.
b 0 TRESOR_TEST_RECORD="$WORK/count.log" || bail "the first backup"
pub=$(opnum "$WORK/count.log" '^publish tresor\..*\.manifest\.gpg$')
sigs=$(opnum "$WORK/count.log" '^cache-write sigs\..*\.pending$')
pend=$(opnum "$WORK/count.log" '^cache-write manifest\..*\.pending$')
check "the record names the manifest's publication and the copies" \
    [ -n "$pub" ] && [ -n "$sigs" ] && [ -n "$pend" ]
check "... the copies written before the manifest is published" \
    [ "$sigs" -lt "$pub" ] && [ "$pend" -lt "$pub" ]

# --- 1. killed right after the publication ------------------------------
rm -rf "$WORK/target" "$WORK/cache" && mkdir "$WORK/target"
b 1 TRESOR_TEST_CRASH_AFTER="$pub" 2>/dev/null
check "killed right after the manifest's publication" [ $? -eq 137 ]
set1=$(ls "$WORK/target" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p')
check "... the set is on the target" [ -n "$set1" ]
echo more >>"$V/docs/hello.txt"
b 2 2>"$WORK/inc.err"
rc=$?
check "the next incremental, public key only, succeeds (exit $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag "$(cat "$WORK/inc.err")"
check "... without rebuilding the cache (which needs the secret key)" \
    sh -c "! grep -q 'rebuilding' '$WORK/inc.err'"
check "... on top of the set published before the crash" \
    sh -c "ls '$WORK/target' | grep -q 'inc.manifest.gpg'"
check "... and restores" sh -c "'$TRESOR' restore --quiet --from '$T' \
    --to '$WORK/r1' --key-file '$WORK/k.sec.asc' && '$TREEDIFF' '$V' '$WORK/r1/vault'"

# --- 2. an empty url file -----------------------------------------------
: >"$(cachedir)/url"
b 3 2>"$WORK/url.err"
rc=$?
check "an empty url file is taken as none (exit $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag "$(cat "$WORK/url.err")"
check "... and written again, whole" grep -qx "file://$WORK/target/\{0,1\}" "$(cachedir)/url"
check "... leaving no temporary url file" test ! -e "$(cachedir)/url.tmp"

# --- 3. killed before the publication -----------------------------------
for what in sigs pend; do
	eval "n=\$$what"
	rm -rf "$WORK/target" "$WORK/cache" && mkdir "$WORK/target"
	b 4 TRESOR_TEST_CRASH_AFTER="$n" 2>/dev/null
	check "killed after the cache write $n ($what)" [ $? -eq 137 ]
	check "... no set on the target" \
	    sh -c "! ls '$WORK/target' | grep -q manifest"
	check "... no copy in the cache but pending ones" \
	    sh -c "! ls '$(cachedir)' | grep -v '\.pending\(\.sha256\)\{0,1\}$' | grep -q '^\(sigs\|manifest\)\.'"
	b 5 2>"$WORK/next.err"
	rc=$?
	check "... the next run succeeds (exit $rc)" [ $rc -eq 0 ]
	check "... and removes the pending copies" \
	    sh -c "! ls '$(cachedir)' | grep -q '20260102T003000Z\|\.pending$'"
done

# --- 4. killed between the manifest and its seal --------------------------
rm -rf "$WORK/target" "$WORK/cache" && mkdir "$WORK/target"
b 6 2>/dev/null || bail "the full backup before the seal checks"
echo again >>"$V/docs/hello.txt"
cp -a "$WORK/target" "$WORK/target-6"
cp -a "$WORK/cache" "$WORK/cache-6"
b 7 TRESOR_TEST_RECORD="$WORK/count7.log" || bail "the counting incremental"
pub7=$(opnum "$WORK/count7.log" '^publish tresor\..*\.manifest\.gpg$')
seal7=$(opnum "$WORK/count7.log" '^publish tresor\..*\.seal\.asc$')
check "an incremental's record: its seal published after its manifest" \
    [ -n "$pub7" ] && [ -n "$seal7" ] && [ "$pub7" -lt "$seal7" ]
rm -rf "$WORK/target" "$WORK/cache"
cp -a "$WORK/target-6" "$WORK/target"
cp -a "$WORK/cache-6" "$WORK/cache"
b 7 TRESOR_TEST_CRASH_AFTER="$pub7" 2>/dev/null
check "killed right after an incremental's manifest was published" [ $? -eq 137 ]
set7=$(ls "$WORK/target" | sed -n 's/^tresor\.\(.*\.inc\)\.manifest\.gpg$/\1/p')
check "... the set is on the target, without its seal" \
    sh -c "[ -n '$set7' ] && [ ! -e '$WORK/target/tresor.$set7.seal.asc' ]"
cp -a "$WORK/target" "$WORK/target-killed"
cp -a "$WORK/cache" "$WORK/cache-killed"
echo once-more >>"$V/docs/hello.txt"
b 8 2>"$WORK/seal.err"
rc=$?
check "the next backup succeeds (exit $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag "$(cat "$WORK/seal.err")"
check "... sealing the killed run's set" test -e "$WORK/target/tresor.$set7.seal.asc"
check "... saying so in one line" \
    sh -c "[ \$(grep -c 'set $set7 was published from this host by a run that stopped before its seal: sealed now' '$WORK/seal.err') -eq 1 ]"
"$TRESOR" verify --quiet --read-data --from "$T" --key-file "$WORK/k.sec.asc" \
    >"$WORK/seal.out" 2>&1
rc=$?
check "verify --read-data passes (exit $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag "$(cat "$WORK/seal.out")"
check "... and the killed run's set restores" sh -c "'$TRESOR' restore --quiet \
    --from '$T' --set '$set7' --to '$WORK/r7' --key-file '$WORK/k.sec.asc' &&
    test -s '$WORK/r7/vault/big.bin'"
# The same kill, then the manifest altered on the target before the next run.
rm -rf "$WORK/target" "$WORK/cache"
cp -a "$WORK/target-killed" "$WORK/target"
cp -a "$WORK/cache-killed" "$WORK/cache"
printf 'X' | dd of="$WORK/target/tresor.$set7.manifest.gpg" bs=1 seek=100 \
    conv=notrunc 2>/dev/null
b 8 2>"$WORK/alt.err"
check "a killed run's manifest altered on the target: the backup fails" [ $? -ne 0 ]
check "... naming the set" grep -q "set $set7, published from this host.*could not be sealed" "$WORK/alt.err"
check "... and the altered manifest gets no seal" \
    test ! -e "$WORK/target/tresor.$set7.seal.asc"

# --- write-order.awk finds each wrong order ----------------------------
wo() {	# wo LOG-TEXT: the checker's exit status on that log
	printf '%s\n' "$1" >"$WORK/wo.log"
	awk -f "$TOP_SRCDIR/tests/crash/write-order.awk" "$WORK/wo.log" \
	    >"$WORK/wo.out"
}
S=tresor.20260101T003000Z.full
check "write-order.awk: a good order passes" wo "- 1 open readback=1
1 1 put $S.vol000001.gpg
2 1 publish $S.vol000001.gpg
- 1 get $S.vol000001.gpg
3 1 cache-write manifest.20260101T003000Z.full.pending
4 1 put $S.manifest.gpg
5 1 publish $S.manifest.gpg
6 1 cache-write manifest.20260101T003000Z.full
7 1 delete $S.manifest.gpg
8 1 delete $S.vol000001.gpg"
# caught LOG-TEXT PATTERN: the checker fails on the log, saying PATTERN.
caught() { ! wo "$1" && grep -q "$2" "$WORK/wo.out"; }
check "... a manifest published before a volume: caught" caught \
    "1 1 put $S.vol000001.gpg
2 1 put $S.manifest.gpg
3 1 publish $S.manifest.gpg
4 1 publish $S.vol000001.gpg" "published before $S.vol000001.gpg"
check "... a manifest published before a volume is read back: caught" caught \
    "- 1 open readback=1
1 1 put $S.vol000001.gpg
2 1 publish $S.vol000001.gpg
3 1 put $S.manifest.gpg
4 1 publish $S.manifest.gpg" "was read back"
check "... a volume written after its manifest: caught" caught \
    "1 1 put $S.manifest.gpg
2 1 publish $S.manifest.gpg
3 1 put $S.vol000002.gpg" "written after"
check "... a volume deleted before its manifest: caught" caught \
    "1 1 delete $S.vol000001.gpg
2 1 delete $S.manifest.gpg" "deleted before"
check "... a cache copy written before its set is published: caught" caught \
    "1 1 cache-write sigs.20260101T003000Z.full
2 1 put $S.manifest.gpg
3 1 publish $S.manifest.gpg" "cache copy"
check "... and counts what it checked" grep -q 'violations: 1 in 3 ops' "$WORK/wo.out"
check "write-order.awk: a seal after its manifest passes" wo "1 1 put $S.manifest.gpg
2 1 publish $S.manifest.gpg
3 1 put $S.seal.asc
4 1 publish $S.seal.asc
5 1 put tresor.20260301T003000Z.purge.seal.asc
6 1 publish tresor.20260301T003000Z.purge.seal.asc"
check "... a seal published before its manifest: caught" caught \
    "1 1 put $S.seal.asc
2 1 publish $S.seal.asc
3 1 put $S.manifest.gpg
4 1 publish $S.manifest.gpg" "seal $S.seal.asc published before"
check "... a reused pid is another process" wo "1 7.100 put $S.manifest.gpg
2 7.100 publish $S.manifest.gpg
1 7.200 put $S.vol000001.gpg"
R=$(sed -n '1p' "$WORK/count.log" 2>/dev/null)
check "the record names each process by pid and start ($R)" \
    sh -c "grep '^[0-9]' '$WORK/count.log' | awk '\$2 !~ /^[0-9]+\\.[0-9]+\$/ { exit 1 }'"

done_testing
