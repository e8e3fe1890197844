#!/bin/sh
# demo.sh: tresor's main job on an embedded default. Makes a throwaway key
# and sample data shaped like the appliance's (a document vault and a
# database dump), backs it up encrypted to a local file:// target, shows the
# target, verifies it, restores it and checks the result byte for byte.
set -eu

TRESOR=${TRESOR:-$(cd "$(dirname "$0")/.." && pwd)/tresor}
work=$(mktemp -d "${TMPDIR:-/tmp}/tresor-demo.XXXXXX")
cleanup() {
	gpgconf --homedir "$work/gnupg" --kill all >/dev/null 2>&1 || true
	[ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT
# The demo's local cache lives with the rest of it (the default,
# /var/cache/tresor, is for the appliance's nightly runs as root).
TRESOR_CACHE_DIR="$work/cache"
export TRESOR_CACHE_DIR

say() { printf '\n== %s\n' "$*"; }

say "1. a throwaway OpenPGP key (no passphrase) in $work/gnupg"
mkdir -m 700 "$work/gnupg"
GNUPGHOME="$work/gnupg" gpg --batch --quiet --passphrase '' \
    --quick-gen-key "tresor demo <demo@tresor.invalid>" future-default default never 2>/dev/null
GNUPGHOME="$work/gnupg" gpg --batch --armor --export >"$work/demo.pub.asc"
GNUPGHOME="$work/gnupg" gpg --batch --armor --export-secret-keys >"$work/demo.sec.asc"
echo "public key: $work/demo.pub.asc, secret key: $work/demo.sec.asc"
# The seals' signing key: another key pair, kept on the backup host.
mkdir -m 700 "$work/gnupg-sign"
GNUPGHOME="$work/gnupg-sign" gpg --batch --quiet --passphrase '' \
    --quick-gen-key "tresor demo seals <seals@tresor.invalid>" ed25519 sign never 2>/dev/null
GNUPGHOME="$work/gnupg-sign" gpg --batch --armor --export >"$work/sign.pub.asc"
GNUPGHOME="$work/gnupg-sign" gpg --batch --armor --export-secret-keys >"$work/sign.sec.asc"
gpgconf --homedir "$work/gnupg-sign" --kill all 2>/dev/null
echo "signing key: $work/sign.sec.asc, its public part: $work/sign.pub.asc"

say "2. sample data: a document vault and a database dump"
vault="$work/data/ecs-storage-vault"
for d in 1 2 3 4 5 6 7 8; do
	mkdir -p "$vault/$d$d/$d$d$d$d"
	for f in 1 2 3 4 5; do
		head -c $((d * 20000 + f * 777)) /dev/urandom >"$vault/$d$d/$d$d$d$d/document-$f.pdf"
	done
done
mkdir -p "$work/data/ecs-pgdump"
i=0
while [ $i -lt 2000 ]; do
	echo "INSERT INTO submission VALUES ($i, 'study $i', now());"
	i=$((i + 1))
done >"$work/data/ecs-pgdump/ecs.pgdump"
echo "$(find "$work/data" -type f | wc -l) files, $(du -sh "$work/data" | cut -f1)"

say "3. backup to file://$work/target"
mkdir "$work/target"
"$TRESOR" backup --to "file://$work/target" --key-file "$work/demo.pub.asc" \
    --sign-key "$work/sign.sec.asc" \
    "$vault" "$work/data/ecs-pgdump"

say "4. what the target holds (object names only; no key needed)"
ls -l "$work/target"
"$TRESOR" status --from "file://$work/target"

say "5. verify: every volume's size and SHA-256, then every file's content"
"$TRESOR" verify --read-data --from "file://$work/target" --key-file "$work/demo.sec.asc" \
    --sign-pubkey "$work/sign.pub.asc"

say "6. restore to $work/restored"
"$TRESOR" restore --from "file://$work/target" --to "$work/restored" \
    --sign-pubkey "$work/sign.pub.asc" \
    --key-file "$work/demo.sec.asc"

say "7. byte-for-byte check"
diff -r "$work/data/ecs-storage-vault" "$work/restored/ecs-storage-vault"
diff -r "$work/data/ecs-pgdump" "$work/restored/ecs-pgdump"
n=$(find "$work/restored" -type f | wc -l)
echo "demo: OK, $n files restored byte-for-byte identical"
[ "${KEEP:-0}" = 1 ] && echo "kept $work (KEEP=1)"
exit 0
