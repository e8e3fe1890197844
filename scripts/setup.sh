#!/bin/sh
# setup.sh: install what tresor needs (Debian 12, idempotent), build it, and
# then either run the demo or the whole test suite.
#
#   sh scripts/setup.sh demo    install, build, back up and restore sample data
#   sh scripts/setup.sh check   install, build, run `make check`, then again
#                               under AddressSanitizer+UBSan+LeakSanitizer
#                               and the threaded tests under ThreadSanitizer,
#                               the unit tests under valgrind, and the fuzz
#                               targets for 20 s each
#   sh scripts/setup.sh build   install and build only
#
# Only Debian packages are used. apt-get runs only when a package is missing,
# so a second run costs seconds.
set -eu

cd "$(dirname "$0")/.."
mode=${1:-build}

# Build and runtime dependencies (pkg-config names in configure.ac).
BUILD_PKGS="build-essential autoconf automake pkg-config
	libgpgme-dev libgpg-error-dev libgcrypt20-dev librsync-dev libzstd-dev
	libcurl4-openssl-dev libssh2-1-dev libsmbclient-dev libexpat1-dev libpq-dev
	libyaml-dev gnupg zstd"
# What the tests use beyond that: the PostgreSQL server (initdb, pg_dump,
# pg_restore; the tests start their own throwaway cluster, never the
# package's), the appliance's locale for restore-db, and the servers the
# transport tests run on loopback (OpenSSH's sshd, vsftpd, apache2 with
# mod_dav_fs and Samba's smbd, started from configs of their own, never as
# the packages' services; openssl makes their certificate; apache2-utils'
# htpasswd their password file; the scp, curl and smbclient clients are the
# benchmarks' yardstick). install.sh checks the installed systemd units with
# systemd-analyze verify (package systemd: only its tools are used; in a
# container without systemd as PID 1 its postinst starts nothing) and the
# man pages with man (man-db, which brings groff). lcov reads gcov's
# counters for `make coverage` (scripts/coverage.sh). ceph-mon, ceph-osd
# and radosgw: the single-node Ceph cluster the s3 tests and benchmark run
# against (tests/transport/ceph.sh; plain processes, no systemd, no mgr).
TEST_PKGS="python3 util-linux gawk coreutils strace rdiff postgresql locales
	openssh-server openssh-client vsftpd apache2 apache2-utils samba smbclient
	openssl curl passwd procps git systemd man-db lcov
	ceph-mon ceph-osd radosgw"
# The fuzz pass (fuzz/run.sh): clang with libFuzzer and the sanitizer
# runtimes, llvm-14 for llvm-symbolizer's file:line stack traces; and
# valgrind for make check-valgrind.
TEST_PKGS="$TEST_PKGS clang-14 libclang-rt-14-dev llvm-14 valgrind"

