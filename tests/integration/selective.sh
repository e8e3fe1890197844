#!/bin/sh
# selective.sh: restoring selected paths reads only the volumes that hold
# them, and restores their parents with the right metadata.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
mkdir -p "$WORK/src/vault/a" "$WORK/src/vault/b/c" "$WORK/target"
head -c 4000000 /dev/urandom >"$WORK/src/vault/a/big1.bin"
printf 'small\n' >"$WORK/src/vault/b/c/small.txt"
printf 'other\n' >"$WORK/src/vault/b/other.txt"
chmod 750 "$WORK/src/vault/b"
touch -d '2005-05-05 05:05:05' "$WORK/src/vault/b"
"$TRESOR" backup --quiet --volsize 1 --to "file://$WORK/target" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/vault" || bail "backup failed"
nvol=$(ls "$WORK/target" | grep -c 'vol[0-9]*\.gpg$')
diag "volumes: $nvol"
# Usually 4 or 5; 3 when zstd, running behind a queue, had not yet put out
# what it had taken in and a volume got a second record (volumes.sh bounds
# that). With 3 or more, volume 2 holds only the middle of big1.bin.
check "a 4 MB file with --volsize 1 makes at least 3 volumes" test "$nvol" -ge 3

# Volume 2 only holds the middle of big1.bin: hide it.
mv "$WORK/target"/tresor.*.vol000002.gpg "$WORK/hidden.gpg"
check "restoring one file works without a volume it does not need" \
    "$TRESOR" restore --quiet --from "file://$WORK/target" --to "$WORK/out1" \
    --key-file "$WORK/k.sec.asc" vault/b/c/small.txt
check "... the file is identical" cmp "$WORK/src/vault/b/c/small.txt" "$WORK/out1/vault/b/c/small.txt"
check "... only that file was restored" test ! -e "$WORK/out1/vault/b/other.txt" -a ! -e "$WORK/out1/vault/a"
check "... its parent directory got its mode back" test "$(stat -c %a "$WORK/out1/vault/b")" = 750
check "... and its mtime" test "$(stat -c %Y "$WORK/out1/vault/b")" = "$(stat -c %Y "$WORK/src/vault/b")"

check "restoring a directory with a trailing slash restores its contents" \
    "$TRESOR" restore --quiet --from "file://$WORK/target" --to "$WORK/out2" \
    --key-file "$WORK/k.sec.asc" vault/b/
check "... identical" "$TREEDIFF" "$WORK/src/vault/b" "$WORK/out2/vault/b"

expect_fail "$WORK/err" "$TRESOR" restore --from "file://$WORK/target" --to "$WORK/out3" \
    --key-file "$WORK/k.sec.asc" vault/a/big1.bin
check "a file that needs the hidden volume fails, naming it" grep -q 'vol000002.gpg' "$WORK/err"
check "... and does not appear" test ! -e "$WORK/out3/vault/a/big1.bin"

mv "$WORK/hidden.gpg" "$(ls "$WORK/target"/tresor.*.vol000001.gpg | sed 's/vol000001/vol000002/')"
check "with the volume back, the big file restores" \
    "$TRESOR" restore --quiet --from "file://$WORK/target" --to "$WORK/out3" \
    --key-file "$WORK/k.sec.asc" vault/a/big1.bin
check "... identical" cmp "$WORK/src/vault/a/big1.bin" "$WORK/out3/vault/a/big1.bin"

done_testing
