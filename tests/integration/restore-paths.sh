#!/bin/sh
# restore-paths.sh: a set with hostile paths writes nothing outside --to
# (docs/SECURITY.md). A real set is turned into malicious ones by hand
# (craft-set.py: gpg and zstd, the manifest's paths and the volumes' records
# rewritten, sizes and hashes fixed): a ".." path, an absolute path, a file
# under a symlink entry (absolute and relative link), hard links to outside
# the tree and through a symlink. Each restore fails with one line naming
# the path, and a canary directory beside --to is unchanged.
. "$TOP_SRCDIR/tests/integration/lib.sh"

PYTHON=${PYTHON:-python3}
for tool in "$PYTHON" zstd gpg; do
	command -v "$tool" >/dev/null 2>&1 ||
	    bail "$tool not found (sh scripts/setup.sh check installs it)"
done

make_key k
BOX="$WORK/box"
mkdir -p "$WORK/src/lnk" "$WORK/src/lnk2" "$BOX/canary" "$WORK/t0"
printf 'canary\n' >"$BOX/canary/secret"
# Names as long as the hostile paths that replace them (no offset moves).
ABS="$BOX/canary/abs"
ABS_NAME=src/$(printf '%*s' $((${#ABS} - 4)) '' | tr ' ' a)
printf 'dotdot\n' >"$WORK/src/dotdot-xx"
printf 'absolute\n' >"$WORK/$ABS_NAME"
printf 'under a link\n' >"$WORK/src/lnk/f"
printf 'under a link\n' >"$WORK/src/lnk2/f"
printf 'first name\n' >"$WORK/src/hl-a"
ln "$WORK/src/hl-a" "$WORK/src/hl-b"
"$TRESOR" backup --quiet --to "file://$WORK/t0" --key-file "$WORK/k.pub.asc" \
    "$WORK/src" || bail "backup"

# snapshot: everything in the box but the restore directories, with link
# counts, modes and content.
snapshot() {
	(cd "$BOX" && find . -path './to-*' -prune -o -print | sort &&
	    find canary -exec stat -c '%n %h %a %s %Y' {} + | sort &&
	    find canary -type f -exec sha256sum {} + | sort)
}
snapshot >"$WORK/before"
unchanged() {
	snapshot | cmp -s - "$WORK/before"
}
# refused N PATH: restoring tN fails, in one line naming PATH.
refused() {
	! "$TRESOR" restore --quiet --allow-unsigned --from "file://$WORK/t$1" \
	    --key-file "$WORK/k.sec.asc" --to "$BOX/to-$1" >/dev/null 2>"$WORK/err$1" &&
	    unsigned_warning_and "$WORK/err$1" && grep -qF "$2" "$WORK/err$1"
}
# unsigned_warning_and FILE: --allow-unsigned's warning, then one line.
unsigned_warning_and() {
	grep -q '^tresor: warning: .*no seal: read without authentication (--allow-unsigned)' "$1" &&
	    grep -v 'allow-unsigned' "$1" >"$1.rest" && one_line_error "$1.rest"
}
# then restore --force into the same place (a pre-existing tree).
refused_force() {
	! "$TRESOR" restore --quiet --force --allow-unsigned --from "file://$WORK/t$1" \
	    --key-file "$WORK/k.sec.asc" --to "$BOX/to-$1" >/dev/null 2>"$WORK/err$1" &&
	    unsigned_warning_and "$WORK/err$1" && grep -qF "$2" "$WORK/err$1"
}

check "the untouched set restores" "$TRESOR" restore --quiet \
    --from "file://$WORK/t0" --key-file "$WORK/k.sec.asc" --to "$BOX/to-0"
check "... identical" "$TREEDIFF" "$WORK/src" "$BOX/to-0/src"

craft 1 --rename src/dotdot-xx ../canary/new
check "a '..' path is refused, naming it" refused 1 "'../canary/new'"
check "... nothing outside --to" unchanged

# Crafted with the public key alone: without --allow-unsigned it is not
# even read (the seals' check, before any path).
rm -rf "$BOX/to-1u"
"$TRESOR" restore --quiet --from "file://$WORK/t1" --key-file "$WORK/k.sec.asc" \
    --to "$BOX/to-1u" >/dev/null 2>"$WORK/err1u"
rc=$?
check "a crafted set is refused as unsigned first, in one line" sh -c "
    [ $rc -ne 0 ] && [ \$(wc -l <'$WORK/err1u') -eq 1 ] &&
    grep -q 'has no seal: it is unsigned' '$WORK/err1u' && [ ! -e '$BOX/to-1u' ]"
craft 2 --rename "$ABS_NAME" "$ABS"
check "an absolute path is refused, naming it" refused 2 "'$ABS'"
check "... nothing outside --to" unchanged

# src/lnk becomes a symlink to the canary directory; src/lnk/f stays a
# file under it (its records are untouched).
craft 3 --line '^d (path=src/lnk mode=\S+ uid=\S+ gid=\S+ mtime=\S+)' \
    "l \\1 target=$BOX/canary"
check "a file under a symlink entry (absolute) is refused, naming it" \
    refused 3 "src/lnk/f' through a symlink"
check "... nothing outside --to" unchanged
check "... also with --force over the half-made tree" \
    refused_force 3 "src/lnk/f' through a symlink"
check "... nothing outside --to" unchanged

craft 4 --line '^d (path=src/lnk2 mode=\S+ uid=\S+ gid=\S+ mtime=\S+)' \
    'l \1 target=../../canary'
check "a file under a symlink entry (relative) is refused, naming it" \
    refused 4 "src/lnk2/f' through a symlink"
check "... nothing outside --to" unchanged

craft 5 --line '^(h path=src/hl-b .*)target=src/hl-a' '\1target=../canary/secret'
check "a hard link to a '..' path is refused, naming it" \
    refused 5 "'src/hl-b'"
check "... nothing outside --to (no new link to the canary)" unchanged

craft 6 --line '^(h path=src/hl-b .*)target=src/hl-a' "\\1target=$BOX/canary/secret"
check "a hard link to an absolute path is refused, naming it" \
    refused 6 "'src/hl-b'"
check "... nothing outside --to" unchanged

# A hard link through a symlink entry: src/lnk points at the canary, the
# file under it moves beside it, the link names src/lnk/secret.
craft 7 --rename src/lnk/f src/lnk-f \
    --line '^d (path=src/lnk mode=\S+ uid=\S+ gid=\S+ mtime=\S+)' \
    "l \\1 target=$BOX/canary" \
    --line '^(h path=src/hl-b .*)target=src/hl-a' '\1target=src/lnk/secret'
check "a hard link through a symlink entry is refused, naming it" \
    refused 7 "src/lnk/secret' through a symlink"
check "... nothing outside --to" unchanged

done_testing
