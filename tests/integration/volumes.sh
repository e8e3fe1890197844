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
sizes=$(stat -c %s "$WORK"/target/*.vol*.gpg | tr '\n' ' ')
diag "5 MiB at --volsize 1: $n volumes of $sizes bytes"
# How volumes are cut (repo/volume.c, backup/backup.c): after each DATA
# record (at most 1 MiB of a file), the volume is closed once its estimated
# stored size reaches --volsize. The estimate is zstd's output plus what
# waits in the async queue, so it lags the bytes written by what zstd holds
# (under one 128 KiB block, plus one output buffer of ~128 KiB when the check
# races the compressing thread), far less than a record. Random data does not
# compress: after one 1 MiB record a volume has reached 1 MiB or is short by
# that lag, and after two it has passed it whatever the lag. So every volume
# but the last holds one or two DATA records (which one depends on timing),
# and the count is between 3 (2+2+1) and 6 (1 MiB each and a last one for the
# small file).
check "5 MiB of random data at --volsize 1 makes 3 to 6 volumes" test "$n" -ge 3 -a "$n" -le 6
MIB=1048576
RECORD=$((5 + MIB))	# one DATA record: 5-byte header, 1 MiB payload
# Framing: the preamble (10), the volume-info, entry, continue and
# volume-end records (a few hundred bytes), zstd's frame (header, 3 bytes
# per 128 KiB block, checksum: under 100 bytes here) and the OpenPGP packets
# (key packet, headers, integrity tag: under 1 KiB for the test key).
FRAMING=4096
last=$(ls "$WORK"/target/*.vol*.gpg | tail -n 1)
over=0 under=0
for v in "$WORK"/target/*.vol*.gpg; do
	s=$(stat -c %s "$v")
	[ "$s" -le $((MIB + RECORD + FRAMING)) ] || over=1
	[ "$v" = "$last" ] || [ "$s" -ge $MIB ] || under=1
done
check "no volume overshoots --volsize by more than one record and its framing" test $over -eq 0
check "no volume but the last is cut before --volsize" test $under -eq 0

GNUPGHOME="$WORK/gnupg-k"; export GNUPGHOME
all_magic=1
for v in "$WORK"/target/*.vol*.gpg; do
	gpg --batch --quiet --decrypt "$v" 2>/dev/null | zstd -dq | head -c 10 | od -An -tx1 \
	    | grep -q '89 54 52 56 0d 0a 1a 0a 01 00' || all_magic=0
done
unset GNUPGHOME
check "every volume decrypts alone and starts with the magic and version 1" test $all_magic -eq 1

stored=$(cat "$WORK"/target/*.vol*.gpg | wc -c)
srcbytes=$(cat "$WORK"/src/vault/* | wc -c)
check "verify --read-data of the multi-volume set exits 0" \
    sh -c "'$TRESOR' verify --read-data --from '$T' --key-file '$WORK/k.sec.asc' >'$WORK/verify.out'"
diag "$(cat "$WORK/verify.out")"
check "... having checked all $n volumes ($stored bytes) and every file's hash" sh -c \
    "grep -q 'manifest ok, $n volumes ok ($stored bytes)' '$WORK/verify.out' && grep -q ': 3 entries, $srcbytes bytes, all hashes match' '$WORK/verify.out'"

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
# As an interrupted run leaves a set: no manifest, so no seal either, and
# the cache never saw its seal.
rm "$WORK"/target/tresor.20260103T030405Z.full.manifest.gpg \
    "$WORK"/target/tresor.20260103T030405Z.full.seal.asc "$WORK"/cache/*/head
check "a set without its manifest is listed as incomplete" \
    sh -c "'$TRESOR' status --from '$T' | grep -q '^1 complete sets, 1 incomplete'"
check "restore picks the newest complete set" \
    sh -c "'$TRESOR' restore --from '$T' --to '$WORK/out' --key-file '$WORK/k.sec.asc' | grep -q 20260102T030405Z"

done_testing
