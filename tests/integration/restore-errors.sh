#!/bin/sh
# restore-errors.sh: restore, fetch and ls meet sets whose manifest does not
# agree with itself or with its volumes (made by hand with craft-set.py,
# sizes and hashes fixed so that only the inconsistency is left), and
# destinations they must not write to. Each is one line naming the path and
# the set, nothing half-written appears, and the files not affected still
# come back where the run can go on.
. "$TOP_SRCDIR/tests/integration/lib.sh"

PYTHON=${PYTHON:-python3}
for tool in "$PYTHON" zstd gpg; do
	command -v "$tool" >/dev/null 2>&1 ||
	    bail "$tool not found (sh scripts/setup.sh check installs it)"
done

make_key k
mkdir -p "$WORK/src/dir/sub" "$WORK/t0"
printf 'one\n' >"$WORK/src/dir/one"
printf 'two\n' >"$WORK/src/dir/sub/two"
printf 'alpha\n' >"$WORK/src/alpha"
printf 'bravo\n' >"$WORK/src/bravo"
ln "$WORK/src/alpha" "$WORK/src/hardlink"
ln -s alpha "$WORK/src/symlink"
"$TRESOR" backup --quiet --to "file://$WORK/t0" --key-file "$WORK/k.pub.asc" \
    "$WORK/src" || bail "backup"
SET=$(ls "$WORK/t0" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p')
T0=file://$WORK/t0

# The crafted sets (below) are unsigned: read with --allow-unsigned.
restore_unsigned_() {
	"$TRESOR" restore --quiet --allow-unsigned --key-file "$WORK/k.sec.asc" "$@"
}
fetch_() {
	"$TRESOR" fetch --quiet --key-file "$WORK/k.sec.asc" "$@"
}
# fails_with FILE TEXT: FILE is one line holding TEXT.
fails_with() {
	one_line_error "$1" && grep -qF -- "$2" "$1" && return 0
	diag "want: $2"
	diag "got:  $(cat "$1")"
	return 1
}
# unsigned_fails_with FILE TEXT: --allow-unsigned's warning, then one line
# holding TEXT.
unsigned_fails_with() {
	grep -q '^tresor: warning: .*no seal: read without authentication (--allow-unsigned)' "$1" ||
	    { diag "no --allow-unsigned warning in: $(cat "$1")"; return 1; }
	grep -v 'allow-unsigned' "$1" >"$1.rest" && fails_with "$1.rest" "$2"
}

# --- fetch: what it is given must be one regular file ---------------------
expect_fail "$WORK/err" fetch_ --from "$T0" src/dir "$WORK/f1"
check "fetch of a directory: one line saying it is not a regular file" \
    fails_with "$WORK/err" "'src/dir' in set $SET is not a regular file"
check "... and nothing is written" test ! -e "$WORK/f1"
expect_fail "$WORK/err" fetch_ --from "$T0" src/symlink "$WORK/f2"
check "fetch of a symlink: one line saying it is not a regular file" \
    fails_with "$WORK/err" "'src/symlink' in set $SET is not a regular file"
# An existing file is not replaced without --force; with it, it is.
printf 'old\n' >"$WORK/f4"
expect_fail "$WORK/err" fetch_ --from "$T0" src/alpha "$WORK/f4"
check "fetch onto an existing file is refused, naming it and --force" \
    fails_with "$WORK/err" "refusing to overwrite '$WORK/f4'"
check "... and the file is unchanged" grep -qx old "$WORK/f4"
check "fetch --force replaces it" \
    sh -c "'$TRESOR' fetch --quiet --force --key-file '$WORK/k.sec.asc' --from '$T0' src/alpha '$WORK/f4' && cmp -s '$WORK/f4' '$WORK/src/alpha'"
check "... leaving no temporary beside it" \
    sh -c "! ls -A '$WORK' | grep -q 'tresor-tmp'"
# --force does not make a directory into a file: the rename fails, named,
# and the temporary goes.
mkdir -p "$WORK/f5/inside"
expect_fail "$WORK/err" fetch_ --force --from "$T0" src/alpha "$WORK/f5"
check "fetch --force onto a directory: one line naming both names" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] &&
        grep -q \"unable to rename '$WORK/f5.tresor-tmp.[0-9]*' to '$WORK/f5': Is a directory\" '$WORK/err'"
check "... the directory stays, no temporary beside it" \
    sh -c "[ -d '$WORK/f5/inside' ] && ! ls -A '$WORK' | grep -q 'tresor-tmp'"
