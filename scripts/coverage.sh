#!/bin/sh
# coverage.sh: line and branch coverage (gcov, read by lcov) of format/,
# repo/ and restore/, measured over the tests that drive them; fails when
# a directory's line coverage is below the threshold.
#
#   sh scripts/coverage.sh            (what `make coverage` runs)
#
# Like the sanitizer passes of scripts/setup.sh it builds out of tree from a
# copy of the checkout: build-cov-src/ (the tracked and new files, never
# build output) and build-cov/ (configure --enable-coverage: gcc --coverage
# -O0). Both are kept, and only changed files are copied again, so a second
# run rebuilds what changed. The report: build-cov/coverage.info (lcov
# tracefile), and one line per directory on stdout:
#
#   coverage format/: lines 95.1% (1234/1298), branches 80.2% (...)
#
# Environment: COVERAGE_MIN (default 95) the line threshold in percent;
# COVERAGE_TESTS the tests to run (default: the list below); COVERAGE_HTML=1
# also writes build-cov/coverage-html/ with genhtml.
set -eu

cd "$(dirname "$0")/.."
top=$PWD
src=build-cov-src
bld=build-cov
min=${COVERAGE_MIN:-95}
dirs="format repo restore"

# The tests that drive format/, repo/ and restore/: every unit test, and
# every integration test but those of the network transports (transports/
# is not measured here, and they need the test servers), the demo, the
# benchmark smoke test and install.sh, which reach nothing in these three
# directories that the others do not.
default_tests="tests/unit/test-record tests/unit/test-text tests/unit/test-url
	tests/unit/test-filters tests/unit/test-rsync tests/unit/test-timespec
	tests/unit/test-child tests/unit/test-backupd tests/unit/test-progress
	tests/unit/test-transport-file tests/unit/test-config
	tests/unit/test-calendar tests/unit/test-metrics
	tests/unit/test-format-errors tests/unit/test-repo-errors
	tests/unit/test-rindex tests/unit/test-blocklen tests/unit/test-seal
	tests/unit/test-scratch tests/unit/test-pgpdec tests/unit/test-sigcheck
	tests/integration/roundtrip.sh tests/integration/errors.sh
	tests/integration/integrity.sh tests/integration/fds.sh
	tests/integration/privacy.sh tests/integration/secrets.sh
	tests/integration/selective.sh tests/integration/many-files.sh
	tests/integration/deep.sh tests/integration/swap.sh
	tests/integration/sparse.sh tests/integration/volumes.sh
	tests/integration/by-hand.sh tests/integration/incremental.sh
	tests/integration/interrupt.sh tests/integration/keys.sh
	tests/integration/nightly.sh tests/integration/long-chain.sh
	tests/integration/no-change.sh tests/integration/retention.sh
	tests/integration/postgres.sh tests/integration/interrupt-restore.sh
	tests/integration/restore-paths.sh tests/integration/ls.sh
	tests/integration/recover.sh tests/integration/backupd.sh
	tests/integration/progress.sh tests/integration/bad-input.sh
	tests/integration/restore-errors.sh tests/integration/ls-names.sh
	tests/integration/restore-scratch.sh tests/integration/restore-stream.sh
	tests/integration/authenticity.sh
	tests/integration/corrupt.sh tests/integration/crash.sh
	tests/integration/cache-crash.sh tests/integration/faults.sh
	tests/integration/syscall-faults.sh
	tests/integration/restore-rss.sh tests/integration/dump-blocklen.sh
	tests/integration/gpg-faults.sh tests/integration/repo-faults.sh
	tests/integration/seal-faults.sh tests/unit/test-gpg-errors
	tests/integration/restore-stream-faults.sh tests/integration/recover-faults.sh
	tests/integration/restore-held.sh"
tests=${COVERAGE_TESTS:-$default_tests}

for tool in lcov gcov git; do
	command -v "$tool" >/dev/null 2>&1 ||
	    { echo "coverage: $tool not found (scripts/setup.sh installs it)" >&2; exit 1; }
done
git rev-parse --git-dir >/dev/null 2>&1 ||
    { echo "coverage: the copy of the sources is made with git: no git checkout in $top" >&2; exit 1; }

# COVERAGE_REPORT_ONLY=1: only the report, from the counters the last run
# left in build-cov/ (to read them again without building or testing).
report_only=${COVERAGE_REPORT_ONLY:-0}
tests_failed=0
if [ "$report_only" != 1 ]; then
# The copy: files that differ are copied (keeping the others' mtimes, so
# make rebuilds only what changed); autoreconf once, and again when the
# build system changed (make's own rules would do it too, but only from a
# Makefile that exists).
mkdir -p "$src"
regen=0
[ -x "$src/configure" ] || regen=1
git ls-files -z --cached --others --exclude-standard | xargs -0 -n 200 sh -c '
	for f; do
		[ -f "$f" ] || continue
		if ! cmp -s "$f" "$0/$f"; then
			mkdir -p "$0/$(dirname "$f")" && cp -p "$f" "$0/$f"
			case $f in configure.ac|Makefile.am) touch "$0/.regen" ;; esac
		fi
	done' "$src"
