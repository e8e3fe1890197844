#!/bin/sh
# restore-stream.sh: a file stored as a delta costs one pass when the
# delta's copies run forward (a change in place, an append): restore reads
# the newer set first, spools the small delta, and applies it while the
# base streams in from the older set, so the base never touches a scratch
# file. When they do not (a file whose halves were swapped), the base goes
# to a scratch file and is patched from there, as before. Either way the
# file restores identical, in restore and in fetch, over a chain of two
# incrementals; the scratch files each takes are counted with strace.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
V=$WORK/vault
mkdir -p "$V" "$WORK/t" "$WORK/tmp"
T=file://$WORK/t
head -c 3000000 /dev/urandom >"$V/fwd"
head -c 3000000 /dev/urandom >"$V/swap"
head -c 3000000 /dev/urandom >"$V/same"
truncate -s 4M "$V/sparse"
printf 'data' | dd of="$V/sparse" bs=1 seek=1048576 conv=notrunc 2>/dev/null
backup() {
	"$TRESOR" backup --quiet --delta-min-size 8K --to "$T" \
	    --key-file "$WORK/k.pub.asc" "$V"
}
TRESOR_NOW=$(at 0) backup || bail "full backup"
printf 'CHANGED' | dd of="$V/fwd" bs=1 seek=1500000 conv=notrunc 2>/dev/null
{ tail -c 1500000 "$V/swap"; head -c 1500000 "$V/swap"; } >"$WORK/swapped"
cat "$WORK/swapped" >"$V/swap"
printf 'more' | dd of="$V/sparse" bs=1 seek=3000000 conv=notrunc 2>/dev/null
TRESOR_NOW=$(at 1) backup || bail "first incremental"
printf 'AGAIN' >>"$V/fwd"
TRESOR_NOW=$(at 2) backup || bail "second incremental"
check "three sets: a full and two incrementals" \
    test "$(ls "$WORK/t" | grep -c '\.full\..*manifest')" -eq 1 -a \
    "$(ls "$WORK/t" | grep -c '\.inc\..*manifest')" -eq 2
"$TRESOR" ls --from "$T" --key-file "$WORK/k.sec.asc" --json \
    >"$WORK/ls.json" || bail "ls"

# scratch_opens FILE DIR: nameless scratch files strace saw made in DIR
# (the restored files themselves are made relative to their directory).
scratch_opens() {
	grep -c "open[a-z]*(AT_FDCWD, \"$2\", [^)]*O_TMPFILE" "$1"
}

# restore_one NAME: restore vault/NAME alone under strace; "ok" or why not.
restore_one() {
	rm -rf "$WORK/r-$1"
	under_strace -f -e trace=open,openat -o "$WORK/strace-$1" \
	    "$TRESOR" restore --quiet --from "$T" --to "$WORK/r-$1" \
	    --key-file "$WORK/k.sec.asc" "vault/$1" 2>"$WORK/err-$1"
}

restore_one fwd
check "a forward delta restores (exit 0)" test $? -eq 0
check "... identical" cmp "$V/fwd" "$WORK/r-fwd/vault/fwd"
check "... with one scratch file, the delta's: the base streamed" \
    test "$(scratch_opens "$WORK/strace-fwd" "$WORK/r-fwd")" -eq 1

restore_one swap
check "swapped halves (backward copies) restore (exit 0)" test $? -eq 0
check "... identical" cmp "$V/swap" "$WORK/r-swap/vault/swap"
check "... with two scratch files: the delta's and the base's" \
    test "$(scratch_opens "$WORK/strace-swap" "$WORK/r-swap")" -eq 2

restore_one sparse
check "a sparse base restores (exit 0)" test $? -eq 0
check "... identical" cmp "$V/sparse" "$WORK/r-sparse/vault/sparse"

# The whole tree, all three ways at once.
"$TRESOR" restore --quiet --from "$T" --to "$WORK/r" \
    --key-file "$WORK/k.sec.asc" 2>"$WORK/err"
check "the whole vault restores (exit 0)" test $? -eq 0
check "... identical" "$TREEDIFF" "$V" "$WORK/r/vault"

# fetch to stdout: scratch goes to $TMPDIR.
TMPDIR=$WORK/tmp under_strace -f -e trace=open,openat -o "$WORK/strace-fetch" \
    "$TRESOR" fetch --from "$T" --key-file "$WORK/k.sec.asc" vault/fwd - \
    >"$WORK/fetched" 2>"$WORK/err-fetch"
check "fetch of the forward delta to stdout (exit 0)" test $? -eq 0
check "... identical" cmp "$V/fwd" "$WORK/fetched"
check "... with one scratch file, the delta's" \
    test "$(scratch_opens "$WORK/strace-fetch" "$WORK/tmp")" -eq 1

# As of the first incremental: the delta against the full, no append.
"$TRESOR" fetch --from "$T" --key-file "$WORK/k.sec.asc" --time "$(at 1)" \
    vault/fwd "$WORK/fwd-1" 2>"$WORK/err-fetch1"
check "fetch as of the first incremental (exit 0)" test $? -eq 0
check "... is the file without the append" \
    test "$(wc -c <"$WORK/fwd-1")" -eq 3000000
check "... and nothing is left in \$TMPDIR or beside the fetched file" \
    sh -c "! ls -A '$WORK/tmp' | grep -q . && ! ls -A '$WORK' | grep -q '^\\.tresor'"

done_testing
