#!/bin/sh
# restore-stream-faults.sh: the failure paths of a delta whose base streams
# into its patch (restore.c, format/filter/patchstream.c), and more of
# restore/'s error branches. Over a full set and an incremental whose
# newest state of most files is a delta (forward ones, one backward, and
# twelve small ones, more than wait open when descriptors are few):
#
#  - the base's volume damaged mid-stream, the delta's volume damaged (its
#    base then comes with no delta), the base's volume missing (the deltas
#    wait for bases that never come, some under names): each file is named
#    as not restored, the run fails, nothing wrong is under a final name,
#    no scratch file is left;
#  - the disk full under the patch's output and under a named delta spool
#    (faultshim write/open ENOSPC), and the patch thread that cannot start
#    (pthread_create EAGAIN: restore falls back to a scratch base,
#    identical): failure in one line, or an identical file;
#  - manifests that lie about a delta's hash, its base's hash or size;
#  - a destination where nothing can be created, a restored file whose
#    close fails, a directory whose times cannot be set; restore --force
#    over an entry that cannot be removed; fetch --force whose temporary
#    cannot be linked or closed; fetch of a hard link and a sparse file;
#  - a selective restore that skips a middle volume; a killed restore's
#    scratch that cannot be removed (a warning);
#  - ls into a full stdout, verify and restore of an incremental whose full
#    set lost its manifest, status --json listing an incomplete set,
#    verify with a key file that holds no key.
#
# The write sweeps fail the Nth call for N in 1 2 3 (CI); with
# TRESOR_FAULT_SWEEP=full they go on until the shim logs no failure. The
# pthread_create sweep always goes on until then (a handful of runs).
. "$TOP_SRCDIR/tests/integration/lib.sh"

use_faultshim

make_key k
V=$WORK/vault
mkdir -p "$V/sub" "$V/emptydir" "$V/many" "$WORK/t"
# More deltas than wait open (8 when the descriptors are few, as below):
# the others wait under a name in a scratch directory.
i=0
while [ $i -lt 12 ]; do
	head -c 20000 /dev/urandom >"$V/many/m$i"
	i=$((i + 1))
done
T=file://$WORK/t
head -c 3000000 /dev/urandom >"$V/fwd"
head -c 200000 /dev/urandom >"$V/sub/small"
printf 'plain\n' >"$V/sub/plain"
ln -s plain "$V/sub/link"
ln "$V/sub/plain" "$V/sub/hard"
truncate -s 2M "$V/holes"
printf 'x' | dd of="$V/holes" bs=1 seek=1048576 conv=notrunc 2>/dev/null
mkdir -p "$V/back"
head -c 300000 /dev/urandom >"$V/back/swap"
backup() {
	"$TRESOR" backup --quiet --delta-min-size 8K --to "$T" \
	    --key-file "$WORK/k.pub.asc" "$V"
}
TRESOR_NOW=$(at 0) backup || bail "full backup"
printf 'CHANGED' | dd of="$V/fwd" bs=1 seek=1500000 conv=notrunc 2>/dev/null
printf 'changed' | dd of="$V/sub/small" bs=1 seek=100000 conv=notrunc 2>/dev/null
# Halves swapped: a delta whose copies run backward (a scratch base).
{ tail -c 150000 "$V/back/swap"; head -c 150000 "$V/back/swap"; } >"$WORK/swapped"
cat "$WORK/swapped" >"$V/back/swap"
i=0
while [ $i -lt 12 ]; do
	printf 'changed' | dd of="$V/many/m$i" bs=1 seek=10000 conv=notrunc 2>/dev/null
	i=$((i + 1))
done
TRESOR_NOW=$(at 1) backup || bail "incremental"
full=$(ls "$WORK/t" | sed -n 's/^tresor\.\(.*\.full\)\.manifest\.gpg$/\1/p')
inc=$(ls "$WORK/t" | sed -n 's/^tresor\.\(.*\.inc\)\.manifest\.gpg$/\1/p')
[ -n "$full" ] && [ -n "$inc" ] || bail "no full and incremental set"
check "the incremental holds deltas (its volume is small)" \
    test "$(wc -c <"$WORK/t/tresor.$inc.vol000001.gpg")" -lt 100000

