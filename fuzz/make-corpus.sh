#!/bin/sh
# make-corpus.sh: regenerate the seed corpus of the fuzz targets from real
# output of tresor: a full and an incremental backup (with deltas) of a
# small tree holding every kind of entry, their volumes, manifests and
# signatures decrypted, deltas written by rdiff, and the configurations
# and listings the other parsers read. Run from the top of a built tree:
#
#   sh fuzz/make-corpus.sh [TRESOR]
#
# It adds files to fuzz/corpus/<target>/ named by content (sha1), so a
# second run adds nothing new; regression seeds (named regress-*) are
# written by hand and kept.
set -eu
top=$(pwd)
TRESOR=${1:-$top/tresor}
C=$top/fuzz/corpus
[ -x "$TRESOR" ] || { echo "make-corpus.sh: no tresor at $TRESOR (build it first)" >&2; exit 1; }
for t in gpg zstd rdiff python3; do
	command -v $t >/dev/null 2>&1 || { echo "make-corpus.sh: $t is missing" >&2; exit 1; }
done
W=$(mktemp -d "${TMPDIR:-/tmp}/tresor-corpus.XXXXXX")
[ -n "${KEEP:-}" ] || trap 'gpgconf --homedir "$W/gnupg" --kill all >/dev/null 2>&1; rm -rf "$W"' EXIT
export GNUPGHOME="$W/gnupg"
mkdir -m 700 "$GNUPGHOME"

# seed TARGET FILE: add FILE to the target's corpus under its hash.
seed() {
	mkdir -p "$C/$1"
	cp "$2" "$C/$1/$(sha1sum <"$2" | cut -c1-16)"
}
# prefixed TARGET PREFIX-HEX FILE: the same, with bytes in front.
prefixed() {
	printf "$2" >"$W/p"
	cat "$3" >>"$W/p"
	seed "$1" "$W/p"
}

gpg --batch --quiet --passphrase '' --quick-gen-key "tresor corpus <c@tresor.invalid>" \
    future-default default never >/dev/null 2>&1
gpg --batch --armor --export >"$W/k.pub.asc"
gpg --batch --armor --export-secret-keys >"$W/k.sec.asc"
# The seals' signing key, made after the exports above: it signs only.
gpg --batch --quiet --passphrase '' --quick-gen-key "tresor corpus seals <s@tresor.invalid>" \
    ed25519 sign never >/dev/null 2>&1
gpg --batch --armor --export-secret-keys '=tresor corpus seals <s@tresor.invalid>' >"$W/sign.asc"

# A tree with every kind of entry: files (empty, small, a hole), a
# directory, a symlink, a hard link and a fifo.
S=$W/src/data
mkdir -p "$S/dir/sub"
: >"$S/empty"
printf 'hello\n' >"$S/dir/a"
head -c 12000 /dev/urandom >"$S/dir/big"
truncate -s 1M "$S/sparse"
printf 'tail' >>"$S/sparse"
ln -s dir/a "$S/link"
ln "$S/dir/a" "$S/dir/hard"
mkfifo "$S/fifo"
T=$W/target
mkdir "$T"
export TRESOR_CACHE_DIR=$W/cache
TRESOR_NOW=2024-01-01T00:00:00Z "$TRESOR" backup --quiet --delta-min-size 8K \
    --to "file://$T" --key-file "$W/k.pub.asc" --sign-key "$W/sign.asc" "$S" >/dev/null
head -c 3000 /dev/urandom | dd of="$S/dir/big" bs=1000 seek=5 conv=notrunc 2>/dev/null
echo more >>"$S/dir/a"
TRESOR_NOW=2024-01-02T00:00:00Z "$TRESOR" backup --quiet --delta-min-size 8K \
    --to "file://$T" --key-file "$W/k.pub.asc" --sign-key "$W/sign.asc" "$S" >/dev/null
# The seals' signed texts (gpg --decrypt gives a cleartext signature's
# text) and the head line the cache keeps.
for f in "$T"/*.seal.asc; do
	gpg --batch --quiet --decrypt "$f" >"$W/plain" 2>/dev/null
	prefixed seal '\000' "$W/plain"
done
for f in "$W"/cache/*/head; do
	prefixed seal '\001' "$f"
