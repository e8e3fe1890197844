#!/bin/sh
# long-chain.sh: a file changed every night for 60 nights restores in about
# the time of restoring it from the full set: every delta is made against
# the file's last whole version, so the newest version is one base and one
# delta, never 60 patches in a row. That is checked by what the restore
# reads (the volumes of two sets, not of sixty), which load cannot change;
# the measured times and their ratio are printed for the record.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
mkdir -p "$WORK/src/db" "$WORK/target"
T="file://$WORK/target"
head -c 16777216 /dev/urandom >"$WORK/src/db/ecs.pgdump"
TRESOR_NOW=$(at 0) "$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k.pub.asc" \
    "$WORK/src/db" || bail "full backup"
full=$(ls "$WORK/target" | sed -n 's/^tresor\.\(.*\.full\)\.manifest\.gpg$/\1/p')
n=1
fails=0
while [ $n -le 60 ]; do
	head -c 4096 /dev/urandom | dd of="$WORK/src/db/ecs.pgdump" bs=4096 \
	    seek=$(( (n * 389) % 4096 )) conv=notrunc 2>/dev/null
	TRESOR_NOW=$(at $n) "$TRESOR" backup --full-if-older-than 1Y --to "$T" --key-file "$WORK/k.pub.asc" \
	    "$WORK/src/db" >"$WORK/out" 2>&1 || fails=$((fails + 1))
	grep -q '1 deltas' "$WORK/out" || fails=$((fails + 1))
	n=$((n + 1))
done
check "60 nightly incrementals, each one delta" test $fails -eq 0

elapsed() {	# elapsed COMMAND...: seconds, to the millisecond
	s=$(date +%s%N)
	"$@" >/dev/null || return 1
	e=$(date +%s%N)
	awk -v a="$s" -v b="$e" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}
rm -rf "$WORK/r"
t_full=$(elapsed "$TRESOR" restore --quiet --from "$T" --set "$full" --to "$WORK/r" --key-file "$WORK/k.sec.asc")
rm -rf "$WORK/r"
t_new=$(elapsed "$TRESOR" restore --quiet --from "$T" --to "$WORK/r" --key-file "$WORK/k.sec.asc")
check "the newest version restores identical" cmp "$WORK/src/db/ecs.pgdump" "$WORK/r/db/ecs.pgdump"
diag "restore from the full: $t_full s; newest after 60 nights: $t_new s (wall time, for the record)"
rm -rf "$WORK/r"
under_strace -f -qq -e trace=open,openat -o "$WORK/opens" "$TRESOR" restore --quiet \
    --from "$T" --to "$WORK/r" --key-file "$WORK/k.sec.asc" || bail "restore under strace"
sets=$(grep -o 'tresor\.[0-9TZ]*\.\(full\|inc\)\.vol[0-9]*\.gpg' "$WORK/opens" |
    sed 's/\.vol[0-9]*\.gpg$//' | sort -u)
newest=$(ls "$WORK/target" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p' | sort | tail -n 1)
diag "sets whose volumes the restore read: $(echo $sets)"
check "restoring the newest of 60 nights reads the volumes of 2 sets, the full and the newest" \
    test "$(echo "$sets" | grep -c .)" -eq 2 -a "$(echo "$sets" | grep -cx "tresor\.$full")" -eq 1 \
    -a "$(echo "$sets" | grep -cx "tresor\.$newest")" -eq 1

done_testing
