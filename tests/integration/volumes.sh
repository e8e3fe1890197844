#!/bin/sh
# volumes.sh: volumes are cut near --volsize, each is self-contained, set
# ids follow the run's time (TRESOR_NOW), and one set id is never reused.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
mkdir -p "$WORK/src/vault" "$WORK/target"
head -c 5242880 /dev/urandom >"$WORK/src/vault/five.bin"
printf 'tail\n' >"$WORK/src/vault/zz-last.txt"
T="file://$WORK/target"

check "backup at a fixed time with --volsize 1 exits 0" \
    env TRESOR_NOW=2026-01-02T03:04:05Z "$TRESOR" backup --quiet --volsize 1 --to "$T" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/vault"
check "the set is named after TRESOR_NOW" \
    test -f "$WORK/target/tresor.20260102T030405Z.full.manifest.gpg"
n=$(ls "$WORK/target" | grep -c 'vol[0-9]*\.gpg$')
diag "5 MiB at --volsize 1: $n volumes"
check "5 MiB of random data makes 5 or 6 volumes" test "$n" -ge 5 -a "$n" -le 6
ok_sizes=1
for v in "$WORK"/target/*.vol*.gpg; do
	s=$(stat -c %s "$v")
	[ "$s" -le $((1048576 + 1048576 + 262144)) ] || ok_sizes=0
done
check "no volume overshoots its target by more than one record" test $ok_sizes -eq 1

GNUPGHOME="$WORK/gnupg-k"; export GNUPGHOME
all_magic=1
for v in "$WORK"/target/*.vol*.gpg; do
	gpg --batch --quiet --decrypt "$v" 2>/dev/null | zstd -dq | head -c 10 | od -An -tx1 \
	    | grep -q '89 54 52 56 0d 0a 1a 0a 01 00' || all_magic=0
done
unset GNUPGHOME
check "every volume decrypts alone and starts with the magic and version 1" test $all_magic -eq 1

check "verify --read-data of the multi-volume set exits 0" \
    "$TRESOR" verify --quiet --read-data --from "$T" --key-file "$WORK/k.sec.asc"

expect_fail "$WORK/err" env TRESOR_NOW=2026-01-02T03:04:05Z "$TRESOR" backup --to "$T" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/vault"
check "a second backup with the same set id is refused" grep -q 'is not older than this run' "$WORK/err"
expect_fail "$WORK/err" env TRESOR_NOW=2026-01-01T00:00:00Z "$TRESOR" backup --to "$T" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/vault"
check "a backup older than the newest set (clock gone back) is refused" \
    grep -q 'clock must not go backwards' "$WORK/err"

expect_fail "$WORK/err" env TRESOR_NOW=yesterday "$TRESOR" backup --to "$T" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/vault"
check "a malformed TRESOR_NOW is named" grep -q "invalid TRESOR_NOW 'yesterday'" "$WORK/err"

check "a later full backup adds a second set" \
    env TRESOR_NOW=2026-01-03T03:04:05Z "$TRESOR" backup --quiet --full --to "$T" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/vault"
check "status lists two complete sets" \
    sh -c "'$TRESOR' status --from '$T' | grep -q '^2 complete sets'"
rm "$WORK"/target/tresor.20260103T030405Z.full.manifest.gpg
check "a set without its manifest is listed as incomplete" \
    sh -c "'$TRESOR' status --from '$T' | grep -q '^1 complete sets, 1 incomplete'"
check "restore picks the newest complete set" \
    sh -c "'$TRESOR' restore --from '$T' --to '$WORK/out' --key-file '$WORK/k.sec.asc' | grep -q 20260102T030405Z"

done_testing
