#!/bin/sh
# retention.sh: purge is a dry run unless forced, removes whole chains
# older than the cutoff, never a set a kept set needs, never the newest
# chain; cleanup removes what an interrupted run left, and nothing else.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
V="$WORK/src/vault"
T="file://$WORK/target"
mkdir -p "$V" "$WORK/target"
head -c 200000 /dev/urandom >"$V/a.pdf"
head -c 3000000 /dev/urandom >"$V/big.pdf"
b() {	# b DAY [OPTIONS]: a backup on day DAY
	day=$1
	shift
	TRESOR_NOW=$(at "$day") "$TRESOR" backup --quiet --to "$T" \
	    --key-file "$WORK/k.pub.asc" "$@" "$V" || bail "backup on day $day"
}
# Chain 1: days 0-20, chain 2: days 30-50 (a forced full on day 30).
for d in 0 10 20; do echo "$d" >>"$V/a.pdf"; b $d; done
for d in 30 40 50; do echo "$d" >>"$V/a.pdf"; [ $d -eq 30 ] && b $d --full || b $d; done
count() { ls "$WORK/target" | grep -c 'manifest\.gpg$'; }
check "six sets in two chains" test "$(count)" -eq 6
check "status shows two chains" \
    sh -c "'$TRESOR' status --from '$T' | grep -q '6 complete sets, 0 incomplete, in 2 chains'"

expect_fail "$WORK/err" "$TRESOR" purge --from "$T"
check "purge without --older-than is a usage error" grep -q 'older-than T is required' "$WORK/err"

TRESOR_NOW=$(at 45) "$TRESOR" purge --from "$T" --older-than 30D >"$WORK/out"
check "day 45, 30D: chain 1's newest (day 20) is 25 days old: nothing to purge" \
    grep -q 'would remove 0 sets' "$WORK/out"
TRESOR_NOW=$(at 55) "$TRESOR" purge --from "$T" --older-than 30D >"$WORK/out"
check "day 55, 30D: the dry run lists chain 1's three sets" grep -q 'would remove 3 sets' "$WORK/out"
check "... and removes nothing" test "$(count)" -eq 6
check "status --json agrees" \
    sh -c "TRESOR_NOW=$(at 55) '$TRESOR' status --from '$T' --older-than 30D --json | grep -q '\"purge_would_remove\":3'"
TRESOR_NOW=$(at 55) "$TRESOR" purge --from "$T" --older-than 30D --force >"$WORK/out"
check "--force removes them" test "$(count)" -eq 3
check "... every object of chain 1, manifest and volumes" \
    sh -c "! ls '$WORK/target' | grep -q '2026010[1-9]\|2026011\|2026012[01]'"
check "the kept chain still restores" \
    sh -c "'$TRESOR' restore --quiet --from '$T' --to '$WORK/r' --key-file '$WORK/k.sec.asc' && cmp '$V/a.pdf' '$WORK/r/vault/a.pdf'"
TRESOR_NOW=$(at 500) "$TRESOR" purge --from "$T" --older-than 1D --force >"$WORK/out"
check "the newest chain is never purged, however old" test "$(count)" -eq 3
check "purge leaves no lock" test ! -e "$WORK/target/tresor.lock"

# A run cut off before its manifest leaves volumes and a temporary object.
# (Made by a complete run, then undone to what a cut-off one leaves: no
# manifest, no seal, and the cache's head as it was before it.)
head=$(ls "$WORK"/cache/*/head)
cp "$head" "$WORK/head.before"
b 60 --full --volsize 1
rm "$WORK/target/tresor.20260302T003000Z.full.manifest.gpg" \
    "$WORK/target/tresor.20260302T003000Z.full.seal.asc"
cp "$WORK/head.before" "$head"
: >"$WORK/target/.tmp.tresor.20260302T003000Z.full.vol000009.gpg.4242.0"
check "status reports the interrupted set as incomplete" \
    sh -c "'$TRESOR' status --from '$T' | grep -q '3 complete sets, 1 incomplete'"
TRESOR_NOW=$(at 61) "$TRESOR" cleanup --from "$T" >"$WORK/out"
check "cleanup's dry run lists it" grep -q 'would remove incomplete set 20260302T003000Z.full' "$WORK/out"
check "... and removes nothing" sh -c "ls '$WORK/target' | grep -q 20260302T003000Z"
TRESOR_NOW=$(at 61) "$TRESOR" cleanup --from "$T" --force >"$WORK/out"
check "cleanup --force removes the debris" sh -c "! ls -A '$WORK/target' | grep -q '20260302T003000Z'"
check "... and temporary objects" sh -c "! ls -A '$WORK/target' | grep -q '^\.tmp\.'"
check "... and nothing of the complete sets" test "$(count)" -eq 3
check "everything still verifies" \
    "$TRESOR" verify --quiet --from "$T" --key-file "$WORK/k.sec.asc"

done_testing
