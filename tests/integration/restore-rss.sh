#!/bin/sh
# restore-rss.sh: restore's memory per manifest entry is bounded. A restore
# keeps every entry of the set until its end, so its peak RSS grows with the
# number of files; what must stay small is how much per entry (issue 20:
# 300,000 files under 150 MB). Two sets of the same shape (5 small files
# per directory, paths like the benchmark vault's), 1,000 and 60,000 files:
# the difference of their peak RSS over the difference of their entries is
# the cost of one entry, whatever the fixed part (buffers, libraries).
. "$TOP_SRCDIR/tests/integration/lib.sh"
: "${PEAKRSS:?PEAKRSS must point at tests/helpers/peakrss}"

# At most this many bytes per entry. Measured: 232 (580 before rindex.c).
PER_ENTRY_MAX=320

make_key k
# make_tree N DIR: N files of 16-80 bytes, 5 per directory.
make_tree() {
	python3 - "$1" "$2" <<'PY' || bail "could not make a tree of $1 files"
import os, random, sys
n, root = int(sys.argv[1]), sys.argv[2]
r = random.Random(42)
for i in range(n):
    d = "%s/vault/%02x/%06d" % (root, (i // 5) % 256, i // 5)
    if i % 5 == 0:
        os.makedirs(d)
    with open("%s/doc-%06d-%d.pdf" % (d, i, i % 5), "w") as f:
        f.write("%PDF-1.4 " + "x" * r.randint(7, 71))
PY
}

for n in 1000 60000; do
	mkdir -p "$WORK/src$n" "$WORK/t$n"
	make_tree $n "$WORK/src$n"
	"$TRESOR" backup --quiet --to "file://$WORK/t$n" \
	    --key-file "$WORK/k.pub.asc" "$WORK/src$n/vault" || bail "backup of $n files"
	check "restore of $n files exits 0" "$PEAKRSS" "$WORK/rss$n" \
	    "$TRESOR" restore --quiet --from "file://$WORK/t$n" --to "$WORK/out$n" \
	    --key-file "$WORK/k.sec.asc"
	check "... identical" "$TREEDIFF" "$WORK/src$n/vault" "$WORK/out$n/vault"
	rm -rf "$WORK/out$n"
done
small=$(cat "$WORK/rss1000")
big=$(cat "$WORK/rss60000")
e_small=$(find "$WORK/src1000/vault" | wc -l)
e_big=$(find "$WORK/src60000/vault" | wc -l)
per=$(( (big - small) * 1024 / (e_big - e_small) ))
diag "peak RSS: $small KiB for $e_small entries, $big KiB for $e_big: $per bytes per entry"

# Sanitizers keep freed memory in quarantine and pad every allocation.
if [ -n "${SANITIZED:-}" ]; then
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - restore memory per entry # SKIP peak RSS is not meaningful under sanitizers"
else
	check "restore memory per manifest entry is at most $PER_ENTRY_MAX bytes ($per)" \
	    test "$per" -le $PER_ENTRY_MAX
fi

done_testing
