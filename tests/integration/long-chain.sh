#!/bin/sh
# long-chain.sh: a file changed every night for 60 nights restores in about
# the time of restoring it from the full set: every delta is made against
# the file's last whole version, so the newest version is one base and one
# delta, never 60 patches in a row. Prints the measured ratio.
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
best() {	# best of three runs
	b=""
	for r in 1 2 3; do
		rm -rf "$WORK/r"
		t=$(elapsed "$@") || return 1
		b=$(awk -v a="$b" -v t="$t" 'BEGIN { print (a == "" || t < a) ? t : a }')
	done
	echo "$b"
}
t_full=$(best "$TRESOR" restore --quiet --from "$T" --set "$full" --to "$WORK/r" --key-file "$WORK/k.sec.asc")
t_new=$(best "$TRESOR" restore --quiet --from "$T" --to "$WORK/r" --key-file "$WORK/k.sec.asc")
check "the newest version restores identical" cmp "$WORK/src/db/ecs.pgdump" "$WORK/r/db/ecs.pgdump"
ratio=$(awk -v a="$t_new" -v b="$t_full" 'BEGIN { printf "%.2f", a / b }')
diag "restore from the full: $t_full s; newest after 60 nights: $t_new s; ratio $ratio"
check "restoring the newest of 60 nights costs < 3x the full (ratio $ratio)" \
    awk -v r="$ratio" 'BEGIN { exit !(r < 3) }'

done_testing