install_missing() {
	missing=""
	for p in "$@"; do
		if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
			missing="$missing $p"
		fi
	done
	[ -z "$missing" ] && return 0
	echo "setup: installing$missing"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	# shellcheck disable=SC2086
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# ensure_locale NAME CHARMAP: compile locale NAME.CHARMAP (for example de_DE
# UTF-8, listed by `locale -a` as de_DE.utf8) unless it exists already.
ensure_locale() {
	want=$(printf '%s.%s' "$1" "$2" | tr '[:upper:]' '[:lower:]' | tr -d -)
	if locale -a 2>/dev/null | tr '[:upper:]' '[:lower:]' | tr -d - | grep -qx "$want"; then
		return 0
	fi
	echo "setup: making the $1.$2 locale"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo localedef -i "$1" -f "$2" "$1.$2"
}

build() {
	[ -x configure ] || autoreconf -fi
	[ -f Makefile ] || ./configure --quiet
	make -j"$(nproc)" --no-print-directory tresor
}

# The threaded code under ThreadSanitizer: the async stage and the gpg
# threads (test-filters), the signature/delta stages (test-rsync), the
# restore's writer thread (restore/applyq.c, any restore), the volume
# finisher thread (repo/volume.c, a multi-volume backup in volumes.sh), the
# progress reporter, which the restore updates from its record thread
# while any thread's message may clear its live line (progress.sh), and
# the patch thread a delta's base streams into (restore-stream.sh; its
# ring alone: test-rsync).
# (backupd's deadline thread is not in this list yet: backupd.sh waits on
# a fake clock with timeouts that ThreadSanitizer's slowdown would break.)
TSAN_TESTS="tests/unit/test-filters tests/unit/test-rsync
	tests/integration/roundtrip.sh tests/integration/volumes.sh
	tests/integration/progress.sh tests/integration/restore-stream.sh"

# summarize DIR LABEL: one pass's line from automake's log in DIR; adds its
# counts to the totals. A pass that left no log counts as one failure.
total_pass=0 total_fail=0 total_skip=0
summarize() {
	log=$1/test-suite.log
	if [ ! -f "$log" ]; then
		echo "tests ($2): no $log: the test suite did not run"
		total_fail=$((total_fail + 1))
		return 0
	fi
	pass=$(awk '/^# PASS:/ {print $3}' "$log")
	fail=$(awk '/^# (FAIL|ERROR|XPASS):/ {n += $3} END {print n + 0}' "$log")
	skip=$(awk '/^# SKIP:/ {print $3}' "$log")
	echo "tests ($2): ${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
	total_pass=$((total_pass + ${pass:-0}))
	total_fail=$((total_fail + ${fail:-0}))
	total_skip=$((total_skip + ${skip:-0}))
}

# show_failures DIR: print the log of every failed test, so that a CI log is
# enough to act on.
show_failures() {
	for f in $(find "$1/tests" -name '*.log' ! -name test-suite.log); do
		if grep -q '^not ok\|^Bail out\|^ERROR:\|Sanitizer' "$f"; then
			echo "=== $f"
			cat "$f"
		fi
	done
}

# A second copy of the sources for the sanitizer builds. automake's
# out-of-tree (VPATH) builds refuse a source directory configured in place,
# and would pick up its objects, so the copy holds the checkout's files
# (tracked or new, never build output) and nothing else.
SAN_SRC=build-src
copy_sources() {
	command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1 ||
	    { echo "setup: the sanitizer passes copy the sources with git: no git checkout here"; return 1; }
	rm -rf "$SAN_SRC"
	mkdir "$SAN_SRC"
	git ls-files -z --cached --others --exclude-standard |
	    tar --null --no-recursion --ignore-failed-read -T - -cf - 2>/dev/null |
	    tar -xf - -C "$SAN_SRC"
	(cd "$SAN_SRC" && autoreconf -fi >/dev/null 2>&1)
}

# sanitizer_pass DIR LABEL CONFIGURE-OPTION [MAKE-ARGUMENTS...]: build the
# copy in DIR with the option and run make check there.
sanitizer_pass() {
	dir=$1 label=$2 opt=$3
	shift 3
	echo "setup: $label pass in $dir/ (configure $opt)"
	start=$(date +%s)
	rm -rf "$dir"
	mkdir "$dir"
	prc=0
	(cd "$dir" && "../$SAN_SRC/configure" --quiet "$opt" &&
	    make -j"$(nproc)" --no-print-directory >/dev/null &&
	    make -j"$(nproc)" --no-print-directory check "$@") || prc=$?
	[ "$prc" -eq 0 ] || show_failures "$dir"
	echo "setup: $label pass took $(($(date +%s) - start)) s"
	return "$prc"
}

case "$mode" in
build)
	install_missing $BUILD_PKGS
	build
	;;
demo)
	install_missing $BUILD_PKGS
	build
	TRESOR="$PWD/tresor" sh scripts/demo.sh
	;;
check)
	install_missing $BUILD_PKGS $TEST_PKGS
	ensure_locale de_DE UTF-8
	build
	# Pass 1: the normal build, in place.
	rc=0
	start=$(date +%s)
	make -j"$(nproc)" --no-print-directory check || rc=$?
	[ "$rc" -eq 0 ] || show_failures .
	echo "setup: normal pass took $(($(date +%s) - start)) s"
	# Pass 2: the whole suite under ASan+UBSan+LSan (RSS checks skip there:
	# the sanitizers' shadow memory is not the program's). Pass 3: the
	# threaded tests under ThreadSanitizer, with the suppressions for the
	# libraries' threads that are not ours (tests/tsan.supp).
	copy_sources || rc=1
	sanitizer_pass build-asan asan --enable-sanitizers || rc=1
	(
		TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp second_deadlock_stack=1 ${TSAN_OPTIONS:-}"
		export TSAN_OPTIONS
		sanitizer_pass build-tsan tsan --enable-tsan TESTS="$(echo $TSAN_TESTS)"
	) || rc=1
	# Pass 4: valgrind memcheck on the unit-test programs of the normal
	# build (make check-valgrind). Pass 5: every libFuzzer target of
	# fuzz/ for 20 s on its seed corpus (fuzz/run.sh: a crash, hang or
	# leak fails it). Both in place, after the normal pass.
	start=$(date +%s)
	make --no-print-directory check-valgrind || rc=1
	echo "setup: valgrind pass took $(($(date +%s) - start)) s"
	sh fuzz/run.sh 20 || rc=1
	summarize . normal
	summarize build-asan asan
	summarize build-tsan tsan
	summarize tests/valgrind valgrind
	summarize fuzz/build fuzz
	# The last line is the one CI reads: the passes added up.
	echo "tests: $total_pass passed, $total_fail failed, $total_skip skipped"
	exit "$rc"
	;;
*)
	echo "usage: sh scripts/setup.sh [build|demo|check]" >&2
	exit 2
	;;
esac
