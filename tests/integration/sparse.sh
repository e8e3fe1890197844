#!/bin/sh
# sparse.sh: a 5 GiB sparse file round-trips, stays sparse, and memory does
# not grow with file size (peak RSS of a 256 MiB dense file is about that of
# a 1 MiB file).
. "$TOP_SRCDIR/tests/integration/lib.sh"
: "${PEAKRSS:?PEAKRSS must point at tests/helpers/peakrss}"

make_key k
mkdir -p "$WORK/src/sparse" "$WORK/src/small" "$WORK/src/dense" \
    "$WORK/t-sparse" "$WORK/t-small" "$WORK/t-dense"
f="$WORK/src/sparse/disk.img"
truncate -s 5G "$f" || bail "truncate"
printf 'start of the file' | dd of="$f" conv=notrunc 2>/dev/null
head -c 1048576 /dev/urandom | dd of="$f" bs=1M seek=2048 conv=notrunc 2>/dev/null
printf 'end' | dd of="$f" bs=1 seek=$((5 * 1024 * 1024 * 1024 - 3)) conv=notrunc 2>/dev/null
check "the source is 5 GiB long" test "$(stat -c %s "$f")" -eq 5368709120

start=$(date +%s)
check "backup of a 5 GiB sparse file exits 0" \
    "$PEAKRSS" "$WORK/rss-sparse" "$TRESOR" backup --quiet --to "file://$WORK/t-sparse" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/sparse"
stored=$(du -sb "$WORK/t-sparse" | cut -f1)
diag "stored $stored bytes in $(( $(date +%s) - start )) s, peak RSS $(cat "$WORK/rss-sparse") KiB"
check "holes are not stored (under 4 MiB on the target)" test "$stored" -lt 4194304
check "restore of it exits 0" \
    "$TRESOR" restore --quiet --from "file://$WORK/t-sparse" --to "$WORK/out" \
    --key-file "$WORK/k.sec.asc"
check "the restored file is identical" "$TREEDIFF" "$WORK/src/sparse" "$WORK/out/sparse"
used=$(du -k "$WORK/out/sparse/disk.img" | cut -f1)
diag "restored file uses $used KiB of disk"
check "the restored file is sparse (under 16 MiB on disk)" test "$used" -lt 16384

head -c 1048576 /dev/urandom >"$WORK/src/small/one.bin"
head -c 268435456 /dev/urandom >"$WORK/src/dense/big.bin"
"$PEAKRSS" "$WORK/rss-small" "$TRESOR" backup --quiet --to "file://$WORK/t-small" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/small" || bail "small backup"
"$PEAKRSS" "$WORK/rss-dense" "$TRESOR" backup --quiet --to "file://$WORK/t-dense" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/dense" || bail "dense backup"
small=$(cat "$WORK/rss-small")
dense=$(cat "$WORK/rss-dense")
diag "peak RSS backing up 1 MiB: $small KiB, 256 MiB: $dense KiB"
# Sanitizers keep freed memory in quarantine: RSS says nothing there.
rss_check() {
	if [ -n "${SANITIZED:-}" ]; then
		TAP_N=$((TAP_N + 1))
		echo "ok $TAP_N - $1 # SKIP peak RSS is not meaningful under sanitizers"
	else
		check "$@"
	fi
}
rss_check "backup memory does not grow with file size (256 MiB vs 1 MiB: < +16 MiB)" \
    test $((dense - small)) -lt 16384
"$PEAKRSS" "$WORK/rss-rsmall" "$TRESOR" restore --quiet --from "file://$WORK/t-small" \
    --to "$WORK/out-small" --key-file "$WORK/k.sec.asc" || bail "small restore"
"$PEAKRSS" "$WORK/rss-rdense" "$TRESOR" restore --quiet --from "file://$WORK/t-dense" \
    --to "$WORK/out-dense" --key-file "$WORK/k.sec.asc" || bail "dense restore"
small=$(cat "$WORK/rss-rsmall")
dense=$(cat "$WORK/rss-rdense")
diag "peak RSS restoring 1 MiB: $small KiB, 256 MiB: $dense KiB"
rss_check "restore memory does not grow with file size (< +16 MiB)" \
    test $((dense - small)) -lt 16384
check "the 256 MiB file round-trips" cmp "$WORK/src/dense/big.bin" "$WORK/out-dense/dense/big.bin"

done_testing
