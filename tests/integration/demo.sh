#!/bin/sh
# demo.sh (test): the README's first command ends in scripts/demo.sh; it
# must keep working and end with its OK line.
. "$TOP_SRCDIR/tests/integration/lib.sh"

TRESOR="$TRESOR" sh "$TOP_SRCDIR/scripts/demo.sh" >"$WORK/demo.out" 2>&1
rc=$?
check "scripts/demo.sh exits 0" test $rc -eq 0
# The expected count is the sample data's, as the demo counted it when it
# made the data (step 2 prints "N files, SIZE"), not a number written here.
made=$(sed -n 's/^\([0-9][0-9]*\) files, .*/\1/p' "$WORK/demo.out" | head -n 1)
diag "the demo made ${made:-no} sample files"
check "it reports how many sample files it made" test "${made:-0}" -gt 1
check "it reports the byte-for-byte check of every one of them" \
    grep -q "^demo: OK, ${made:-none} files restored byte-for-byte identical" "$WORK/demo.out"
check "it leaves nothing behind in TMPDIR" sh -c "! ls -d '${TMPDIR:-/tmp}'/tresor-demo.* 2>/dev/null | grep -q ."
[ $rc -eq 0 ] || sed 's/^/# /' "$WORK/demo.out"

done_testing
