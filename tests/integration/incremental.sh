#!/bin/sh
# incremental.sh: incremental sets after a night of typical change store
# little, skip unchanged files without reading them, restore any point in
# time, and survive a lost cache, a moved target, stale and held locks.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
mkdir -p "$WORK/src/vault" "$WORK/target"
V="$WORK/src/vault"
T="file://$WORK/target"
# 400 files of 16-112 KiB in 80 directories (the vault's shape, scaled).
i=0
while [ $i -lt 400 ]; do
	d="$V/$((i % 80))"
	mkdir -p "$d"
	head -c $(( (i % 7 + 1) * 16384 )) /dev/urandom >"$d/doc-$i.pdf"
	i=$((i + 1))
done
backup() {
	"$TRESOR" backup --delta-min-size 8K --to "$T" --key-file "$WORK/k.pub.asc" "$@" "$V"
}

check "night 0: a full backup" \
    sh -c "TRESOR_NOW=$(at 0) '$TRESOR' backup --delta-min-size 8K --to '$T' --key-file '$WORK/k.pub.asc' '$V' | grep -q '^backup: full set'"
full_id=$(ls "$WORK/target" | sed -n 's/^tresor\.\(.*\.full\)\.manifest\.gpg$/\1/p')
full_bytes=$(set_bytes "$WORK/target" "$full_id")
cp -a "$V" "$WORK/snap0"

# Night 1: 1% changed by a 4 KiB write, 1% added, 0.5% deleted.
for n in 5 105 205 305; do
	head -c 4096 /dev/urandom | dd of="$V/$((n % 80))/doc-$n.pdf" bs=4096 seek=1 conv=notrunc 2>/dev/null
done
for n in 1 2 3 4; do head -c 65536 /dev/urandom >"$V/$n/new-$n.pdf"; done
rm "$V/7/doc-7.pdf" "$V/8/doc-8.pdf"
TRESOR_NOW=$(at 1) backup >"$WORK/out1" 2>&1
check "night 1: an incremental backup" grep -q '^backup: incremental set' "$WORK/out1"
diag "$(cat "$WORK/out1")"
check "... it stored 4 deltas and left 394 files unread" \
    grep -q '394 unchanged, 4 deltas' "$WORK/out1"
inc_id=$(ls "$WORK/target" | sed -n 's/^tresor\.\(.*\.inc\)\.manifest\.gpg$/\1/p')
inc_bytes=$(set_bytes "$WORK/target" "$inc_id")
diag "full set $full_bytes bytes, incremental $inc_bytes bytes: $(awk -v a="$inc_bytes" -v b="$full_bytes" 'BEGIN { printf "%.2f%%", 100 * a / b }')"
check "the incremental stores < 3% of the full's bytes" \
    test $((inc_bytes * 100)) -lt $((full_bytes * 3))
cp -a "$V" "$WORK/snap1"

check "restore of the latest state is identical" \
    "$TRESOR" restore --quiet --from "$T" --to "$WORK/r1" --key-file "$WORK/k.sec.asc"
check "... (changed, added and deleted files included)" "$TREEDIFF" "$WORK/snap1" "$WORK/r1/vault"
check "restore --time of night 0 gives night 0's state" \
    "$TRESOR" restore --quiet --from "$T" --to "$WORK/r0" --time "$(at 0)" --key-file "$WORK/k.sec.asc"
check "... identical to the night 0 snapshot" "$TREEDIFF" "$WORK/snap0" "$WORK/r0/vault"
check "restore --time with a date form works" \
    "$TRESOR" restore --quiet --from "$T" --to "$WORK/r0b" --time 2026-01-01T12:00:00Z --key-file "$WORK/k.sec.asc"
check "... and picks night 0" "$TREEDIFF" "$WORK/snap0" "$WORK/r0b/vault"
check "a single changed file restores from the incremental" \
    "$TRESOR" restore --quiet --from "$T" --to "$WORK/r1b" --key-file "$WORK/k.sec.asc" vault/25/doc-105.pdf
