#!/bin/sh
# no-change.sh: an incremental over 100,000 unchanged files reads no file
# content (it says so, and the set holds no volume at all) and costs a few
# system calls per file; its time is printed, and measured in benchmarks/.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
mkdir -p "$WORK/src/vault" "$WORK/target"
T="file://$WORK/target"
awk -v root="$WORK/src/vault" 'BEGIN {
	for (d = 0; d < 20000; d++) printf "%s/%03d/%05d\n", root, d % 500, d
}' | xargs mkdir -p || bail "mkdir"
awk -v root="$WORK/src/vault" 'BEGIN {
	for (d = 0; d < 20000; d++)
		for (f = 0; f < 5; f++) {
			file = sprintf("%s/%03d/%05d/doc-%d.pdf", root, d % 500, d, f)
			printf "%d %d\n", d, f > file
			close(file)
		}
}' || bail "files"
check "the source holds 100000 files" test "$(find "$WORK/src/vault" -type f | wc -l)" -eq 100000
TRESOR_NOW=$(at 0) "$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k.pub.asc" \
    "$WORK/src/vault" || bail "full backup"
find "$WORK/src/vault" >/dev/null	# warm the page cache
# The best of two nights: other tests share the machine's two cores.
secs=""
for day in 1 2; do
	s=$(date +%s%N)
	TRESOR_NOW=$(at $day) "$TRESOR" backup --to "$T" --key-file "$WORK/k.pub.asc" \
	    "$WORK/src/vault" >"$WORK/out" 2>&1
	rc=$?
	e=$(date +%s%N)
	[ $rc -eq 0 ] || break
	secs=$(awk -v a="$s" -v b="$e" -v best="$secs" 'BEGIN {
		t = (b - a) / 1e9; if (best != "" && best < t) t = best; printf "%.2f", t }')
done
diag "$(cat "$WORK/out")"
diag "incremental over 100000 unchanged files: $secs s (best of two)"
check "the incremental succeeds" test $rc -eq 0
# How long it takes is the benchmark's business (benchmarks/run --files);
# here the cost is counted in system calls, which load does not change.
TRESOR_NOW=$(at 3) under_strace -f -c -o "$WORK/calls" "$TRESOR" backup --quiet --to "$T" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/vault" || bail "incremental under strace"
calls=$(awk '$NF == "total" { print $(NF - 2) }' "$WORK/calls")
diag "system calls of the third incremental (with gpg for the manifest): $calls"
check "it costs under 3 system calls per unchanged file ($calls)" \
    test "${calls:-999999999}" -lt 300000
check "it read no file content" grep -q '100000 unchanged, 0 deltas), 0 bytes read, 0 volumes' "$WORK/out"
check "... and restores" \
    sh -c "'$TRESOR' restore --quiet --from '$T' --to '$WORK/out-r' --key-file '$WORK/k.sec.asc' vault/007/00007 && cmp '$WORK/src/vault/007/00007/doc-3.pdf' '$WORK/out-r/vault/007/00007/doc-3.pdf'"

done_testing
