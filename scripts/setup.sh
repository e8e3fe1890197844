#!/bin/sh
# setup.sh: install what tresor needs (Debian 12, idempotent), build it, and
# then either run the demo or the whole test suite.
#
#   sh scripts/setup.sh demo    install, build, back up and restore sample data
#   sh scripts/setup.sh check   install, build, run `make check`
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
	libcurl4-openssl-dev libssh2-1-dev libsmbclient-dev libpq-dev libyaml-dev
	gnupg zstd"
# What the tests use beyond that: the PostgreSQL server (initdb, pg_dump,
# pg_restore; the tests start their own throwaway cluster, never the
# package's), the appliance's locale for restore-db, and the servers the
# transport tests run on loopback (OpenSSH's sshd and vsftpd, started from
# configs of their own, never as the packages' services; openssl makes
# their certificate; the scp and curl clients are the benchmarks' yardstick).
TEST_PKGS="python3 util-linux gawk coreutils strace rdiff postgresql locales
	openssh-server openssh-client vsftpd openssl curl passwd"

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

# Print the closing line CI reads ("N passed, N failed") from automake's log.
summarize() {
	log=test-suite.log
	[ -f "$log" ] || { echo "setup: no $log: the test suite did not run"; return 1; }
	pass=$(awk '/^# PASS:/ {print $3}' "$log")
	fail=$(awk '/^# (FAIL|ERROR|XPASS):/ {n += $3} END {print n + 0}' "$log")
	skip=$(awk '/^# SKIP:/ {print $3}' "$log")
	echo "tests: ${pass:-0} passed, ${fail:-0} failed, ${skip:-0} skipped"
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
	rc=0
	make -j"$(nproc)" --no-print-directory check || rc=$?
	if [ "$rc" -ne 0 ]; then
		# Show why, so a CI log is enough to act on.
		for f in $(find tests -name '*.log' ! -name test-suite.log); do
			if grep -q '^not ok\|^Bail out' "$f"; then
				echo "=== $f"
				cat "$f"
			fi
		done
	fi
	summarize
	exit "$rc"
	;;
*)
	echo "usage: sh scripts/setup.sh [build|demo|check]" >&2
	exit 2
	;;
esac