# A destination without a directory part: the current one.
mkdir -p "$WORK/cwd"
check "fetch to a bare name writes it in the current directory" \
    sh -c "cd '$WORK/cwd' && '$TRESOR' fetch --quiet --key-file '$WORK/k.sec.asc' --from '$T0' src/bravo bravo.out && cmp -s bravo.out '$WORK/src/bravo'"
# A terminal is not a place for a file's bytes (script(1) gives the run
# one, on stdout too).
command -v script >/dev/null 2>&1 || bail "script not found (util-linux)"
script -q -e -c "'$TRESOR' fetch --key-file '$WORK/k.sec.asc' --from '$T0' src/alpha -" \
    /dev/null </dev/null >"$WORK/tty.out" 2>&1
check "fetch to a terminal is refused, naming the file" \
    grep -q "refusing to write 'src/alpha' to a terminal" "$WORK/tty.out"

# --- the manifest disagrees with itself or its volumes --------------------
# A file the manifest lists that no volume holds (renamed in the manifest
# only; the same length, so nothing else moves).
craft 1 --line '^f path=src/bravo ' 'f path=src/bravx '
expect_fail "$WORK/err" restore_unsigned_ --from "file://$WORK/t1" --to "$WORK/r1"
check "a file listed but missing from the volumes: one line naming it" \
    unsigned_fails_with "$WORK/err" "'src/bravx' is listed in the manifest but missing from the volumes"
check "... and it does not appear" test ! -e "$WORK/r1/src/bravx"

# An entry said to reach into a volume the set does not have.
craft 2 --line '^(f path=src/alpha .* vol=1 off=[0-9]+) last=1' '\1 last=7'
expect_fail "$WORK/err" restore_unsigned_ --from "file://$WORK/t2" --to "$WORK/r2"
# The file is named as not restored, and the run's last line says why.
check "an entry needing a volume the set lacks: the file named, then one line naming both" \
    sh -c "grep -q \"not restored: 'src/alpha'\" '$WORK/err' &&
        tail -n 1 '$WORK/err' | grep -qF 'set $SET has 1 volumes, an entry needs volume 7'"

# A hard link whose target is not in the set.
craft 3 --line '^(h path=src/hardlink .*) target=src/alpha ' '\1 target=src/alphz '
expect_fail "$WORK/err" restore_unsigned_ --from "file://$WORK/t3" --to "$WORK/r3"
check "a hard link to a path not in the set: one line naming it" \
    unsigned_fails_with "$WORK/err" "its first name 'src/alphz' was not restored (it is not in the set)"

# The same path listed twice.
n=$(GNUPGHOME=$WORK/gnupg-k gpg --batch --quiet --decrypt \
    "$WORK/t0/tresor.$SET.manifest.gpg" | zstd -q -d -c |
    grep -c '^[a-z] path=')
craft 4 --line '^(d path=src/dir/sub .*)$' '\1\n\1' \
    --line "^end entries=$n " "end entries=$((n + 1)) "
expect_fail "$WORK/err" restore_unsigned_ --from "file://$WORK/t4" --to "$WORK/r4"
check "a path listed twice: refused in one line naming it" \
    unsigned_fails_with "$WORK/err" "path 'src/dir/sub' is listed twice"

# A file whose manifest entry is smaller than what its volume holds
# ("alpha\n" is 6 bytes, the entry says 2): refused when its data goes past
# the entry's size, before anything is written under its name.
craft 5 --line '^(f path=src/alpha .*) size=6 ' '\1 size=2 '
expect_fail "$WORK/err" restore_unsigned_ --from "file://$WORK/t5" --to "$WORK/r5"
check "a file holding more data than its entry says: one line naming it" \
    sh -c "grep -qF \"'src/alpha' holds more data than its manifest entry\" '$WORK/err'"
check "... and it does not appear" test ! -e "$WORK/r5/src/alpha"

# A file whose manifest hash is not its data's (64 zeros): the data is
# read to its end record, then refused by hash.
craft 6 --line '^(f path=src/bravo .* sha256=)[0-9a-f]{64}' \
    '\g<1>0000000000000000000000000000000000000000000000000000000000000000'
expect_fail "$WORK/err" restore_unsigned_ --from "file://$WORK/t6" --to "$WORK/r6"
check "a file whose data does not match its manifest hash: one line naming it" \
    sh -c "grep -qF \"'src/bravo' does not match its manifest hash\" '$WORK/err'"
