#!/bin/sh
# errors.sh: bad input gets one clear line, a non-zero exit, and nothing
# half-written that looks complete.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
make_key other
mkdir -p "$WORK/src" "$WORK/target"
make_tree "$WORK/src/vault"
head -c 3000000 /dev/urandom >"$WORK/src/vault/big.bin"
T="file://$WORK/target"
"$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k.pub.asc" --volsize 1 \
    "$WORK/src/vault" || bail "initial backup failed"

# Keys.
expect_fail "$WORK/err" "$TRESOR" restore --from "$T" --to "$WORK/out-wrong" \
    --key-file "$WORK/other.sec.asc"
diag "$(cat "$WORK/err")"
check "wrong key: one line" one_line_error "$WORK/err"
check "wrong key: says there is no secret key" grep -q 'no secret key' "$WORK/err"
check "wrong key: nothing restored" sh -c "! find '$WORK/out-wrong' -type f 2>/dev/null | grep -q ."

mkdir -p "$WORK/empty-gnupg" && chmod 700 "$WORK/empty-gnupg"
expect_fail "$WORK/err" env GNUPGHOME="$WORK/empty-gnupg" "$TRESOR" restore \
    --from "$T" --to "$WORK/out-nokey"
check "missing key on restore: one line naming the key" \
    sh -c "one_line_error() { [ \$(wc -l <\"\$1\") -eq 1 ]; }; one_line_error '$WORK/err' && grep -q 'no secret key' '$WORK/err'"
gpgconf --homedir "$WORK/empty-gnupg" --kill all >/dev/null 2>&1

expect_fail "$WORK/err" "$TRESOR" backup --to "$T" "$WORK/src/vault"
check "missing key on backup: one line" one_line_error "$WORK/err"
check "missing key on backup: names the options" grep -q -- '--key-file' "$WORK/err"

expect_fail "$WORK/err" "$TRESOR" backup --to "$T" --key-file "$WORK/nonexistent.asc" "$WORK/src/vault"
check "missing key file: one line naming it" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'nonexistent.asc' '$WORK/err'"

printf 'not a key\n' >"$WORK/garbage.asc"
expect_fail "$WORK/err" "$TRESOR" backup --to "$T" --key-file "$WORK/garbage.asc" "$WORK/src/vault"
check "a key file without a key: one line" one_line_error "$WORK/err"

printf 'right\n' >"$WORK/pw-right"
printf 'wrong\n' >"$WORK/pw-wrong"
mkdir -p "$WORK/target-pw"
"$TRESOR" backup --quiet --to "file://$WORK/target-pw" --passphrase-file "$WORK/pw-right" \
    "$WORK/src/vault" || bail "passphrase backup failed"
expect_fail "$WORK/err" "$TRESOR" restore --from "file://$WORK/target-pw" \
    --to "$WORK/out-pw" --passphrase-file "$WORK/pw-wrong"
check "wrong passphrase: one line" one_line_error "$WORK/err"
check "wrong passphrase: no secret in the message" sh -c "! grep -q 'wrong\$\|right' '$WORK/err'"

# Sources.
expect_fail "$WORK/err" "$TRESOR" backup --to "$T" --key-file "$WORK/k.pub.asc" "$WORK/no-such-dir"
check "missing source: one line naming it" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'no-such-dir' '$WORK/err'"

# Modes that deny the owner too, so the checks mean the same run by root (the
# runs below are then nobody's) or by a normal user (then the owner's).
mkdir -p "$WORK/locked/inner" "$WORK/target-nobody"
chmod 000 "$WORK/locked"
chmod 777 "$WORK/target-nobody"
cp "$WORK/k.pub.asc" "$WORK/pub-for-nobody.asc" && chmod 644 "$WORK/pub-for-nobody.asc"
expect_fail "$WORK/err" as_unprivileged env HOME="$WORK/target-nobody" TRESOR_CACHE_DIR="$WORK/target-nobody/cache" "$WORK/bin/tresor" backup \
    --to "file://$WORK/target-nobody" --key-file "$WORK/pub-for-nobody.asc" "$WORK/locked"
