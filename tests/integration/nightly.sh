#!/bin/sh
# nightly.sh: 65 nightly runs on a fake clock (TRESOR_NOW; nothing sleeps),
# three days apart so that a 2M rotation and a 4M purge both happen, as on
# the appliance: mutate the vault, back up, purge --older-than 4M --force.
# After every night the latest state and two random earlier ones restore
# identical to the snapshots taken then; at the end every kept set
# restores, and nothing a kept set depends on was removed.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
V="$WORK/src/vault"
T="file://$WORK/target"
mkdir -p "$V" "$WORK/target" "$WORK/snap"
i=0
while [ $i -lt 120 ]; do
	mkdir -p "$V/d$((i % 24))"
	head -c $(( (i % 5 + 1) * 12000 )) /dev/urandom >"$V/d$((i % 24))/f$i"
	i=$((i + 1))
done
ln "$V/d1/f1" "$V/d2/link-to-f1"
ln -s ../d3/f3 "$V/d4/symlink"

rand() {	# rand N: a number in [0, N) from the shell's own generator
	awk -v n="$1" -v s="$2" 'BEGIN { srand(s); print int(rand() * n) }'
}

mutate() {	# mutate NIGHT
	n=$1
	for k in 1 2; do	# two files changed by a 4 KiB write
		f=$(ls "$V"/d*/f* | sed -n "$(( $(rand 100 $((n * 7 + k))) + 1 ))p")
		[ -n "$f" ] && head -c 4096 /dev/urandom |
		    dd of="$f" bs=4096 seek=1 conv=notrunc 2>/dev/null
	done
	head -c $(( $(rand 50000 $n) + 1 )) /dev/urandom >"$V/d$((n % 24))/new$n"
	victim=$(ls "$V"/d*/f* | sed -n "$(( $(rand 90 $((n * 13))) + 1 ))p")
	[ -n "$victim" ] && rm -f "$victim"
	[ $((n % 5)) -eq 0 ] && chmod 600 "$V/d$((n % 24))/new$n"
	[ $((n % 7)) -eq 0 ] && mkdir -p "$V/d$((n % 24))/sub$n"
	[ $((n % 9)) -eq 0 ] && mv "$V/d$((n % 24))/new$n" "$V/d$(( (n + 1) % 24 ))/moved$n"
	true
}

fails=0
fulls=0
night=0
while [ $night -lt 65 ]; do
	day=$((night * 3))
	[ $night -gt 0 ] && mutate $night
	cp -a "$V" "$WORK/snap/$night"
	echo "$night $(at $day)" >>"$WORK/nights"
	out=$(TRESOR_NOW=$(at $day) "$TRESOR" backup --delta-min-size 8K --to "$T" --key-file "$WORK/k.pub.asc" "$V" 2>&1) || {
		diag "night $night: backup failed: $out"; fails=$((fails + 1)); }
	case "$out" in "backup: full set"*) fulls=$((fulls + 1)); diag "night $night (day $day): full";; esac
	TRESOR_NOW=$(at $day) "$TRESOR" purge --quiet --from "$T" --older-than 4M --force ||
	    { diag "night $night: purge failed"; fails=$((fails + 1)); }
	rm -rf "$WORK/r"
	if ! "$TRESOR" restore --quiet --from "$T" --to "$WORK/r" --key-file "$WORK/k.sec.asc" ||
	    ! "$TREEDIFF" "$WORK/snap/$night" "$WORK/r/vault" >/dev/null; then
		diag "night $night: latest restore differs"; fails=$((fails + 1))
	fi
	# Two random earlier nights that are still kept.
	oldest=$(ls "$WORK/target" | sed -n 's/^tresor\.\([0-9TZ]*\)\..*\.manifest\.gpg$/\1/p' | sort | head -n 1)
	oldest_s=$(date -u -d "$(echo "$oldest" | sed 's/\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z/\1-\2-\3 \4:\5:\6/')" +%s)
	for k in 1 2; do
		e=$(rand $((night + 1)) $((night * 31 + k)))
		t=$(awk -v e="$e" '$1 == e { print $2 }' "$WORK/nights")
		[ "$t" -lt "$oldest_s" ] && continue
		rm -rf "$WORK/r"
		if ! "$TRESOR" restore --quiet --from "$T" --to "$WORK/r" --time "$t" --key-file "$WORK/k.sec.asc" ||
		    ! "$TREEDIFF" "$WORK/snap/$e" "$WORK/r/vault" >/dev/null; then
			diag "night $night: restore of night $e differs"; fails=$((fails + 1))
		fi
	done
	night=$((night + 1))
done
check "65 nights: every backup, purge and restore matched its snapshot" test $fails -eq 0
check "rotation at 2M made 4 fulls over 192 days" test $fulls -eq 4
sets=$(ls "$WORK/target" | grep -c 'manifest\.gpg$')
diag "sets kept after the last purge: $sets"
check "purge at 4M removed the first chain" test ! -e "$WORK/target/tresor.20260101T003000Z.full.manifest.gpg"
check "... and kept at least the chain of 4 months ago" test "$sets" -ge 40
kept_fail=0
for m in "$WORK"/target/*.manifest.gpg; do
	id=$(basename "$m" | sed 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/')
	ts=$(date -u -d "$(echo "$id" | sed 's/\(....\)\(..\)\(..\)T\(..\)\(..\)\(..\)Z.*/\1-\2-\3 \4:\5:\6/')" +%s)
	e=$(awk -v t="$ts" '$2 == t { print $1 }' "$WORK/nights")
	rm -rf "$WORK/r"
	if ! "$TRESOR" restore --quiet --from "$T" --to "$WORK/r" --set "$id" --key-file "$WORK/k.sec.asc" ||
	    ! "$TREEDIFF" "$WORK/snap/$e" "$WORK/r/vault" >/dev/null; then
		diag "kept set $id (night $e) does not restore"; kept_fail=$((kept_fail + 1))
	fi
done
check "every kept set restores identical to its night (none lost a dependency)" test $kept_fail -eq 0
check "verify --read-data passes on what is left" \
    "$TRESOR" verify --quiet --read-data --from "$T" --key-file "$WORK/k.sec.asc"

done_testing
