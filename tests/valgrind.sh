#!/bin/sh
# valgrind.sh: the unit-test programs under valgrind memcheck (make
# check-valgrind). Each program runs as in make check, under
#
#   valgrind --error-exitcode=99 --leak-check=full
#            --errors-for-leak-kinds=definite,indirect,possible
#
# so that any invalid read or write, use of uninitialised memory, bad free
# or leak fails it (exit 99), as does any failed TAP check; first, a
# program that leaks must fail the same way (a self-test). The
# suppressions file holds the libraries' own internals only, each with
# the reason it is not ours.
#
#   sh tests/valgrind.sh OUTDIR SUPPRESSIONS PROGRAM...
#
# OUTDIR gets one log per program and a test-suite.log with automake's
# "# PASS:" and "# FAIL:" lines (TAP checks passed and failed; a program
# with a valgrind error counts one more failure), which scripts/setup.sh
# adds to its totals. Exit 0 only if all is clean.
set -u
out=${1:?usage: valgrind.sh OUTDIR SUPPRESSIONS PROGRAM...}
supp=${2:?usage: valgrind.sh OUTDIR SUPPRESSIONS PROGRAM...}
shift 2
command -v valgrind >/dev/null 2>&1 ||
    { echo "valgrind.sh: valgrind is missing (scripts/setup.sh check installs it)"; exit 1; }
[ -f "$supp" ] || { echo "valgrind.sh: no suppressions file $supp"; exit 1; }
[ $# -gt 0 ] || { echo "valgrind.sh: no programs given"; exit 1; }
mkdir -p "$out"
pass=0 fail=0 rc=0

# The check itself: the same valgrind run on a program that leaks must
# fail, so a clean result cannot come from checking nothing.
VG="valgrind --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect,possible
    --show-leak-kinds=definite,indirect,possible --num-callers=40"
printf '#include <stdlib.h>\nchar *p;\nint main(void) { p = malloc(10); p = 0; return 0; }\n' \
    >"$out/leak.c"
${CC:-cc} -O0 -o "$out/leak" "$out/leak.c" ||
    { echo "valgrind.sh: unable to build the self-test"; exit 1; }
$VG --suppressions="$supp" --log-file="$out/leak.valgrind" "$out/leak"
if [ $? -ne 99 ]; then
	echo "valgrind.sh: valgrind did not fail a program that leaks ($out/leak.valgrind)"
	exit 1
fi
for prog in "$@"; do
	name=$(basename "$prog")
	log=$out/$name.log
	vlog=$out/$name.valgrind
	rm -f "$vlog".*
	start=$(date +%s)
	# The TAP output in $log, valgrind's report in $vlog.PID, one per
	# process (a forked child that does not exec is checked too), so a
	# test's own stderr cannot be taken for valgrind's.
	$VG --suppressions="$supp" --gen-suppressions=all \
	    --log-file="$vlog.%p" "$prog" >"$log" 2>&1
	prc=$?
	ok=$(grep -c '^ok ' "$log")
	bad=$(grep -c '^not ok ' "$log")
	errors=$(cat "$vlog".* 2>/dev/null |
	    sed -n 's/.*ERROR SUMMARY: \([0-9]*\) errors.*/\1/p' |
	    awk '{ n += $1; seen = 1 } END { if (seen) print n }')
	pass=$((pass + ok))
	fail=$((fail + bad))
	if [ "$prc" -eq 0 ] && [ "$bad" -eq 0 ] && [ "$ok" -gt 0 ] && [ "${errors:-x}" = 0 ]; then
		echo "valgrind: $name: $ok checks, clean ($(($(date +%s) - start)) s)"
		continue
	fi
	rc=1
	fail=$((fail + 1))
	echo "valgrind: $name FAILED (exit $prc, $ok ok, $bad not ok, valgrind errors: ${errors:-none reported}; $vlog.*)"
	grep -E '^not ok|^Bail out' "$log" | head -10
	cat "$vlog".* 2>/dev/null | grep -E '^==[0-9]+== (Invalid|Conditional|Use of|Mismatched|Syscall|Source and|Argument|[0-9,]+ bytes in)' | head -10
done
printf '# PASS: %d\n# FAIL: %d\n# SKIP: 0\n' "$pass" "$fail" >"$out/test-suite.log"
echo "valgrind: $pass checks passed, $fail failed"
exit "$rc"
