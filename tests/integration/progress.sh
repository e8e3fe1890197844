#!/bin/sh
# progress.sh: progress reporting (common/progress.c) from the command.
# With TRESOR_PROGRESS_INTERVAL=1 a backup of 200 MB at zstd level 19 and
# its restore print "tresor: progress: ..." lines on stderr (the restore's
# with its total and percentage); to be sure the runs last long enough
# whatever the machine, each is also stopped for 2 s at a test point.
# Without the variable and without a terminal nothing extra is printed. On
# a terminal (a pty) a live line is redrawn after \r and blanked at the end,
# and --quiet or the variable turn it off.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
mkdir -p "$WORK/src/data" "$WORK/target" "$WORK/target2"
# 200 MB: 20 files of the same random MB ten times over (zstd finds the
# repeats, slowly at level 19).
head -c 1000000 /dev/urandom >"$WORK/block"
for i in 1 2 3 4 5 6 7 8 9 10; do cat "$WORK/block"; done >"$WORK/src/data/f01"
for i in 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20; do
	cp "$WORK/src/data/f01" "$WORK/src/data/f$i"
done
rm -f "$WORK/block"
unset TRESOR_PROGRESS_INTERVAL

# stalled POINT OUT ERR TRESOR-ARGS...: run tresor with
# TRESOR_PROGRESS_INTERVAL=1, stopped for 2 s at POINT; its status.
stalled() {
	point=$1 out=$2 err=$3
	shift 3
	TRESOR_PROGRESS_INTERVAL=1 TRESOR_TESTPOINT=$point "$TRESOR" "$@" \
	    >"$out" 2>"$err" &
	pid=$!
	if wait_stopped $pid 300; then
		sleep 2
		kill -CONT $pid
	else
		diag "tresor did not stop at $point"
	fi
	wait $pid
}

start=$(date +%s)
stalled backup-open:10 "$WORK/b.out" "$WORK/b.err" backup --to "file://$WORK/target" \
    --key-file "$WORK/k.pub.asc" --compress-level 19 "$WORK/src/data"
rc=$?
diag "backup took $(($(date +%s) - start)) s"
sed 's/^/# /' "$WORK/b.err"
check "the backup with TRESOR_PROGRESS_INTERVAL=1 succeeds" test $rc -eq 0
check "... and prints progress lines on stderr" \
    grep -q '^tresor: progress: ' "$WORK/b.err"
check "... of bytes, files and rate, without total or ETA (a backup has none)" \
    sh -c "! grep '^tresor: progress: ' '$WORK/b.err' |
	grep -vE '^tresor: progress: [0-9.]+ [kMGTPE]?B, [0-9]+ files?, [0-9.]+ [kMGTPE]?B/s\$'"
check "... and nothing else on stderr" \
    sh -c "! grep -v '^tresor: progress: ' '$WORK/b.err'"
check "stdout has the summary alone" \
    sh -c "[ \$(wc -l <'$WORK/b.out') -eq 1 ] && grep -q '^backup: full set' '$WORK/b.out'"

# Without the variable and not on a terminal: the output as before.
"$TRESOR" backup --full --to "file://$WORK/target2" --key-file "$WORK/k.pub.asc" \
    "$WORK/src/data" >"$WORK/q.out" 2>"$WORK/q.err"
check "a backup without the variable, off a terminal, succeeds" test $? -eq 0
check "... with nothing on stderr" test ! -s "$WORK/q.err"
check "... and the summary alone on stdout" \
    sh -c "[ \$(wc -l <'$WORK/q.out') -eq 1 ] && grep -q '^backup: full set' '$WORK/q.out'"

stalled restore-file:5 "$WORK/r.out" "$WORK/r.err" restore --from "file://$WORK/target" \
    --to "$WORK/restored" --key-file "$WORK/k.sec.asc"
rc=$?
sed 's/^/# /' "$WORK/r.err"
check "the restore with TRESOR_PROGRESS_INTERVAL=1 succeeds" test $rc -eq 0
check "... prints progress lines with the total from the manifest" \
    grep -qE '^tresor: progress: [0-9.]+ [kMGTPE]?B of 200 MB \([0-9]+%\), [0-9]+ files?, ' \
    "$WORK/r.err"
check "... and an ETA while it is not done" grep -q ', ETA [0-9]*:[0-5][0-9]:[0-5][0-9]$' \
    "$WORK/r.err"
check "... and nothing else on stderr" \
    sh -c "! grep -v '^tresor: progress: ' '$WORK/r.err'"
check "the restored tree is the source" "$TREEDIFF" "$WORK/src/data" "$WORK/restored/data"

"$TRESOR" restore --from "file://$WORK/target" --to "$WORK/restored2" \
    --key-file "$WORK/k.sec.asc" data/f01 >"$WORK/q.out" 2>"$WORK/q.err"
