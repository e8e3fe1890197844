#!/bin/sh
# many-files.sh: 10,000 small files in 2,000 directories (the shape of the
# appliance's document vault: 4-6 files per directory) round-trip.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
mkdir -p "$WORK/src/vault" "$WORK/target"
awk -v root="$WORK/src/vault" 'BEGIN {
	for (d = 0; d < 2000; d++) printf "%s/%02x/%04d\n", root, d % 256, d
}' | xargs mkdir -p || bail "could not make the directories"
awk -v root="$WORK/src/vault" 'BEGIN {
	srand(42)
	for (d = 0; d < 2000; d++) {
		dir = sprintf("%s/%02x/%04d", root, d % 256, d)
		for (f = 0; f < 5; f++) {
			file = sprintf("%s/doc-%d.pdf", dir, f)
			n = int(rand() * 2000) + 1
			line = ""
			for (i = 0; i < n; i += 16) line = line sprintf("%016x", int(rand() * 2^31))
			printf "%s", line > file
			close(file)
		}
	}
}' || bail "could not make the tree"
count=$(find "$WORK/src/vault" -type f | wc -l)
check "the source holds 10000 files" test "$count" -eq 10000

start=$(date +%s.%N)
check "backup of 10000 files exits 0" \
    sh -c "'$TRESOR' backup --to 'file://$WORK/target' --key-file '$WORK/k.pub.asc' '$WORK/src/vault' >'$WORK/backup.out'"
mid=$(date +%s.%N)
check "restore of 10000 files exits 0" \
    "$TRESOR" restore --quiet --from "file://$WORK/target" --to "$WORK/out" --key-file "$WORK/k.sec.asc"
end=$(date +%s.%N)
diag "$(awk -v a="$start" -v b="$mid" -v c="$end" 'BEGIN { printf "backup %.2f s, restore %.2f s", b - a, c - b }')"
diag "$(cat "$WORK/backup.out")"
check "... and says it stored all 10000 files" grep -q '(10000 files: 0 unchanged, 0 deltas)' "$WORK/backup.out"
check "the restored tree is identical" "$TREEDIFF" "$WORK/src/vault" "$WORK/out/vault"

done_testing