check "... identical" cmp "$V/25/doc-105.pdf" "$WORK/r1b/vault/25/doc-105.pdf"
check "verify --read-data checks the deltas too" \
    "$TRESOR" verify --quiet --read-data --from "$T" --key-file "$WORK/k.sec.asc"

# A night without change reads no file content at all.
if command -v strace >/dev/null 2>&1; then
	TRESOR_NOW=$(at 2) under_strace -f -e trace=open,openat -o "$WORK/strace" \
	    "$TRESOR" backup --delta-min-size 8K --quiet --to "$T" --key-file "$WORK/k.pub.asc" "$V"
	check "night 2 (no change): no file under the source is opened" \
	    sh -c "! grep -E '\"(doc|new)-[0-9]+\\.pdf\"' '$WORK/strace' | grep -q ."
else
	check "strace is installed (scripts/setup.sh check installs it)" false
fi

# The cache is only a copy: lost, it is rebuilt from the target.
rm -rf "$WORK/cache"
echo "change" >>"$V/9/doc-9.pdf"
expect_fail "$WORK/err" env TRESOR_NOW=$(at 3) "$TRESOR" backup --delta-min-size 8K --to "$T" \
    --key-file "$WORK/k.pub.asc" "$V"
check "lost cache and only the public key: one line" one_line_error "$WORK/err"
check "... saying the secret key is needed" grep -q 'needs the secret key' "$WORK/err"
TRESOR_NOW=$(at 3) backup --key-file "$WORK/k.sec.asc" >"$WORK/out3" 2>&1
check "lost cache with the secret key: rebuilt, still incremental" \
    grep -q '^backup: incremental set' "$WORK/out3"
cp -a "$V" "$WORK/snap3"
check "... and it restores" \
    sh -c "'$TRESOR' restore --quiet --from '$T' --to '$WORK/r3' --key-file '$WORK/k.sec.asc' && '$TREEDIFF' '$WORK/snap3' '$WORK/r3/vault'"

# A target moved to another URL never uses the old URL's cache.
mv "$WORK/target" "$WORK/target-moved"
for f in "$WORK"/cache/*/manifest.*; do echo garbage >"$f"; done
check "the moved target (new URL) backs up, rebuilding its own cache" \
    sh -c "TRESOR_NOW=$(at 4) '$TRESOR' backup --delta-min-size 8K --quiet --to 'file://$WORK/target-moved' --key-file '$WORK/k.sec.asc' '$V'"
check "... into a second cache directory" test "$(ls "$WORK/cache" | wc -l)" -eq 2
mv "$WORK/target-moved" "$WORK/target"
check "a cache whose manifest copy is damaged is rebuilt, not trusted" \
    sh -c "TRESOR_NOW=$(at 5) '$TRESOR' backup --delta-min-size 8K --quiet --to '$T' --key-file '$WORK/k.sec.asc' '$V'"
d=$(dirname "$(grep -lx "$T" "$WORK"/cache/*/url)")
echo "file:///somewhere/else" >"$d/url"
expect_fail "$WORK/err" env TRESOR_NOW=$(at 6) "$TRESOR" backup --delta-min-size 8K --to "$T" \
    --key-file "$WORK/k.sec.asc" "$V"
check "a cache directory that names another URL is refused" grep -q 'belongs to file:///somewhere/else' "$WORK/err"
rm -rf "$WORK/cache"