check "... and it does not appear" test ! -e "$WORK/r6/src/bravo"

# Restoring only the hard link of set t3 (its target renamed away): the
# selection needs the target first, and says it is not in the set.
expect_fail "$WORK/err" restore_unsigned_ --from "file://$WORK/t3" \
    --to "$WORK/r7" src/hardlink
check "restoring a hard link whose target is not in the set: one line naming it" \
    unsigned_fails_with "$WORK/err" "hard link target of 'src/hardlink' is not in the set"
check "... and nothing is restored" test ! -e "$WORK/r7/src/hardlink"

# --- restore onto what is there ------------------------------------------
# A file in the way is not replaced without --force; a directory where a
# file goes is not replaced even with it. One line naming the path.
mkdir -p "$WORK/r8/src"
printf 'old\n' >"$WORK/r8/src/alpha"
expect_fail "$WORK/err" "$TRESOR" restore --quiet --from "$T0" \
    --to "$WORK/r8" --key-file "$WORK/k.sec.asc" src/alpha
check "restore onto an existing file: one line naming it and --force" \
    fails_with "$WORK/err" "refusing to overwrite '$WORK/r8/src/alpha' (use --force)"
check "... and the file is unchanged" grep -qx old "$WORK/r8/src/alpha"
mkdir -p "$WORK/r9/src/alpha/inside"
expect_fail "$WORK/err" "$TRESOR" restore --quiet --force --from "$T0" \
    --to "$WORK/r9" --key-file "$WORK/k.sec.asc" src/alpha
check "restore --force of a file onto a directory: one line naming it" \
    fails_with "$WORK/err" "unable to replace directory '$WORK/r9/src/alpha'"
check "... and the directory is left as it was" test -d "$WORK/r9/src/alpha/inside"

# A file where the set has a directory is not replaced, even with
# --force; a --to that is a file is no place to restore to.
mkdir -p "$WORK/r10/src/dir"
printf 'x\n' >"$WORK/r10/src/dir/sub"
expect_fail "$WORK/err" "$TRESOR" restore --quiet --force --from "$T0" \
    --to "$WORK/r10" --key-file "$WORK/k.sec.asc"
check "restore --force of a directory onto a file: one line naming it" \
    fails_with "$WORK/err" "unable to create directory '$WORK/r10/src/dir/sub': File exists"
check "... and the file is unchanged" grep -qx x "$WORK/r10/src/dir/sub"
printf 'x\n' >"$WORK/r11"
expect_fail "$WORK/err" "$TRESOR" restore --quiet --force --from "$T0" \
    --to "$WORK/r11" --key-file "$WORK/k.sec.asc"
check "restore --to a regular file: one line naming it" \
    fails_with "$WORK/err" "unable to open restore directory '$WORK/r11': Not a directory"
check "... and the file is unchanged" grep -qx x "$WORK/r11"

# --- verify of several sets: a line per bad set, then the summary ---------
make_key other
mkdir -p "$WORK/t9"
TRESOR_NOW=$(at 0) "$TRESOR" backup --quiet --to "file://$WORK/t9" \
    --key-file "$WORK/k.pub.asc" "$WORK/src" || bail "backup"
TRESOR_NOW=$(at 1) "$TRESOR" backup --quiet --to "file://$WORK/t9" \
    --key-file "$WORK/k.pub.asc" "$WORK/src" || bail "backup"
expect_fail "$WORK/err" "$TRESOR" verify --from "file://$WORK/t9" \
    --key-file "$WORK/other.sec.asc"
check "verify of two sets with the wrong key: a line per set and the summary" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 3 ] && [ \$(grep -c 'no secret key for this set' '$WORK/err') -eq 2 ] && tail -n 1 '$WORK/err' | grep -q 'verify failed for 2 of 2 sets in file://$WORK/t9'"

# --- ls output that cannot be written --------------------------------------
if [ -w /dev/full ]; then
	"$TRESOR" ls --key-file "$WORK/k.sec.asc" --from "$T0" >/dev/full \
	    2>"$WORK/err"
	rc=$?
	check "ls into a full disk fails: one line" \
	    fails_with "$WORK/err" "unable to write the listing"
	check "... exit 1" [ "$rc" -eq 1 ]
	"$TRESOR" ls --json --key-file "$WORK/k.sec.asc" --from "$T0" \
	    >/dev/full 2>"$WORK/err"
	rc=$?
	check "... and with --json" \
	    fails_with "$WORK/err" "unable to write the listing"
fi

done_testing
