#!/bin/sh
# by-hand.sh: docs/FORMAT.md is enough to recover files without tresor.
# Plain gpg and zstd peel the layers off every object, tresor-extract.py
# (a reader written from the document alone) walks the records, following
# continuations across volumes, and the results are byte-identical; a
# damaged volume plaintext is detected, not restored.
. "$TOP_SRCDIR/tests/integration/lib.sh"

PYTHON=${PYTHON:-python3}
EXTRACT="$TOP_SRCDIR/tests/integration/tresor-extract.py"
for tool in "$PYTHON" zstd sha256sum; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		# scripts/setup.sh installs it: missing is a failure, not a skip.
		bail "$tool not found (sh scripts/setup.sh check installs it)"
	fi
done

# flip_byte FILE OFFSET: invert every bit of one byte in place.
flip_byte() {
	b=$(( $(od -A n -t u1 -j "$2" -N 1 "$1") ^ 255 ))
	printf "$(printf '\\%03o' "$b")" |
	    dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
}

# volumes_match_manifest MANIFEST TARGETDIR: every "volume" line's size and
# sha256 match the stored object (checkable without any key).
volumes_match_manifest() {
	n=0
	while read -r word num name size sha; do
		[ "$word" = volume ] || continue
		name=${name#name=}
		size=${size#size=}
		sha=${sha#sha256=}
		[ "$(stat -c %s "$2/$name")" = "$size" ] || return 1
		[ "$(sha256sum <"$2/$name" | cut -d ' ' -f 1)" = "$sha" ] || return 1
		n=$((n + 1))
	done <"$1"
	[ "$n" -gt 0 ]
}

# entry_field MANIFEST PATH_AS_ENCODED KEY: a field of an entry line.
entry_field() {
	grep "^. path=$2 " "$1" | tr ' ' '\n' | sed -n "s/^$3=//p"
}

make_key k
mkdir -p "$WORK/src/sub" "$WORK/target" "$WORK/plain"
head -c 3145728 /dev/urandom >"$WORK/src/big.bin"
printf 'hello\n' >"$WORK/src/hello.txt"
printf 'a name with a newline\n' >"$WORK/src/sub/new
line"
truncate -s 3M "$WORK/src/sparse.img"
printf 'middle' | dd of="$WORK/src/sparse.img" bs=1 seek=1500000 conv=notrunc 2>/dev/null
NL_PATH="src/sub/new
line"

"$TRESOR" backup --quiet --to "file://$WORK/target" --key-file "$WORK/k.pub.asc" \
    --volsize 1 "$WORK/src" || bail "backup failed"

# Only plain gpg with the exported secret key, in a fresh home.
export GNUPGHOME="$WORK/gnupg-plain"
mkdir -p "$GNUPGHOME" && chmod 700 "$GNUPGHOME"
gpg --batch --quiet --import "$WORK/k.sec.asc" 2>"$WORK/gpg.err" ||
    bail "gpg --import: $(cat "$WORK/gpg.err")"

peel_all() {
	for obj in "$WORK"/target/tresor.*.gpg; do
		name=$(basename "$obj" .gpg)
		gpg --batch --quiet --decrypt --output "$WORK/plain/$name.zst" \
		    "$obj" 2>>"$WORK/gpg.err" || return 1
		zstd -q -d --rm "$WORK/plain/$name.zst" -o "$WORK/plain/$name" ||
		    return 1
	done
}
check "gpg --decrypt and zstd -d peel every object" peel_all
M=$(ls "$WORK"/plain/tresor.*.full.manifest 2>/dev/null)
[ -f "$M" ] || bail "no manifest plaintext"

check "the manifest starts with 'tresor-manifest 1'" \
    test "$(head -n 1 "$M")" = "tresor-manifest 1"
check "every volume's stored size and SHA-256 match the manifest (no key)" \
    volumes_match_manifest "$M" "$WORK/target"
check "the newline in a name is percent-encoded in the manifest" \
    grep -q '^f path=src/sub/new%0Aline ' "$M"
check "big.bin spans volumes (vol < last)" \
    test "$(entry_field "$M" src/big.bin vol)" -lt "$(entry_field "$M" src/big.bin last)"

check "tresor-extract.py recovers big.bin across volumes" \
    "$PYTHON" "$EXTRACT" "$M" "$WORK/plain" src/big.bin "$WORK/out-big"
check "... identical to the original" cmp "$WORK/src/big.bin" "$WORK/out-big"
check "tresor-extract.py recovers the file with a newline in its name" \
    "$PYTHON" "$EXTRACT" "$M" "$WORK/plain" "$NL_PATH" "$WORK/out-nl"
check "... identical to the original" cmp "$WORK/src/sub/new
line" "$WORK/out-nl"
check "tresor-extract.py recovers the sparse file" \
    "$PYTHON" "$EXTRACT" "$M" "$WORK/plain" src/sparse.img "$WORK/out-sparse"
check "... identical to the original" cmp "$WORK/src/sparse.img" "$WORK/out-sparse"

# Damage: one flipped byte inside big.bin's data in its second volume.
vol=$(entry_field "$M" src/big.bin vol)
V2=$(printf '%s/plain/tresor.%s.vol%06d' "$WORK" "$(sed -n 's/^set //p' "$M")" $((vol + 1)))
[ -f "$V2" ] || bail "no second volume plaintext"
flip_byte "$V2" 500000
check "a flipped byte in a volume plaintext makes tresor-extract.py fail" \
    expect_fail "$WORK/err" "$PYTHON" "$EXTRACT" "$M" "$WORK/plain" src/big.bin "$WORK/out-bad"
check "... reporting a SHA-256 mismatch" grep -q 'sha256 [0-9a-f]* read' "$WORK/err"
check "... and the damaged file is not published" test ! -e "$WORK/out-bad"
check "... nor left half-written" test ! -e "$WORK/out-bad.part"
flip_byte "$V2" 500000

# An unsupported format version is refused, naming the version.
V1=$(printf '%s/plain/tresor.%s.vol%06d' "$WORK" "$(sed -n 's/^set //p' "$M")" "$vol")
printf '\002' | dd of="$V1" bs=1 seek=8 count=1 conv=notrunc 2>/dev/null
check "a volume of format version 2 is refused" \
    expect_fail "$WORK/err" "$PYTHON" "$EXTRACT" "$M" "$WORK/plain" src/big.bin "$WORK/out-v2"
check "... naming the version found and the one supported" \
    grep -q 'format version 2; this reader reads version 1' "$WORK/err"

done_testing