# Locks.
check "a backup leaves no lock behind" test ! -e "$WORK/target/tresor.lock"
printf 'tresor-lock 1\nhost otherhost\npid 4242\ntime %s\nop backup\n' "$(date -u -d @$(at 5) +%Y-%m-%dT%H:%M:%SZ)" >"$WORK/target/tresor.lock"
cp "$WORK/target/tresor.lock" "$WORK/other-host.lock"
expect_fail "$WORK/err" env TRESOR_NOW=$(at 9) "$TRESOR" backup --no-lock-takeover --delta-min-size 8K --to "$T" --key-file "$WORK/k.sec.asc" "$V"
check "another host's stale lock (4 days old) with --no-lock-takeover: one line" one_line_error "$WORK/err"
check "... naming its holder and --break-lock" grep -q 'host otherhost pid 4242.*stale.*--break-lock' "$WORK/err"
check "... and the lock stays" cmp -s "$WORK/target/tresor.lock" "$WORK/other-host.lock"
expect_fail "$WORK/err" env TRESOR_NOW=$(at 5) "$TRESOR" backup --delta-min-size 8K --to "$T" --key-file "$WORK/k.sec.asc" "$V"
check "another host's fresh lock is reported as held" grep -q 'locked by backup by host otherhost' "$WORK/err"
check "... naming when it would be taken over" grep -q 'taken over once older than 86400 s' "$WORK/err"
expect_fail "$WORK/err" env TRESOR_NOW=$(at 6) "$TRESOR" backup --lock-stale-after 2D --delta-min-size 8K --to "$T" --key-file "$WORK/k.sec.asc" "$V"
check "... and still held a day later with --lock-stale-after 2D" grep -q 'another run is using it' "$WORK/err"
TRESOR_NOW=$(at 9) "$TRESOR" backup --delta-min-size 8K --quiet --to "$T" --key-file "$WORK/k.sec.asc" "$V" 2>"$WORK/err"
check "another host's stale lock is taken over without a flag" test $? -eq 0
# (The cache was removed above: the seal chain's note about that aside.)
check "... with one warning naming host, pid and age" \
    sh -c "[ \$(grep -vc 'the rollback check restarts there' '$WORK/err') -eq 1 ] && grep -q 'warning: taking over the stale lock of backup by host otherhost pid 4242 since .* it is 345600 s old' '$WORK/err'"
check "... and releases its own lock" test ! -e "$WORK/target/tresor.lock"
cp "$WORK/other-host.lock" "$WORK/target/tresor.lock"
check "--break-lock removes even a fresh lock and backs up" \
    sh -c "TRESOR_NOW=$(at 10) '$TRESOR' backup --delta-min-size 8K --quiet --break-lock --to '$T' --key-file '$WORK/k.sec.asc' '$V' 2>/dev/null"
check "... and releases its own lock" test ! -e "$WORK/target/tresor.lock"