check "a restore without the variable, off a terminal: nothing on stderr" \
    sh -c "[ $? -eq 0 ] && [ ! -s '$WORK/q.err' ]"

TRESOR_PROGRESS_INTERVAL=soon "$TRESOR" status --from "file://$WORK/target" \
    >/dev/null 2>"$WORK/s.err"
check "status has no progress (and ignores the variable)" test ! -s "$WORK/s.err"
TRESOR_PROGRESS_INTERVAL=soon "$TRESOR" fetch --from "file://$WORK/target" \
    --key-file "$WORK/k.sec.asc" data/f02 "$WORK/f02" >/dev/null 2>"$WORK/f.err"
check "a malformed TRESOR_PROGRESS_INTERVAL is one warning" \
    sh -c "grep -q \"^tresor: warning: ignoring TRESOR_PROGRESS_INTERVAL='soon'\" '$WORK/f.err' &&
	[ \$(grep -c warning '$WORK/f.err') -eq 1 ]"

# On a terminal: tresor's stderr on a pty (tests/integration/ptyrun.py),
# stopped for 1 s at its test point so that the live line has its time
# (the first is drawn after 0.5 s).
PTYRUN="$TOP_SRCDIR/tests/integration/ptyrun.py"

# live_ok FILE VERB: FILE holds "\rVERB: " lines and ends with the last
# one blanked: \r, blanks, \r.
live_ok() {
	python3 - "$1" "$2" <<'EOF'
import re, sys
data = open(sys.argv[1], "rb").read()
verb = sys.argv[2].encode()
if b"\r" + verb + b": " not in data:
    sys.exit(1)
last = data.rsplit(b"\r" + verb + b": ", 1)[1]
sys.exit(0 if re.fullmatch(rb"[^\r\n]*\r *\r", last) else 1)
EOF
}

# An emptied target is a deletion to the seals' check (docs/SECURITY.md):
# forget the head this cache saw of it too.
rm -rf "$WORK/target2"/*
d=$(dirname "$(grep -lx "file://$WORK/target2" "$WORK"/cache/*/url)")
rm -f "$d/head"
TRESOR_TESTPOINT=backup-open:5 python3 "$PTYRUN" "$WORK/pty1" "$WORK/pty.out" "$TRESOR" backup \
    --to "file://$WORK/target2" --key-file "$WORK/k.pub.asc" "$WORK/src/data"
check "a backup on a terminal succeeds" test $? -eq 0
check "... redrawing a live line after \\r and blanking it at the end" \
    live_ok "$WORK/pty1" backup
check "... with bytes, files and rate" \
    grep -qaE 'backup: [0-9.]+ [kMGTPE]?B, [0-9]+ files?, [0-9.]+ [kMGTPE]?B/s' "$WORK/pty1"
check "... and no log line" sh -c "! grep -q 'progress:' '$WORK/pty1'"
check "... and the summary still on stdout" grep -q '^backup: ' "$WORK/pty.out"

TRESOR_TESTPOINT=restore-file:5 python3 "$PTYRUN" "$WORK/pty2" "$WORK/pty.out" "$TRESOR" restore \
    --from "file://$WORK/target2" --to "$WORK/restored3" --key-file "$WORK/k.sec.asc"
check "a restore on a terminal succeeds" test $? -eq 0
check "... redrawing its line, with the total" \
    grep -qaE 'restore: [0-9.]+ [kMGTPE]?B of 200 MB \([0-9]+%\)' "$WORK/pty2"
check "... and blanking it at the end" live_ok "$WORK/pty2" restore

TRESOR_TESTPOINT=backup-open:5 python3 "$PTYRUN" "$WORK/pty3" "$WORK/pty.out" "$TRESOR" backup \
    --quiet --full --to "file://$WORK/target2" --key-file "$WORK/k.pub.asc" "$WORK/src/data"
rc=$?
check "--quiet on a terminal: no live line (nothing at all)" \
    sh -c "[ $rc -eq 0 ] && [ ! -s '$WORK/pty3' ]"

TRESOR_TESTPOINT=backup-open:5 python3 "$PTYRUN" "$WORK/pty4" "$WORK/pty.out" env \
    TRESOR_PROGRESS_INTERVAL=1 "$TRESOR" backup --quiet --full --to "file://$WORK/target2" \
    --key-file "$WORK/k.pub.asc" "$WORK/src/data"
rc=$?
check "TRESOR_PROGRESS_INTERVAL on a terminal: log lines instead of the live line" \
    sh -c "[ $rc -eq 0 ] && grep -q '^tresor: progress: ' '$WORK/pty4' &&
	! tr '\\r' '~' <'$WORK/pty4' | grep -v '^tresor: progress: [^~]*~\$'"

done_testing