[ -f "$src/.regen" ] && regen=1 && rm -f "$src/.regen"
if [ "$regen" -eq 1 ]; then
	(cd "$src" && autoreconf -fi >/dev/null 2>&1) ||
	    { echo "coverage: autoreconf failed in $src" >&2; exit 1; }
	rm -f "$bld/Makefile"
fi
mkdir -p "$bld"
if [ ! -f "$bld/Makefile" ]; then
	(cd "$bld" && "../$src/configure" --quiet --enable-coverage) ||
	    { echo "coverage: configure --enable-coverage failed" >&2; exit 1; }
fi
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -le 2 ] || jobs=2
(cd "$bld" && make -j"$jobs" --no-print-directory >/dev/null) ||
    { echo "coverage: the build failed in $bld" >&2; exit 1; }

# The gcov runtime adds its counters to a .gcda file beside each object at
# exit. Some tests run tresor as nobody (errors.sh, secrets.sh,
# bad-input.sh), which could not create those files in a build directory
# of root's, and would say so on stderr, which those tests read as
# tresor's own output. So every .gcda starts empty (zero counts: libgcov
# fills an empty file as a new one) and writable by all; libgcov rewrites
# an existing file in place, so the mode stays (tresor's umask 077 applies
# only to files it creates). Empty ones left at the end (programs that did
# not run) are removed before lcov reads the rest.
find "$bld" -name '*.gcda' -delete
find "$bld" -name '*.gcno' | while read -r gcno; do
	gcda=${gcno%.gcno}.gcda
	: >"$gcda" && chmod 666 "$gcda"
done
rc=0
# shellcheck disable=SC2086
(cd "$bld" && make -j"$jobs" --no-print-directory check TESTS="$(echo $tests)") || rc=$?
# A failing test fails the run; its figures are still shown, marked, so
# that a flaky test costs a rerun, not the data.
if [ "$rc" -ne 0 ]; then
	tests_failed=1
	echo "coverage: tests failed (see $bld/test-suite.log):" >&2
	grep -E '^(FAIL|ERROR):' "$bld/test-suite.log" >&2 2>/dev/null || true
fi

fi
find "$bld" -name '*.gcda' -size 0 -delete
lc="--quiet --rc lcov_branch_coverage=1"
# shellcheck disable=SC2086
lcov $lc --capture --directory "$bld" --base-directory "$bld" \
    --output-file "$bld/coverage-all.info" >/dev/null 2>&1 ||
    { echo "coverage: lcov --capture failed in $bld" >&2; exit 1; }
abs_src=$(cd "$src" && pwd)
fail=0
infos=""
for d in $dirs; do
	# shellcheck disable=SC2086
	lcov $lc --extract "$bld/coverage-all.info" "$abs_src/$d/*" \
	    --output-file "$bld/coverage-$d.info" >/dev/null 2>&1 ||
	    { echo "coverage: no data for $d/ (lcov --extract failed)" >&2; exit 1; }
	infos="$infos -a $bld/coverage-$d.info"
	# lcov --summary: "  lines......: 95.1% (1234 of 1298 lines)".
	# shellcheck disable=SC2086
	sum=$(lcov --rc lcov_branch_coverage=1 --summary "$bld/coverage-$d.info" 2>&1)
	lines=$(echo "$sum" | awk '/lines\.*:/ {gsub(/[(%]/, ""); print $2, $3, $5; exit}')
	branches=$(echo "$sum" | awk '/branches\.*:/ {gsub(/[(%]/, ""); print $2, $3, $5; exit}')
	set -- $lines
	[ $# -eq 3 ] || { echo "coverage: cannot read lcov's summary for $d/" >&2; exit 1; }
	lpct=$1 lhit=$2 ltot=$3
	set -- ${branches:-0 0 0}
	echo "coverage $d/: lines $lpct% ($lhit/$ltot), branches $1% ($2/$3)"
	if awk -v p="$lpct" -v m="$min" 'BEGIN { exit !(p + 0 < m + 0) }'; then
		echo "coverage $d/: below the $min% threshold" >&2
		fail=1
	fi
done
# shellcheck disable=SC2086
lcov $lc $infos --output-file "$bld/coverage.info" >/dev/null 2>&1 || true
excl=$(cd "$src" && grep -c 'LCOV_EXCL' $(for d in $dirs; do find "$d" -name '*.c'; done) 2>/dev/null |
    awk -F: '{n += $2} END {print n + 0}')
echo "coverage: LCOV_EXCL markers in $dirs: $excl"
if [ "${COVERAGE_HTML:-0}" = 1 ]; then
	genhtml --quiet --branch-coverage -o "$bld/coverage-html" "$bld/coverage.info" >/dev/null 2>&1 &&
	    echo "coverage: $bld/coverage-html/index.html"
fi
if [ "$tests_failed" -eq 1 ]; then
	echo "coverage: the figures above are from a run with failing tests" >&2
	exit 1
fi
[ "$fail" -eq 0 ] || exit 1
echo "coverage: format/ repo/ restore/ at or above $min% of lines"