REAL=$WORK/bin/.real/tresor
[ -x "$REAL" ] || bail "$REAL: no copy of tresor (lib.sh makes it)"
# no_leftovers DIR: no temporary or scratch name under DIR.
no_leftovers() {
	! find "$1" \( -name '*tresor-tmp*' -o -name '*tresor-scratch*' \
	    -o -name '.tresor*' \) 2>/dev/null | grep -q .
}
# no_wrong_bytes DEST: every regular file under DEST/vault is the source's.
no_wrong_bytes() {
	[ -d "$1/vault" ] || return 0
	(cd "$1/vault" && find . -type f) | while IFS= read -r f; do
		cmp -s "$1/vault/$f" "$V/$f" ||
		    { diag "wrong bytes under a final name: $f"; echo bad; }
	done | { ! grep -q bad; }
}
# copy_target NAME: $WORK/NAME, a copy of the target.
copy_target() {
	rm -rf "${WORK:?}/$1"
	cp -a "$WORK/t" "$WORK/$1" || bail "copy of the target"
}
# damage FILE: four bytes in its middle flipped.
damage() {
	size=$(wc -c <"$1")
	printf '\377\377\377\377' |
	    dd of="$1" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
}
restore_() {
	rm -rf "$WORK/out"
	mkdir -p "$WORK/out"
	"$TRESOR" restore --quiet --from "file://$WORK/$1" --to "$WORK/out/r" \
	    --key-file "$WORK/k.sec.asc" 2>"$WORK/err"
}

# --- 1. the base's volume damaged mid-stream ----------------------------------
copy_target tdmg
damage "$WORK/tdmg/tresor.$full.vol000001.gpg"
restore_ tdmg
check "base damaged mid-stream: restore fails" test $? -ne 0
check "... names fwd as not restored" \
    grep -q "not restored: 'vault/fwd'" "$WORK/err"
check "... its last line says an object could not be read" \
    sh -c "tail -n 1 '$WORK/err' | grep -q 'could not be read'"
check "... fwd is not under its final name" test ! -e "$WORK/out/r/vault/fwd"
check "... no wrong bytes under a final name" no_wrong_bytes "$WORK/out/r"
check "... no temporary or scratch file left" no_leftovers "$WORK/out"
rm -rf "$WORK/out"
mkdir -p "$WORK/out"
"$TRESOR" fetch --quiet --from "file://$WORK/tdmg" --key-file "$WORK/k.sec.asc" \
    vault/fwd "$WORK/out/fwd" 2>"$WORK/err"
check "fetch of the damaged base: fails" test $? -ne 0
check "... nothing at the target, no temporary" \
    sh -c "[ ! -e '$WORK/out/fwd' ] && ! ls -A '$WORK/out' | grep -q ."

# The whole tree restores, identical.
restore_ t
check "without a fault the whole vault restores (exit 0)" test $? -eq 0
check "... identical" "$TREEDIFF" "$V" "$WORK/out/r/vault"

# --- 2. the delta's volume damaged: its base comes without it -----------------
copy_target tdel
damage "$WORK/tdel/tresor.$inc.vol000001.gpg"
restore_ tdel
check "delta damaged: restore fails" test $? -ne 0
check "... names fwd as not restored" \
    grep -q "not restored: 'vault/fwd'" "$WORK/err"
check "... no wrong bytes under a final name" no_wrong_bytes "$WORK/out/r"
check "... no temporary or scratch file left" no_leftovers "$WORK/out"

