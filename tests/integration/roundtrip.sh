#!/bin/sh
# roundtrip.sh: a full backup and restore is byte- and metadata-identical,
# in every key mode, and restore refuses to overwrite without --force.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
mkdir -p "$WORK/src" "$WORK/target" "$WORK/target-pw" "$WORK/target-fpr"
make_tree "$WORK/src/vault"
mkdir -p "$WORK/src/pgdump"
head -c 100000 /dev/urandom >"$WORK/src/pgdump/ecs.pgdump"
T="file://$WORK/target"

check "backup with --key-file exits 0" \
    "$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k.pub.asc" \
    "$WORK/src/vault" "$WORK/src/pgdump/"
check "status lists one complete full set" \
    sh -c "'$TRESOR' status --from '$T' | grep -q '^1 complete sets, 0 incomplete'"
check "status --json lists it too" \
    sh -c "'$TRESOR' status --from '$T' --json | grep -q '\"complete\":true'"

check "restore exits 0" \
    "$TRESOR" restore --quiet --from "$T" --to "$WORK/out" --key-file "$WORK/k.sec.asc"
check "sources are stored under their basenames" \
    test -d "$WORK/out/vault" -a -f "$WORK/out/pgdump/ecs.pgdump"
check "restored vault is identical (content, modes, owners, mtimes, links)" \
    "$TREEDIFF" "$WORK/src/vault" "$WORK/out/vault"
check "restored pgdump is identical" \
    "$TREEDIFF" "$WORK/src/pgdump" "$WORK/out/pgdump"
check "the tree was not trivial" \
    sh -c "'$TREEDIFF' --stats '$WORK/out/vault' | grep -q 'hardlinks=2'"
check "no temporary files are left in the restore" \
    sh -c "! find '$WORK/out' -name '.tresor-part*' | grep -q ."

expect_fail "$WORK/err" "$TRESOR" restore --quiet --from "$T" --to "$WORK/out" \
    --key-file "$WORK/k.sec.asc"
check "restoring over existing files is refused" one_line_error "$WORK/err"
check "... naming what and how to override" grep -q 'refusing to overwrite.*--force' "$WORK/err"
echo changed >"$WORK/out/vault/docs/hello.txt"
check "restore --force overwrites" \
    "$TRESOR" restore --quiet --force --from "$T" --to "$WORK/out" --key-file "$WORK/k.sec.asc"
check "... and the tree is identical again" "$TREEDIFF" "$WORK/src/vault" "$WORK/out/vault"

nvol=$(ls "$WORK/target" | grep -c '\.vol[0-9]*\.gpg$')
check "verify exits 0" \
    sh -c "'$TRESOR' verify --from '$T' --key-file '$WORK/k.sec.asc' >'$WORK/verify.out'"
check "... and says the manifest and all $nvol volumes are ok" \
    grep -q "^verify: set .*\.full: manifest ok, $nvol volumes ok" "$WORK/verify.out"
check "verify --read-data exits 0" \
    sh -c "'$TRESOR' verify --read-data --from '$T' --key-file '$WORK/k.sec.asc' >'$WORK/verify.out'"
check "... and says every file's hash matches" \
    grep -q "^verify: set .*: [0-9]* entries, [0-9]* bytes, all hashes match" "$WORK/verify.out"

# Symmetric mode.
printf 'correct horse battery staple\n' >"$WORK/pass"
check "backup with --passphrase-file exits 0" \
    "$TRESOR" backup --quiet --to "file://$WORK/target-pw" --passphrase-file "$WORK/pass" \
    "$WORK/src/vault"
check "restore with the passphrase exits 0" \
    "$TRESOR" restore --quiet --from "file://$WORK/target-pw" --to "$WORK/out-pw" \
    --passphrase-file "$WORK/pass"
check "passphrase round trip is identical" "$TREEDIFF" "$WORK/src/vault" "$WORK/out-pw/vault"

# A key from the keyring, by fingerprint.
fpr=$(GNUPGHOME="$WORK/gnupg-k" gpg --batch --with-colons --list-keys | awk -F: '/^fpr/ {print $10; exit}')
check "backup with --encrypt-key FPR from the keyring exits 0" \
    env GNUPGHOME="$WORK/gnupg-k" "$TRESOR" backup --quiet --to "file://$WORK/target-fpr" \
    --encrypt-key "$fpr" "$WORK/src/vault"
check "restore with the keyring's secret key exits 0" \
    env GNUPGHOME="$WORK/gnupg-k" "$TRESOR" restore --quiet --from "file://$WORK/target-fpr" \
    --to "$WORK/out-fpr"
check "keyring round trip is identical" "$TREEDIFF" "$WORK/src/vault" "$WORK/out-fpr/vault"

# The stored volume decrypts with plain gpg and zstd (interoperability).
vol=$(ls "$WORK/target"/tresor.*.vol000001.gpg)
check "a volume decrypts with gpg and decompresses with zstd -d" \
    sh -c "GNUPGHOME='$WORK/gnupg-k' gpg --batch --quiet --decrypt '$vol' 2>/dev/null | zstd -dq | head -c 4 | od -An -tx1 | grep -q '89 54 52 56'"
check "volumes verify with sha256sum alone (manifest lists their hashes)" \
    sh -c "GNUPGHOME='$WORK/gnupg-k' gpg --batch --quiet --decrypt '$WORK'/target/tresor.*.manifest.gpg 2>/dev/null | zstd -dq | grep -q \"sha256=\$(sha256sum '$vol' | cut -c1-64)\""

for verb in backup restore status verify; do
	check "tresor $verb --help prints its usage and exits 0" \
	    sh -c "'$TRESOR' $verb --help | grep -q '^usage: tresor $verb'"
done
check "tresor --help lists the verbs" sh -c "'$TRESOR' --help | grep -q 'restore'"
check "tresor with no verb is a usage error (exit 2)" sh -c "'$TRESOR' 2>/dev/null; [ \$? -eq 2 ]"

done_testing