# This host's locks: a dead pid, or a pid that runs another program, is
# taken over at once; a live tresor run is not.
sleep 30 &
other=$!
sleep 1 & dead=$!
wait $dead
for holder in "$dead:a dead pid:that process is not running" "$other:a pid running another program:that pid now runs another program"; do
	pid=${holder%%:*}
	rest=${holder#*:}
	what=${rest%%:*}
	why=${rest#*:}
	printf 'tresor-lock 1\nhost %s\nboot %s\npid %s\nprog tresor\ntime %s\nop backup\n' "$(hostname)" \
	    "$(cat /proc/sys/kernel/random/boot_id)" "$pid" "$(date -u -d @$(at 10) +%Y-%m-%dT%H:%M:%SZ)" >"$WORK/target/tresor.lock"
	"$TRESOR" purge --from "$T" --older-than 1Y 2>"$WORK/err" >/dev/null
	check "this host's lock with $what is taken over by purge" test $? -eq 0
	check "... with a warning saying why" grep -q "taking over the lock of backup by host $(hostname) pid $pid.*$why" "$WORK/err"
done
printf 'tresor-lock 1\nhost %s\nboot 00000000-0000-0000-0000-000000000000\npid %s\nprog tresor\ntime %s\nop backup\n' "$(hostname)" \
    "$other" "$(date -u -d @$(at 10) +%Y-%m-%dT%H:%M:%SZ)" >"$WORK/target/tresor.lock"
"$TRESOR" cleanup --from "$T" 2>"$WORK/err" >/dev/null
check "this host's lock from an earlier boot is taken over by cleanup" test $? -eq 0
check "... saying the host restarted" grep -q 'this host has restarted since' "$WORK/err"
kill $other 2>/dev/null
wait $other 2>/dev/null
# A live tresor run on this host: its own lock is respected.
mkdir -p "$WORK/fake" && cp "$(command -v sleep)" "$WORK/fake/tresor"
"$WORK/fake/tresor" 30 &
live=$!
# Until it has exec'd: before that its name is the shell's, and the lock
# would name another program (under load 0.3 s was not always enough).
n=0
while [ "$(cat /proc/$live/comm 2>/dev/null)" != tresor ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
printf 'tresor-lock 1\nhost %s\nboot %s\npid %s\nprog %s\ntime %s\nop backup\n' "$(hostname)" \
    "$(cat /proc/sys/kernel/random/boot_id)" "$live" "$(cat /proc/$live/comm)" "$(date -u -d @$(at 10) +%Y-%m-%dT%H:%M:%SZ)" >"$WORK/target/tresor.lock"
expect_fail "$WORK/err" env TRESOR_NOW=$(at 20) "$TRESOR" backup --delta-min-size 8K --to "$T" --key-file "$WORK/k.sec.asc" "$V"
check "this host's lock whose holder still runs is refused, however old" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'still going on this host' '$WORK/err'"
kill $live 2>/dev/null
wait $live 2>/dev/null
rm -f "$WORK/target/tresor.lock"

# Two runs at once on this machine: the second refuses at once.
# The lock is held until both runs have been refused, not for a fixed
# time: on a loaded machine (or at -O0 for coverage) a run may take more
# than 3 s to reach the lock.
lockfile=$(ls -d "$WORK"/cache/*)/lock
rm -f "$WORK/lock-held" "$WORK/lock-release"
flock "$lockfile" sh -c 'touch "$1-held"; while [ ! -e "$1-release" ]; do sleep 0.1; done' \
    sh "$WORK/lock" &
holder=$!
n=0
while [ ! -e "$WORK/lock-held" ] && [ $n -lt 600 ]; do sleep 0.1; n=$((n + 1)); done
expect_fail "$WORK/err" env TRESOR_NOW=$(at 10) "$TRESOR" backup --delta-min-size 8K --to "$T" --key-file "$WORK/k.sec.asc" "$V"
check "a concurrent backup refuses: one line" one_line_error "$WORK/err"
check "... saying another run uses the target" grep -q 'another tresor run is using this target' "$WORK/err"
expect_fail "$WORK/err" env TRESOR_NOW=$(at 10) "$TRESOR" purge --from "$T" --older-than 1D --force
check "a purge during a backup refuses too" grep -q 'another tresor run' "$WORK/err"
touch "$WORK/lock-release"
wait $holder

# By default only files of 1 MiB and more get a signature (and so a delta):
# a changed 300 KiB document is stored whole, a changed 2 MiB one as a delta.
D="$WORK/default-src"
mkdir -p "$D"
head -c 307200 /dev/urandom >"$D/small.pdf"
head -c 2097152 /dev/urandom >"$D/medium.pdf"
head -c 17825792 /dev/urandom >"$D/large.img"
mkdir "$WORK/target-default"
TRESOR_NOW=$(at 20) "$TRESOR" backup --quiet --to "file://$WORK/target-default" \
    --key-file "$WORK/k.pub.asc" "$D" || bail "default full"
for f in small.pdf medium.pdf large.img; do
	head -c 4096 /dev/urandom | dd of="$D/$f" bs=4096 seek=1 conv=notrunc 2>/dev/null
done
TRESOR_NOW=$(at 21) "$TRESOR" backup --to "file://$WORK/target-default" \
    --key-file "$WORK/k.pub.asc" "$D" >"$WORK/out-default" 2>&1
check "default --delta-min-size 16M: only the 17 MiB file is a delta" \
    grep -q '(3 files: 0 unchanged, 1 deltas)' "$WORK/out-default"
check "--delta-min-size takes bytes, K, M or G only" \
    expect_fail "$WORK/err" "$TRESOR" backup --delta-min-size 1T --to "$T" \
    --key-file "$WORK/k.pub.asc" "$D"
check "... and refuses a size that does not fit in 64 bits" \
    expect_fail "$WORK/err" "$TRESOR" backup --delta-min-size 99999999999G \
    --to "$T" --key-file "$WORK/k.pub.asc" "$D"

done_testing