# --- 3. the base's volume missing: the delta waits for nothing ----------------
copy_target tgone
rm -f "$WORK/tgone/tresor.$full.vol000001.gpg"
(ulimit -n 128 && restore_ tgone)
check "base volume missing: restore fails" test $? -ne 0
check "... names fwd and the twelve others as not restored" \
    sh -c "grep -q \"not restored: 'vault/fwd'\" '$WORK/err' &&
    [ \$(grep -c \"not restored: 'vault/many/\" '$WORK/err') -eq 12 ]"
check "... no wrong bytes under a final name" no_wrong_bytes "$WORK/out/r"
check "... no temporary or scratch file left" no_leftovers "$WORK/out"

# --- 4. the disk fills under the patch's output; no patch thread -------------
LOG=$WORK/fault.log
# faulty CALL N ERRNO PART COMMAND...: COMMAND under the shim; its stderr
# in $WORK/err, its status in $rc; $hit says whether the fault happened.
faulty() {
	fcall=$1 fn=$2 ferr=$3 fpart=$4
	shift 4
	: >"$LOG"
	LD_PRELOAD=$SHIM TRESOR_FAULT="$fcall:$fn:$ferr${fpart:+:$fpart}" \
	    TRESOR_FAULT_LOG="$LOG" "$@" >/dev/null 2>"$WORK/err"
	rc=$?
	hit=no
	[ -s "$LOG" ] && hit=yes
}
rrestore() {
	"$REAL" restore --quiet --sign-pubkey "$WORK/sign.pub.asc" \
	    --from "$T" --to "$WORK/out/r" --key-file "$WORK/k.sec.asc" "$@"
}
sweep_ns() {
	if [ "${TRESOR_FAULT_SWEEP:-}" = full ]; then
		seq 1 100000
	else
		echo 1 2 3
	fi
}
for path in vault/fwd vault/sub/small; do
	bad= hits=0
	for n in $(sweep_ns); do
		rm -rf "$WORK/out"
		mkdir -p "$WORK/out"
		faulty write $n ENOSPC "$WORK/out" rrestore "$path"
		[ $hit = yes ] || break
		hits=$((hits + 1))
		if [ $rc -eq 0 ] || ! one_line_error "$WORK/err"; then
			bad="$bad $n(rc=$rc)"
			diag "write:$n $path: $(cat "$WORK/err")"
		fi
		no_wrong_bytes "$WORK/out/r" || bad="$bad $n(wrong)"
		no_leftovers "$WORK/out" || bad="$bad $n(left)"
	done
	diag "$path write: $hits failing runs"
	check "$path, disk full under the patch: every run fails in one line, nothing wrong or left${bad:+ (not:$bad)}" \
	    test -z "$bad" -a $hits -gt 0
done
# The patch's thread is not the first one restore starts: every N, until
# the shim fails none (a dozen runs of a second each).
bad= hits=0 inline=0
for n in $(seq 1 40); do
	rm -rf "$WORK/out"
	mkdir -p "$WORK/out"
	faulty pthread_create $n EAGAIN "" rrestore vault/fwd
	[ $hit = yes ] || break
	hits=$((hits + 1))
	if [ $rc -eq 0 ]; then
		cmp -s "$V/fwd" "$WORK/out/r/vault/fwd" || bad="$bad $n(wrong)"
		inline=$((inline + 1))
	elif ! one_line_error "$WORK/err"; then
		bad="$bad $n(rc=$rc)"
		diag "pthread_create:$n: $(cat "$WORK/err")"
	fi
	no_wrong_bytes "$WORK/out/r" || bad="$bad $n(wrong)"
	no_leftovers "$WORK/out" || bad="$bad $n(left)"
done
diag "pthread_create: $hits failing runs, $inline of them whole"
check "no thread: identical or one line, nothing wrong or left${bad:+ (not:$bad)}" \
    test -z "$bad" -a $hits -gt 0
check "... some run without a thread still restores (the scratch fallback)" \
    test $inline -gt 0

# The deltas past the 8th wait under names in a scratch directory (with
# few descriptors): their directory cannot be made (mkdtemp), one cannot
# be created, one cannot be written.
for call in mkdtemp open write; do
	rm -rf "$WORK/out"
	mkdir -p "$WORK/out"
	(ulimit -n 128 && faulty $call 1 ENOSPC .tresor-scratch. rrestore; exit $rc)
	rc=$?
	[ -s "$LOG" ] && hit=yes || hit=no
	check "a named delta spool, $call fails: restore fails in one line" \
	    sh -c "[ $rc -ne 0 ] && [ $hit = yes ] && [ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'No space left on device' '$WORK/err' && grep -q '/.tresor-scratch.' '$WORK/err'"
	diag "$(cat "$WORK/err")"
	check "... no wrong bytes under a final name" no_wrong_bytes "$WORK/out/r"
	check "... no temporary or scratch file left" no_leftovers "$WORK/out"
done

# --- 5. a manifest that lies about the delta or its base --------------------
# edit_manifest NAME SET REGEX REPLACEMENT...: in target $WORK/NAME (a copy
# of the target without its seals: read with --allow-unsigned), set SET's
# manifest passed through re.sub(REGEX, REPLACEMENT, flags=re.M), each pair
# in turn
# (craft-set.py's unwrapping and wrapping).
edit_manifest() {
	copy_target "$1"
	rm -f "$WORK/$1"/*.seal.asc
	em_name=$1 em_set=$2
	shift 2
	"${PYTHON:-python3}" - "$TOP_SRCDIR/tests/integration/craft-set.py" \
	    "$WORK/$em_name/tresor.$em_set.manifest.gpg" "$WORK/gnupg-k" "$@" <<'PY' ||
import importlib.util, re, sys
spec = importlib.util.spec_from_file_location("craft", sys.argv[1])
craft = importlib.util.module_from_spec(spec)
spec.loader.exec_module(craft)
path, home = sys.argv[2:4]
new = text = craft.unwrap(path, home).decode()
for regex, repl in zip(sys.argv[4::2], sys.argv[5::2]):
    old, new = new, re.sub(regex, repl, new, flags=re.M)
    if new == old:
        sys.exit("edit_manifest: %s matched nothing" % regex)
craft.wrap(new.encode(), path, home, "k@tresor.invalid")
PY
	    bail "edit_manifest $*"
}
# lied NAME WORDS [FILE]: restore from $WORK/NAME fails, the cause has
# WORDS, FILE (fwd by default) is not under its final name, nothing wrong
# or left behind.
lied() {
	lied_file=${3:-fwd}
	rm -rf "$WORK/out"
	mkdir -p "$WORK/out"
	"$TRESOR" restore --quiet --allow-unsigned --from "file://$WORK/$1" \
	    --to "$WORK/out/r" --key-file "$WORK/k.sec.asc" 2>"$WORK/err"
	rc=$?
	diag "$1: $(tail -n 1 "$WORK/err")"
	check "$1: restore fails" test $rc -ne 0
	check "... saying that $2" grep -q "$2" "$WORK/err"
	check "... $lied_file is not under its final name" \
	    test ! -e "$WORK/out/r/vault/$lied_file"
	check "... no wrong bytes under a final name" no_wrong_bytes "$WORK/out/r"
	check "... no temporary or scratch file left" no_leftovers "$WORK/out"
}
H0=0000000000000000000000000000000000000000000000000000000000000000
edit_manifest tbsha "$inc" '^(f path=vault/fwd .* bsha256=)[0-9a-f]{64}' "\\g<1>$H0"
lied tbsha "the base of 'vault/fwd' does not match its manifest hash"
edit_manifest tdsha "$inc" '^(f path=vault/fwd .* dsha256=)[0-9a-f]{64}' "\\g<1>$H0"
lied tdsha "the delta of 'vault/fwd' does not match its manifest hash"
edit_manifest tbsize "$inc" '^(f path=vault/fwd .* bsize=)[0-9]+' '\g<1>1000'
lied tbsize "patching .vault/fwd.: malformed delta: it copies from offset 1000, past the end"

# A directory missing from the manifest: restore makes it for its file; or
# cannot (mkdirat EACCES), and says so in one line.
# (The end line counts the entries: one fewer.)
edit_manifest tnodir "$inc" '^d path=vault/back .*\n' '' \
    '^end entries=24 ' 'end entries=23 '
rm -rf "$WORK/out"
mkdir -p "$WORK/out"
"$TRESOR" restore --quiet --allow-unsigned --from "file://$WORK/tnodir" \
    --to "$WORK/out/r" --key-file "$WORK/k.sec.asc" 2>"$WORK/err"
check "a directory missing from the manifest: restore exits 0" test $? -eq 0
diag "$(cat "$WORK/err")"
check "... its file is restored into it, identical" cmp -s "$V/back/swap" "$WORK/out/r/vault/back/swap"
rm -rf "$WORK/out"
mkdir -p "$WORK/out"
faulty mkdirat 1 EACCES "$WORK/out/r/vault/back" "$REAL" restore --quiet --allow-unsigned \
    --sign-pubkey "$WORK/sign.pub.asc" --from "file://$WORK/tnodir" \
    --to "$WORK/out/r" --key-file "$WORK/k.sec.asc"
# (Its line follows --allow-unsigned's warning.)
check "... and when it cannot be made: fails in one line" \
    sh -c "[ $rc -ne 0 ] && [ $hit = yes ] && [ \$(grep -vc '^tresor: warning: ' '$WORK/err') -eq 1 ] &&
    tail -n 1 '$WORK/err' | grep -q \"unable to create directory for '$WORK/out/r/vault/back/swap'\""
check "... not blamed on the delta being patched when it came to light" \
    sh -c "! grep -q 'patching' '$WORK/err'"
diag "$(tail -n 1 "$WORK/err")"
check "... no wrong bytes under a final name" no_wrong_bytes "$WORK/out/r"
check "... no temporary left" no_leftovers "$WORK/out"

# --- 6. --force over entries that cannot be removed or replaced ---------------
rm -rf "$WORK/out"
mkdir -p "$WORK/out"
rrestore >/dev/null 2>&1 || bail "restore"
faulty unlinkat 1 EACCES "$WORK/out" rrestore --force
check "restore --force, the old entry cannot be removed: fails" test $rc -ne 0 -a $hit = yes
check "... in one line saying what" \
    sh -c "one_line() { [ \$(wc -l <'$WORK/err') -eq 1 ]; }; one_line && grep -q 'unable to replace' '$WORK/err'"
check "... the files there are still the source's" no_wrong_bytes "$WORK/out/r"
rm -rf "$WORK/out"
mkdir -p "$WORK/out"
printf 'old\n' >"$WORK/out/f"
rfetch() {
	"$REAL" fetch --quiet --sign-pubkey "$WORK/sign.pub.asc" --force \
	    --from "$T" --key-file "$WORK/k.sec.asc" vault/sub/small "$WORK/out/f"
}
faulty linkat 1 ENOSPC "$WORK/out" rfetch
check "fetch --force, the temporary cannot be named: fails in one line" \
    sh -c "[ $rc -ne 0 ] && [ $hit = yes ] && [ \$(wc -l <'$WORK/err') -eq 1 ]"
check "... the old file is untouched, no temporary" \
    sh -c "[ \"\$(cat '$WORK/out/f')\" = old ] && [ \$(ls -A '$WORK/out' | wc -l) -eq 1 ]"
bad= hits=0
for n in $(sweep_ns); do
	# The nameless temporary: its descriptor names DIR/#INODE (deleted).
	faulty close $n EIO "$WORK/out/#" rfetch
	[ $hit = yes ] || break
	hits=$((hits + 1))
	if [ $rc -eq 0 ]; then
		cmp -s "$WORK/out/f" "$V/sub/small" || bad="$bad $n(wrong)"
	elif [ "$(wc -l <"$WORK/err")" -ne 1 ]; then
		bad="$bad $n(lines)"
	fi
	[ "$(ls -A "$WORK/out" | wc -l)" -eq 1 ] || bad="$bad $n(left)"
	printf 'old\n' >"$WORK/out/f"
done
check "fetch --force, close fails: one line, old or new file, no temporary${bad:+ (not:$bad)}" \
    test -z "$bad" -a $hits -gt 0

# --- 7. the destination refuses a file or a directory's metadata -------------
# Every create in vault/sub fails, nameless or named.
rm -rf "$WORK/out"
mkdir -p "$WORK/out"
faulty openat 0 EACCES "$WORK/out/r/vault/sub" rrestore
check "no file can be created in a directory: restore fails" \
    test $rc -ne 0 -a $hit = yes
check "... in one line naming the file" \
    sh -c "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q \"unable to create '$WORK/out/r/vault/sub/\" '$WORK/err'"
check "... no wrong bytes under a final name" no_wrong_bytes "$WORK/out/r"
check "... no temporary left" no_leftovers "$WORK/out"
# The same for a delta patched from a scratch base.
rm -rf "$WORK/out"
mkdir -p "$WORK/out"
faulty openat 0 EACCES "$WORK/out/r/vault/back" rrestore vault/back/swap
check "a backward delta's file cannot be created: restore fails in one line" \
    sh -c "[ $rc -ne 0 ] && [ $hit = yes ] && [ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q \"unable to create '$WORK/out/r/vault/back/\" '$WORK/err'"
check "... no temporary left" no_leftovers "$WORK/out"
# The restored file's close (its descriptor names DIR/#INODE (deleted)).
rm -rf "$WORK/out"
mkdir -p "$WORK/out"
faulty close 1 EIO "$WORK/out/r/vault/sub/#" rrestore
check "a restored file's close fails: restore fails in one line" \
    sh -c "[ $rc -ne 0 ] && [ $hit = yes ] && [ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'unable to write' '$WORK/err'"
check "... no wrong bytes under a final name" no_wrong_bytes "$WORK/out/r"
check "... no temporary left" no_leftovers "$WORK/out"
# A directory's times, set at the end (emptydir has no entries of its own).
rm -rf "$WORK/out"
mkdir -p "$WORK/out"
faulty utimensat 1 EPERM "vault/emptydir" rrestore
check "a directory's times cannot be set: restore fails in one line" \
    sh -c "[ $rc -ne 0 ] && [ $hit = yes ] && [ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'emptydir' '$WORK/err'"
check "... the files restored are the source's" \
    sh -c "cmp -s '$V/fwd' '$WORK/out/r/vault/fwd' && cmp -s '$V/sub/small' '$WORK/out/r/vault/sub/small'"
check "... no temporary left" no_leftovers "$WORK/out"

# --- 8. ls, verify, status ------------------------------------------------------
"$TRESOR" ls --from "$T" --key-file "$WORK/k.sec.asc" >/dev/full 2>"$WORK/err"
check "ls into a full stdout: fails" test $? -ne 0
check "... in one line" one_line_error "$WORK/err"
check "... saying so" grep -q 'unable to write the listing' "$WORK/err"
copy_target tnofull
# Without the seals (which would name the deleted set first): unsigned.
rm -f "$WORK/tnofull/tresor.$full.manifest.gpg" "$WORK"/tnofull/*.seal.asc
"$TRESOR" verify --quiet --from "file://$WORK/tnofull" --key-file "$WORK/k.sec.asc" \
    --set "$inc" --allow-unsigned >/dev/null 2>"$WORK/err"
check "verify of an incremental whose full set lost its manifest: fails" \
    test $? -ne 0
check "... its last line names the missing manifest" \
    sh -c "tail -n 1 '$WORK/err' | grep -q \"it needs set $full, whose manifest 'tresor.$full.manifest.gpg' is missing\""
rm -rf "$WORK/out"
mkdir -p "$WORK/out"
"$TRESOR" restore --quiet --allow-unsigned --from "file://$WORK/tnofull" \
    --to "$WORK/out/r" --key-file "$WORK/k.sec.asc" 2>"$WORK/err"
check "restore of that incremental: fails" test $? -ne 0
check "... its last line names the missing set" \
    sh -c "tail -n 1 '$WORK/err' | grep -q \"set $full, which $inc needs, is not in\""
check "... and names what is lost with it" \
    grep -q "not restored: 'vault/sub/plain'" "$WORK/err"
check "... no wrong bytes under a final name" no_wrong_bytes "$WORK/out/r"
check "... no temporary left" no_leftovers "$WORK/out"
"$TRESOR" status --json --from "file://$WORK/tnofull" >"$WORK/status.json" 2>"$WORK/err"
check "status --json with an incomplete set: exit 0" test $? -eq 0
check "... lists it as incomplete" \
    sh -c "grep -q '\"incomplete\":\\[{[^]]*$full' '$WORK/status.json'"

# fetch: a hard link (its first name's data), a sparse file (holes written
# as zeros into a plain file).
rm -rf "$WORK/out"
mkdir -p "$WORK/out"
for name in hard plain; do
	"$TRESOR" fetch --quiet --from "$T" --key-file "$WORK/k.sec.asc" \
	    "vault/sub/$name" "$WORK/out/$name" 2>"$WORK/err"
	check "fetch of either name of a hard link ($name): exit 0, its data" \
	    sh -c "[ $? -eq 0 ] && cmp -s '$V/sub/plain' '$WORK/out/$name'"
done
"$TRESOR" fetch --quiet --from "$T" --key-file "$WORK/k.sec.asc" vault/holes - \
    2>"$WORK/err" | cmp -s - "$V/holes"
check "fetch of a sparse file to stdout: identical" test $? -eq 0

# --- 9. volumes skipped; stale scratch that cannot be removed --------------
# 1 MiB volumes: a-w1 in the first, b-big across all, c-w3 in the last.
# Restoring a-w1 and c-w3 reads the first and the last: the first ends
# inside b-big (skipped), and the last starts without the ones between.
mkdir -p "$WORK/mv/v" "$WORK/tmv"
printf 'one\n' >"$WORK/mv/v/a-w1"
head -c 3600000 /dev/urandom >"$WORK/mv/v/b-big"
printf 'three\n' >"$WORK/mv/v/c-w3"
"$TRESOR" backup --quiet --volsize 1 --to "file://$WORK/tmv" \
    --key-file "$WORK/k.pub.asc" "$WORK/mv/v" || bail "backup in 1 MiB volumes"
# Four, give or take one: volumes are cut on an estimate that counts bytes
# still queued before zstd (docs/ARCHITECTURE.md), and the queue's fill
# depends on timing (a sanitizer build cut 2.6 MB into 2, 3 or 4).
nvol=$(ls "$WORK/tmv" | grep -c '\.vol0000')
diag "$nvol volumes"
check "three volumes or more: one between the first and the last" \
    test "$nvol" -ge 3
rm -rf "$WORK/out"
mkdir -p "$WORK/out"
"$TRESOR" restore --quiet --from "file://$WORK/tmv" --to "$WORK/out/r" \
    --key-file "$WORK/k.sec.asc" v/a-w1 v/c-w3 2>"$WORK/err"
check "the first and last volume's files, the middle volume skipped: exit 0" \
    test $? -eq 0
check "... both identical, the big one not restored" \
    sh -c "cmp -s '$WORK/mv/v/a-w1' '$WORK/out/r/v/a-w1' &&
    cmp -s '$WORK/mv/v/c-w3' '$WORK/out/r/v/c-w3' && [ ! -e '$WORK/out/r/v/b-big' ]"
# A killed restore's scratch in the destination (its pid is not running),
# which cannot be removed: a warning, and the restore goes on.
rm -rf "$WORK/out"
mkdir -p "$WORK/out/r"
: >"$WORK/out/r/.tresor-scratch.999999.abcdef"
faulty unlinkat 1 EIO .tresor-scratch.999999 "$REAL" restore --quiet \
    --sign-pubkey "$WORK/sign.pub.asc" --from "file://$WORK/tmv" \
    --to "$WORK/out/r" --key-file "$WORK/k.sec.asc" v/a-w1
check "stale scratch that cannot be removed: restore exits 0" \
    test $rc -eq 0 -a $hit = yes
check "... with a warning saying so" \
    grep -q "warning: unable to remove '$WORK/out/r/.tresor-scratch.999999.abcdef', left by an interrupted restore" "$WORK/err"
check "... the file is restored" cmp -s "$WORK/mv/v/a-w1" "$WORK/out/r/v/a-w1"

# A key file that is no key: verify fails before reading a manifest (with
# a cache that has none), and before reading data (with one that has).
printf 'not a key\n' >"$WORK/nokey.asc"
TRESOR_CACHE_DIR=$WORK/fresh-cache "$TRESOR" verify --quiet --from "$T" \
    --key-file "$WORK/nokey.asc" >/dev/null 2>"$WORK/err"
check "verify with a key file that is no key: fails" test $? -ne 0
check "... in one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
"$TRESOR" verify --quiet --read-data --from "$T" \
    --key-file "$WORK/nokey.asc" >/dev/null 2>"$WORK/err"
check "verify --read-data with a key file that is no key: fails" test $? -ne 0
check "... in one line" one_line_error "$WORK/err"
diag "$(cat "$WORK/err")"
# --- 10. a base whose bytes are not the ones backed up -----------------------
# A forged full set, read with --allow-unsigned: one byte of a base
# flipped inside its volume, which is re-encrypted and given its new size
# and sha256 in the manifest, so every check of the volume passes. A base
# is not hashed on its own (restore.c: its size and recorded hash are
# checked, its bytes only through the patch's output): the output's
# SHA-256 must catch it, in the streamed path (fwd, whose copies run
# forward) and in the scratch path (back/swap).
# forge NAME NEEDLE: $WORK/NAME, the target with the byte after the 10th
# of NEEDLE (found once in the full set's volumes) flipped.
forge() {
	copy_target "$1"
	rm -f "$WORK/$1"/*.seal.asc
	"${PYTHON:-python3}" - "$TOP_SRCDIR/tests/integration/craft-set.py" \
	    "$WORK/$1/tresor.$full.manifest.gpg" "$WORK/gnupg-k" "$2" \
	    <<'PY' >"$WORK/forge.out" 2>&1
import importlib.util, os, sys
spec = importlib.util.spec_from_file_location("craft", sys.argv[1])
craft = importlib.util.module_from_spec(spec)
spec.loader.exec_module(craft)
manifest, home, needle = sys.argv[2], sys.argv[3], open(sys.argv[4], "rb").read()
found, out = 0, []
for line in craft.unwrap(manifest, home).decode().split("\n"):
    if line.startswith("volume "):
        words = line.split(" ")
        name = words[2][len("name="):]
        path = os.path.join(os.path.dirname(manifest), name)
        vol = bytearray(craft.unwrap(path, home))
        at = vol.find(needle)
        if at != -1:
            vol[at + 10] ^= 0x01
            found += 1
            size, sha = craft.wrap(bytes(vol), path, home, "k@tresor.invalid")
            line = "volume %s name=%s size=%d sha256=%s" % (words[1], name,
                                                           size, sha)
    out.append(line)
craft.wrap("\n".join(out).encode(), manifest, home, "k@tresor.invalid")
print("found", found)
PY
	grep -q "^found 1$" "$WORK/forge.out"
}
# 64 bytes each base holds: fwd's unchanged start, swap's first half
# (now its second).
dd if="$V/fwd" bs=1 skip=100000 count=64 2>/dev/null >"$WORK/needle-fwd"
dd if="$V/back/swap" bs=1 skip=151000 count=64 2>/dev/null >"$WORK/needle-swap"
for f in fwd back/swap; do
	name=tforge-$(basename "$f")
	check "$name: one byte of $f's base flipped in a forged full set" \
	    forge "$name" "$WORK/needle-$(basename "$f")"
	lied "$name" "'vault/$f' does not match its manifest hash after patching" "$f"
	check "... not as a damaged base" sh -c "! grep -q 'the base of' '$WORK/err'"
done

done_testing
