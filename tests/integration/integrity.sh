#!/bin/sh
# integrity.sh: only a hash or format failure is called damage. A wrong or
# missing key is named as such (verify and restore), real damage still is
# damage, and a signatures object fetched to rebuild the cache must be the
# one its manifest records (size and SHA-256), not merely decrypt.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
make_key other
mkdir -p "$WORK/src/vault" "$WORK/a" "$WORK/b"
V="$WORK/src/vault"
i=0
while [ $i -lt 6 ]; do
	head -c $(( (i + 1) * 16384 )) /dev/urandom >"$V/doc-$i.pdf"
	i=$((i + 1))
done
backup() {
	target=$1
	shift
	"$TRESOR" backup --quiet --delta-min-size 8K --to "file://$WORK/$target" \
	    "$@" "$V"
}
# Two targets holding the same files: their signatures objects differ
# only in the set they belong to, and both decrypt with the same key.
TRESOR_NOW=$(at 0) backup a --key-file "$WORK/k.pub.asc" || bail "backup a failed"
TRESOR_CACHE_DIR="$WORK/cache-b" TRESOR_NOW=$(at 0) backup b --key-file \
    "$WORK/k.pub.asc" || bail "backup b failed"
a_id=$(ls "$WORK/a" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p')
b_id=$(ls "$WORK/b" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p')
[ -n "$a_id" ] && [ -n "$b_id" ] && [ -f "$WORK/a/tresor.$a_id.sigs.gpg" ] &&
    [ -f "$WORK/b/tresor.$b_id.sigs.gpg" ] || bail "no sets with signatures"

no_damage_word() {
	! grep -qi 'damage\|corrupt' "$1"
}

# A wrong key is a key problem.
expect_fail "$WORK/err" "$TRESOR" verify --from "file://$WORK/a" \
    --key-file "$WORK/other.sec.asc"
diag "$(cat "$WORK/err")"
check "verify with the wrong key: says there is no secret key" \
    grep -q 'no secret key' "$WORK/err"
check "... names the key the set is encrypted to" \
    grep -q 'encrypted to [0-9A-F]\{16\}' "$WORK/err"
check "... and never calls the set damaged or corrupt" no_damage_word "$WORK/err"
expect_fail "$WORK/err" "$TRESOR" restore --from "file://$WORK/a" \
    --to "$WORK/out-wrong" --key-file "$WORK/other.sec.asc"
check "restore with the wrong key: no secret key, not damage" \
    sh -c "grep -q 'no secret key' '$WORK/err' && ! grep -qi 'damage\|corrupt' '$WORK/err'"
check "... and says what to give" grep -q -- '--key-file' "$WORK/err"
mkdir -p "$WORK/empty-gnupg" && chmod 700 "$WORK/empty-gnupg"
expect_fail "$WORK/err" env GNUPGHOME="$WORK/empty-gnupg" "$TRESOR" verify \
    --from "file://$WORK/a"
gpgconf --homedir "$WORK/empty-gnupg" --kill all >/dev/null 2>&1
check "verify with no key at all: no secret key, not damage" \
    sh -c "grep -q 'no secret key' '$WORK/err' && ! grep -qi 'damage\|corrupt' '$WORK/err'"

# Real damage is still damage: a volume altered in place (size kept).
cp -a "$WORK/a" "$WORK/a-flip"
vol=$(ls "$WORK/a-flip"/tresor.*.vol000001.gpg)
printf 'XXXXXXXX' | dd of="$vol" bs=1 seek=2000 conv=notrunc 2>/dev/null
expect_fail "$WORK/err" "$TRESOR" verify --from "file://$WORK/a-flip" \
    --key-file "$WORK/k.sec.asc"
check "an altered volume: verify names it as corrupt" \
    sh -c "grep -q 'corrupt' '$WORK/err' && grep -q \"$(basename "$vol")\" '$WORK/err'"

# The signatures object, swapped for the other target's: it decrypts with
# the same key and holds the same files, but it is not what set a's
# manifest records. With the cache gone, the next backup must refuse it.
sigs="$WORK/a/tresor.$a_id.sigs.gpg"
cp "$sigs" "$WORK/sigs.orig"
cp "$WORK/b/tresor.$b_id.sigs.gpg" "$sigs"
rm -rf "$WORK/cache"
head -c 4096 /dev/urandom | dd of="$V/doc-5.pdf" bs=4096 seek=2 conv=notrunc 2>/dev/null
expect_fail "$WORK/err" env TRESOR_NOW=$(at 1) "$TRESOR" backup --delta-min-size 8K \
    --to "file://$WORK/a" --key-file "$WORK/k.sec.asc" "$V"
diag "$(cat "$WORK/err")"
check "a swapped signatures object: the backup fails" test -s "$WORK/err"
check "... naming the object as corrupt" \
    grep -q "tresor\.$a_id\.sigs\.gpg' in file://$WORK/a is corrupt" "$WORK/err"
check "... and no incremental set was published" \
    sh -c "! ls '$WORK/a' | grep -q '\.inc\.manifest\.gpg'"
check "... nor a signatures copy kept in the cache" \
    sh -c "! find '$WORK/cache' -name '*sigs*' 2>/dev/null | grep -q ."

# The same object truncated by one byte.
head -c $(( $(wc -c <"$WORK/sigs.orig") - 1 )) "$WORK/sigs.orig" >"$sigs"
rm -rf "$WORK/cache"
expect_fail "$WORK/err" env TRESOR_NOW=$(at 1) "$TRESOR" backup --delta-min-size 8K \
    --to "file://$WORK/a" --key-file "$WORK/k.sec.asc" "$V"
check "a truncated signatures object: named as corrupt" \
    grep -q "tresor\.$a_id\.sigs\.gpg' in file://$WORK/a is corrupt" "$WORK/err"

# The right object: the cache is rebuilt and a delta stored.
cp "$WORK/sigs.orig" "$sigs"
rm -rf "$WORK/cache"
check "the recorded signatures object: the incremental backup succeeds" \
    sh -c "TRESOR_NOW=$(at 1) '$TRESOR' backup --delta-min-size 8K --to 'file://$WORK/a' --key-file '$WORK/k.sec.asc' '$V' 2>&1 | grep -q '1 delta'"
check "... and verify passes" "$TRESOR" verify --quiet --read-data \
    --from "file://$WORK/a" --key-file "$WORK/k.sec.asc"

done_testing