done
for f in "$T"/*.gpg; do
	gpg --batch --quiet --decrypt "$f" 2>/dev/null | zstd -dq >"$W/plain"
	case $f in
	*.manifest.gpg)	prefixed manifest '\000' "$W/plain"
			prefixed manifest '\003' "$W/plain" ;;
	*.sigs.gpg)	prefixed sigs '\000\000' "$W/plain" ;;
	*)		prefixed record '\000' "$W/plain"
			prefixed record '\007' "$W/plain" ;;
	esac
done
# The signatures reader at a real offset: each manifest's first sigoff=.
for m in "$T"/*.manifest.gpg; do
	set_id=$(basename "$m" .manifest.gpg)
	s="$T/$set_id.sigs.gpg"
	[ -f "$s" ] || continue
	off=$(gpg --batch --quiet --decrypt "$m" 2>/dev/null | zstd -dq |
	    sed -n 's/.* sigoff=\([0-9]*\).*/\1/p' | head -1)
	[ -n "$off" ] || continue
	gpg --batch --quiet --decrypt "$s" 2>/dev/null | zstd -dq >"$W/plain"
	printf "\\$(printf %03o $((off & 255)))\\$(printf %03o $((off >> 8 & 255)))" >"$W/p"
	cat "$W/plain" >>"$W/p"
	seed sigs "$W/p"
done

# Deltas, as rdiff writes them (the patch target's input: basis length,
# basis, delta). A short basis keeps the seeds small.
head -c 3000 /dev/urandom >"$W/basis"
{ head -c 1000 "$W/basis"; echo inserted; tail -c 1500 "$W/basis"; } >"$W/new"
rdiff -H blake2 -R rollsum -b 256 signature "$W/basis" "$W/sig"
rdiff delta "$W/sig" "$W/new" "$W/delta"
python3 - "$W/basis" "$W/delta" "$W/p" <<'PY'
import sys
b = open(sys.argv[1], 'rb').read(); d = open(sys.argv[2], 'rb').read()
open(sys.argv[3], 'wb').write(len(b).to_bytes(2, 'little') + b + d)
PY
seed patch "$W/p"
: >"$W/nothing"
rdiff -f delta "$W/sig" "$W/nothing" "$W/delta"
printf '\000\000' >"$W/p"
cat "$W/delta" >>"$W/p"
seed patch "$W/p"

# URLs, time specs, listings and env.yml: the forms the docs give.
for u in file:///srv/backup file://relative/dir \
    sftp://backup@host//srv/backup sftp://u:p%40ss@host:2222/dir \
    scp://u@[::1]:22/x ftp://user:secret@ftp.example.org/backups \
    ftps://u@h/ webdav://u:pw@dav.example.org/remote.php/dav/files/u/ \
    webdavs://h:8443/d smb://DOMAIN%3Bu:pw@server/share/dir 's3://a@b@c/x'; do
	printf '%s' "$u" >"$W/p"
	seed url "$W/p"
done
for t in now 1h30m 2M 4W3D 2024-01-01T12:30:00Z 2024-01-01T12:30:00+02:00 \
    2024-01-01 2024/01/01 01/31/2024 1700000000 10Y; do
	printf '\000\000\000\145%s' "$t" >"$W/p"
	seed timespec "$W/p"
done
# pgpdec: real objects whole (mode 0; the target's key fails their quick
# check), and literal data packets the target encrypts itself (mode 1;
# 2: with a good MDC, 4: in 512-octet chunks): new and old format,
# partial lengths, empty, a compressed packet, a bad MDC.
for f in "$T"/*.manifest.gpg "$T"/*.sigs.gpg; do
	[ "$(wc -c <"$f")" -lt 20000 ] && prefixed pgpdec '\000' "$f"
done
pgpseed() {
	printf "$1" >"$W/p"
	seed pgpdec "$W/p"
}
pgpseed '\003\313\021b\000\000\000\000\000hello world'
pgpseed '\007\313\021b\000\000\000\000\000hello world'
pgpseed '\003\254\021b\000\000\000\000\000hello world'
pgpseed '\003\313\006b\000\000\000\000\000'
pgpseed '\003\313\012b\004name\000\000\000\000'
pgpseed '\003\310\002\000\000'
pgpseed '\001\313\021b\000\000\000\000\000hello world\323\024bad mdc bad mdc bad!'
{ printf '\003\313\351b\000\000\000\000\000'; head -c 506 /dev/zero
  printf '\005tail!'; } >"$W/p"
seed pgpdec "$W/p"
for f in "$top"/fuzz/seeds/config/*.yml; do
	[ -f "$f" ] && seed config "$f"
done
for f in "$top"/fuzz/seeds/propfind/*.xml; do
	[ -f "$f" ] && for mode in '\000' '\001' '\002' '\012'; do
		prefixed propfind "$mode" "$f"
	done
done
for f in "$top"/fuzz/seeds/ftplist/*.txt; do
	[ -f "$f" ] && seed ftplist "$f"
done
echo "make-corpus.sh: $(find "$C" -type f | wc -l) seeds in fuzz/corpus/"
