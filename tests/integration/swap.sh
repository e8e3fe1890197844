#!/bin/sh
# swap.sh: a regular file swapped between the scan and the read (for a
# FIFO, a symlink, another file, a device node) is skipped with a warning
# naming it and what changed: the run does not hang on the FIFO, reads no
# device, exits 3 and stores the rest. The backup stops itself just
# before it opens its second file (TRESOR_TESTPOINT=backup-open:2, see
# common/testpoint.h); the test swaps the file and continues it.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k

# state PID: the state letter of a process (T stopped, Z exited), or
# nothing once it is gone.
state() {
	sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1
}

# swap_run NAME COMMAND...: back up a fresh tree $WORK/NAME/vault (1.txt,
# 2.txt, 3.txt), running COMMAND in it while the backup is stopped before
# opening 2.txt. Sets $rc to the exit code, "nostop" if the backup never
# stopped, or "hang" if it had not finished 30 s after the swap.
swap_run() {
	name=$1
	shift
	src="$WORK/$name/vault"
	mkdir -p "$src" "$WORK/$name/target" || bail "mkdir"
	printf 'one\n' >"$src/1.txt"
	printf 'two\n' >"$src/2.txt"
	printf 'three\n' >"$src/3.txt"
	TRESOR_TESTPOINT=backup-open:2 "$TRESOR" backup --quiet \
	    --to "file://$WORK/$name/target" --key-file "$WORK/k.pub.asc" \
	    "$src" 2>"$WORK/$name/err" &
	pid=$!
	i=0
	while [ "$(state $pid)" != T ]; do
		i=$((i + 1))
		if [ $i -gt 300 ] || [ -z "$(state $pid)" ] ||
		    [ "$(state $pid)" = Z ]; then
			kill -KILL $pid 2>/dev/null
			wait $pid
			rc=nostop
			return
		fi
		sleep 0.1
	done
	(cd "$src" && "$@") || bail "swap for $name failed"
	kill -CONT $pid
	i=0
	while [ "$(state $pid)" != Z ] && [ -n "$(state $pid)" ]; do
		i=$((i + 1))
		if [ $i -gt 300 ]; then
			kill -KILL $pid
			wait $pid
			rc=hang
			return
		fi
		sleep 0.1
	done
	wait $pid
	rc=$?
}

# restored NAME: the run's set restores 1.txt and 3.txt, not 2.txt (its
# warning about the skipped entry is not what is tested here).
restored() {
	"$TRESOR" restore --quiet --from "file://$WORK/$1/target" \
	    --to "$WORK/$1/out" --key-file "$WORK/k.sec.asc" 2>/dev/null &&
	    cmp -s "$WORK/$1/vault/1.txt" "$WORK/$1/out/vault/1.txt" &&
	    cmp -s "$WORK/$1/vault/3.txt" "$WORK/$1/out/vault/3.txt" &&
	    [ ! -e "$WORK/$1/out/vault/2.txt" ] && [ ! -h "$WORK/$1/out/vault/2.txt" ]
}

# warned NAME WHAT: one warning names 2.txt and says WHAT.
warned() {
	grep "^tresor: warning: skipping '.*vault/2\.txt'" "$WORK/$1/err" |
	    grep -q "$2"
}

swap_fifo() {
	rm 2.txt && mkfifo 2.txt
}
swap_run fifo swap_fifo
check "a file swapped for a FIFO: the run finishes (no hang) and exits 3" \
    test "$rc" = 3
check "... warning about the path and what changed" warned fifo 'now a fifo'
check "... and the rest restores" restored fifo

swap_link() {
	rm 2.txt && ln -s 1.txt 2.txt
}
swap_run symlink swap_link
check "a file swapped for a symlink: the run exits 3" test "$rc" = 3
check "... warning about the path and what changed" warned symlink 'now a symlink'
check "... and the rest restores" restored symlink

swap_file() {
	printf 'another\n' >new && mv new 2.txt
}
swap_run other swap_file
check "a file replaced by another file: the run exits 3" test "$rc" = 3
check "... warning about the path and what changed" warned other 'replaced by another file'
check "... and the rest restores" restored other

if [ "$(id -u)" -eq 0 ]; then
	swap_dev() {
		rm 2.txt && mknod 2.txt c 1 5	# /dev/zero: endless data
	}
	swap_run device swap_dev
	check "a file swapped for a device node: the run exits 3" test "$rc" = 3
	check "... warning about the path and what changed" warned device 'now a character device'
	check "... and the rest restores" restored device
else
	diag "not root: the device node case is not run"
fi

swap_none() {
	:
}
swap_run none swap_none
check "without a swap the same run exits 0" test "$rc" = 0
check "... and warns about nothing" test ! -s "$WORK/none/err"

done_testing
