#!/bin/sh
# keys.sh: every manifest records the keys its set is encrypted to (the
# end line's keys=), and an incremental under another key than its chain's
# is refused: restoring its newest state would need two secret keys.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
make_key k2
fpr() {
	GNUPGHOME="$WORK/gnupg-$1" gpg --batch --with-colons --list-keys | awk -F: '/^fpr/ {print $10; exit}'
}
K1=$(fpr k)
K2=$(fpr k2)
V="$WORK/vault"
mkdir -p "$V" "$WORK/target" "$WORK/target-sym"
printf 'one\n' >"$V/a.txt"
T="file://$WORK/target"

TRESOR_NOW=$(at 1) "$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k.pub.asc" "$V" || bail "full backup"
man=$(ls "$WORK"/target/tresor.*.manifest.gpg)
GNUPGHOME="$WORK/gnupg-k" gpg --batch --quiet --decrypt "$man" 2>/dev/null | zstd -dc >"$WORK/manifest.txt"
check "the manifest's end line names the key's fingerprint" \
    grep -q "^end entries=.* keys=$K1\$" "$WORK/manifest.txt"

printf 'two\n' >"$V/b.txt"
ls -A "$WORK/target" >"$WORK/before"
expect_fail "$WORK/err" env TRESOR_NOW=$(at 2) "$TRESOR" backup --to "$T" --key-file "$WORK/k2.pub.asc" "$V"
check "an incremental under another key is refused: one line" one_line_error "$WORK/err"
check "... naming both keys and --full" \
    sh -c "grep -q 'encrypted to key $K1, this run to key $K2' '$WORK/err' && grep -q -- '--full' '$WORK/err'"
check "... and nothing was published" test "$(ls "$WORK"/target/*.manifest.gpg | wc -l)" -eq 1
check "... nor left behind" sh -c "ls -A '$WORK/target' | cmp -s - '$WORK/before'"
check "--full starts a chain under the new key" \
    env TRESOR_NOW=$(at 3) "$TRESOR" backup --quiet --full --to "$T" --key-file "$WORK/k2.pub.asc" "$V"
printf 'three\n' >"$V/c.txt"
check "... and incrementals follow it" \
    env TRESOR_NOW=$(at 4) "$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k2.pub.asc" "$V"
check "... restorable with the new secret key alone" \
    sh -c "'$TRESOR' restore --quiet --from '$T' --to '$WORK/out' --key-file '$WORK/k2.sec.asc' && '$TREEDIFF' '$V' '$WORK/out/vault'"

# A key file holding two public keys: the set is encrypted to both, the
# end line names both in sorted order, and either secret key alone
# restores it.
cat "$WORK/k.pub.asc" "$WORK/k2.pub.asc" >"$WORK/both.pub.asc"
mkdir -p "$WORK/target-two"
TRESOR_NOW=$(at 1) "$TRESOR" backup --quiet --to "file://$WORK/target-two" \
    --key-file "$WORK/both.pub.asc" "$V" || bail "backup to two keys"
both=$(printf '%s\n%s\n' "$K1" "$K2" | LC_ALL=C sort | paste -s -d, -)
man=$(ls "$WORK"/target-two/tresor.*.manifest.gpg)
GNUPGHOME="$WORK/gnupg-k2" gpg --batch --quiet --decrypt "$man" 2>/dev/null | zstd -dc >"$WORK/manifest-two.txt"
check "a key file with two keys: the end line names both, sorted" \
    grep -q "^end entries=.* keys=$both\$" "$WORK/manifest-two.txt"
for k in k k2; do
	check "... and the secret key $k alone restores it" \
	    sh -c "'$TRESOR' restore --quiet --from 'file://$WORK/target-two' --to '$WORK/out-$k' --key-file '$WORK/$k.sec.asc' && '$TREEDIFF' '$V' '$WORK/out-$k/vault'"
done

printf 'pass\n' >"$WORK/pw"
TRESOR_NOW=$(at 1) "$TRESOR" backup --quiet --to "file://$WORK/target-sym" --passphrase-file "$WORK/pw" "$V" || bail "symmetric backup"
expect_fail "$WORK/err" env TRESOR_NOW=$(at 2) "$TRESOR" backup --to "file://$WORK/target-sym" --key-file "$WORK/k.pub.asc" "$V"
check "a public-key incremental on a passphrase chain is refused" \
    grep -q 'encrypted to a passphrase, this run to key' "$WORK/err"

done_testing