check "unreadable source directory: one line naming it" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q \"unable to read source '$WORK/locked'\" '$WORK/err'"

mkdir -p "$WORK/partly/ok" && printf 'fine\n' >"$WORK/partly/ok/file"
printf 'hidden\n' >"$WORK/partly/unreadable" && chmod 000 "$WORK/partly/unreadable"
ln "$WORK/partly/unreadable" "$WORK/partly/zz-link-to-unreadable"
chmod -R go+rX "$WORK/partly" && chmod 000 "$WORK/partly/unreadable"
as_unprivileged env HOME="$WORK/target-nobody" TRESOR_CACHE_DIR="$WORK/target-nobody/cache" "$WORK/bin/tresor" backup --quiet \
    --to "file://$WORK/target-nobody" --key-file "$WORK/pub-for-nobody.asc" \
    "$WORK/partly" 2>"$WORK/err"
rc=$?
check "an unreadable file inside a source: exit 3 (done with warnings)" test "$rc" -eq 3
check "... warning names the file" grep -q "skipping '$WORK/partly/unreadable'\|skipping 'partly/unreadable'" "$WORK/err"
check "... and the set (with a hard link to the skipped file) restores the rest" \
    sh -c "'$TRESOR' restore --quiet --from 'file://$WORK/target-nobody' --to '$WORK/out-partly' --key-file '$WORK/k.sec.asc' 2>/dev/null && test -f '$WORK/out-partly/partly/ok/file' && test ! -e '$WORK/out-partly/partly/unreadable'"

# Targets.
mkdir -p "$WORK/readonly-target" && chmod 555 "$WORK/readonly-target"
expect_fail "$WORK/err" as_unprivileged env HOME="$WORK/target-nobody" TRESOR_CACHE_DIR="$WORK/target-nobody/cache" "$WORK/bin/tresor" backup \
    --to "file://$WORK/readonly-target" --key-file "$WORK/pub-for-nobody.asc" "$WORK/partly/ok"
check "unwritable target: one line" one_line_error "$WORK/err"
check "unwritable target: names the target" grep -q "file://$WORK/readonly-target" "$WORK/err"
check "unwritable target: nothing left there" sh -c "[ -z \"\$(ls -A '$WORK/readonly-target')\" ]"

expect_fail "$WORK/err" "$TRESOR" backup --to "file://$WORK/does-not-exist" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/vault"
check "missing target directory: one line saying so" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'does not exist' '$WORK/err'"

for url in "not-a-url" "bogus://host/path" "sftp://user:hunter2@:22/x"; do
	expect_fail "$WORK/err" "$TRESOR" backup --to "$url" --key-file "$WORK/k.pub.asc" "$WORK/src/vault"
	check "bad URL '$(echo "$url" | sed 's/hunter2/***/')': one line" one_line_error "$WORK/err"
	check "... without the password in it" sh -c "! grep -q hunter2 '$WORK/err'"
done

# A write failure halfway (file size limit) leaves no set and no debris.
mkdir -p "$WORK/target-full"
expect_fail "$WORK/err" sh -c "trap '' XFSZ; ulimit -f 1000; exec '$TRESOR' backup \
    --to 'file://$WORK/target-full' --key-file '$WORK/k.pub.asc' '$WORK/src/vault'"
check "a failing write: one line" one_line_error "$WORK/err"
check "... saying no set was published" grep -q 'no set was published' "$WORK/err"
check "... and no manifest or temporary object is left" \
    sh -c "! ls -A '$WORK/target-full' | grep -q 'manifest\|^\.tmp'"

# A restore whose writes fail (file size limit: big.bin cannot be written;
# the files are written by a thread of their own, so this failure arrives
# late) stops with one line, and leaves big.bin neither whole nor half.
expect_fail "$WORK/err" sh -c "trap '' XFSZ; ulimit -f 1000; exec '$TRESOR' restore \
    --from '$T' --to '$WORK/out-efbig' --key-file '$WORK/k.sec.asc'"
