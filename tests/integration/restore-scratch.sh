#!/bin/sh
# restore-scratch.sh: a restore reads the newest set first and holds each
# delta in a nameless scratch file until its base comes; past a share of
# the open-file limit it gives them names, in a scratch directory of its
# own beside --to. With the limit low (ulimit -n 80: at most 8 nameless
# deltas), an incremental of 20 changed files restores identical, and no
# scratch directory or file is left behind.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
V=$WORK/vault
mkdir -p "$V" "$WORK/t"
T=file://$WORK/t
i=0
while [ $i -lt 20 ]; do
	head -c 40000 /dev/urandom >"$V/f$i"
	i=$((i + 1))
done
backup() {
	"$TRESOR" backup --quiet --delta-min-size 8K --to "$T" \
	    --key-file "$WORK/k.pub.asc" "$V"
}
TRESOR_NOW=$(at 0) backup || bail "full backup"
i=0
while [ $i -lt 20 ]; do
	printf 'changed %d\n' $i >>"$V/f$i"
	i=$((i + 1))
done
TRESOR_NOW=$(at 1) backup || bail "incremental backup"
"$TRESOR" ls --from "$T" --key-file "$WORK/k.sec.asc" --json >"$WORK/ls.json" ||
    bail "ls"
"$TRESOR" status --from "$T" >"$WORK/status" 2>&1
check "the incremental holds the changes as deltas" \
    grep -q 'inc ' "$WORK/status"

under_strace -f -e trace=mkdir,mkdirat -o "$WORK/strace" sh -c \
    "ulimit -n 80 && exec '$TRESOR' restore --quiet --from '$T' --to '$WORK/r' --key-file '$WORK/k.sec.asc'" \
    2>"$WORK/err"
rc=$?
check "restore under ulimit -n 80 exits 0" test "$rc" -eq 0
check "... deltas got names in a scratch directory (there were too many)" \
    grep -q 'mkdir.*\.tresor-scratch\.' "$WORK/strace"

[ "$rc" -eq 0 ] || diag "$(cat "$WORK/err")"
check "... and the vault is identical" "$TREEDIFF" "$V" "$WORK/r/vault"
check "... with no scratch directory or file left" \
    sh -c "! find '$WORK/r' '$WORK' -maxdepth 2 -name '.tresor-scratch*' | grep -q ."

done_testing
