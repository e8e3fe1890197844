#!/bin/sh
# demo.sh (test): the README's first command ends in scripts/demo.sh; it
# must keep working and end with its OK line.
. "$TOP_SRCDIR/tests/integration/lib.sh"

TRESOR="$TRESOR" sh "$TOP_SRCDIR/scripts/demo.sh" >"$WORK/demo.out" 2>&1
rc=$?
check "scripts/demo.sh exits 0" test $rc -eq 0
check "it reports the byte-for-byte check" grep -q '^demo: OK, 41 files restored byte-for-byte identical' "$WORK/demo.out"
check "it leaves nothing behind in TMPDIR" sh -c "! ls -d '${TMPDIR:-/tmp}'/tresor-demo.* 2>/dev/null | grep -q ."
[ $rc -eq 0 ] || sed 's/^/# /' "$WORK/demo.out"

done_testing