check "a failing restore write: one line" one_line_error "$WORK/err"
check "... naming the file" grep -q "big.bin" "$WORK/err"
check "... which does not appear" test ! -e "$WORK/out-efbig/vault/big.bin"
check "... and no temporary files are left" \
    sh -c "! find '$WORK/out-efbig' -name '.tresor-part*' | grep -q ."

# Damage on the target.
cp -a "$WORK/target" "$WORK/target-corrupt"
vol=$(ls "$WORK/target-corrupt"/tresor.*.vol000002.gpg)
size=$(stat -c %s "$vol")
printf 'X' | dd of="$vol" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect_fail "$WORK/err" "$TRESOR" restore --from "file://$WORK/target-corrupt" \
    --to "$WORK/out-corrupt" --key-file "$WORK/k.sec.asc"
# lost_lines FILE: a restore that lost files to damage: one line per file
# it could not restore, naming it and the object it needed, then one line
# saying how many and what the damage was.
lost_lines() {
	n=$(wc -l <"$1")
	[ "$n" -ge 1 ] && [ "$(grep -c "^tresor: not restored: '.*' (object 'tresor\.[^']*' could not be read)\$" "$1")" -eq $((n - 1)) ] &&
	    tail -n 1 "$1" | grep -q '^tresor: .* could not be restored (named above)'
}
check "corrupted volume: one line per file not restored, then the cause" \
    lost_lines "$WORK/err"
check "... naming big.bin" grep -q "^tresor: not restored: 'vault/big.bin'" "$WORK/err"
check "corrupted volume: names the volume and says corrupt" \
    grep -q "vol000002.gpg.*corrupt" "$WORK/err"
check "corrupted volume: the damaged file does not appear" test ! -e "$WORK/out-corrupt/vault/big.bin"
check "corrupted volume: no temporary files left" \
    sh -c "! find '$WORK/out-corrupt' -name '.tresor-part*' | grep -q ."
expect_fail "$WORK/err" "$TRESOR" verify --from "file://$WORK/target-corrupt" --key-file "$WORK/k.sec.asc"
check "verify finds the corrupted volume" grep -q "vol000002.gpg.*corrupt" "$WORK/err"

cp -a "$WORK/target" "$WORK/target-trunc"
man=$(ls "$WORK/target-trunc"/tresor.*.manifest.gpg)
truncate -s $(( $(stat -c %s "$man") / 2 )) "$man"
expect_fail "$WORK/err" "$TRESOR" restore --from "file://$WORK/target-trunc" \
    --to "$WORK/out-trunc" --key-file "$WORK/k.sec.asc"
check "truncated manifest: one line naming the manifest" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'manifest' '$WORK/err'"
check "truncated manifest: nothing restored" sh -c "! find '$WORK/out-trunc' -type f 2>/dev/null | grep -q ."

cp -a "$WORK/target" "$WORK/target-missing"
rm "$WORK/target-missing"/tresor.*.vol000001.gpg
expect_fail "$WORK/err" "$TRESOR" restore --from "file://$WORK/target-missing" \
    --to "$WORK/out-missing" --key-file "$WORK/k.sec.asc"
check "missing volume: one line per file not restored, then the cause" \
    lost_lines "$WORK/err"
check "... naming the volume as missing" \
    sh -c "tail -n 1 '$WORK/err' | grep -q 'vol000001.gpg.*missing'"

expect_fail "$WORK/err" "$TRESOR" restore --from "file://$WORK/target" --to "$WORK/out-x" \
    --key-file "$WORK/k.sec.asc" vault/no/such/path
check "restoring a path not in the set: one line naming it" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'vault/no/such/path' '$WORK/err'"

"$TRESOR" backup --bogus-option >/dev/null 2>"$WORK/err"
check "unknown option: exit 2" test $? -eq 2
check "unknown option: one line" one_line_error "$WORK/err"
check "unknown option: names it and the help" \
    grep -qF "unknown option '--bogus-option' (see tresor backup --help)" "$WORK/err"
expect_fail "$WORK/err" "$TRESOR" frobnicate
check "unknown verb: names it" grep -q "unknown verb 'frobnicate'" "$WORK/err"

done_testing
