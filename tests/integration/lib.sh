# lib.sh: shared helpers for tresor's shell tests (sourced, POSIX sh + TAP).
#
# Each test script sources this file, calls plan-free `ok`/`not_ok` checks
# through `check`, and ends with `done_testing`. Everything a test creates
# lives under $WORK, a fresh temporary directory removed on exit.

set -u

: "${TRESOR:?TRESOR must point at the tresor binary (make check sets it)}"
: "${TREEDIFF:?TREEDIFF must point at tests/helpers/treediff}"

TAP_N=0
TAP_FAILED=0
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tresor-test.XXXXXX")
chmod 755 "$WORK"
# Every test gets its own local cache (tresor's default is /var/cache/tresor).
TRESOR_CACHE_DIR="$WORK/cache"
export TRESOR_CACHE_DIR
trap 'cleanup_work' EXIT
# Every storage operation of every run is recorded, and done_testing checks
# their order (tests/crash/write-order.awk; docs/TESTING.md, "Write order").
# Writable by all: some runs drop to nobody (as_unprivileged).
TRESOR_TEST_RECORD="$WORK/storage-ops.log"
export TRESOR_TEST_RECORD
: >"$TRESOR_TEST_RECORD" && chmod 666 "$TRESOR_TEST_RECORD" ||
    { echo "Bail out! cannot create $TRESOR_TEST_RECORD"; exit 1; }

cleanup_work() {
	# Tests may leave modes that deny the owner (errors.sh): undo them.
	chmod -R u+rwX "$WORK" 2>/dev/null
	for home in "$WORK"/gnupg-*; do
		[ -d "$home" ] && gpgconf --homedir "$home" --kill all >/dev/null 2>&1
	done
	rm -rf "$WORK"
}

# check DESCRIPTION COMMAND...: one TAP line from a command's exit status.
check() {
	desc=$1
	shift
	TAP_N=$((TAP_N + 1))
	if "$@"; then
		echo "ok $TAP_N - $desc"
	else
		echo "not ok $TAP_N - $desc"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

diag() {
	printf '# %s\n' "$*"
}

# bail: a setup step failed; no later check can mean anything.
bail() {
	echo "Bail out! $*"
	exit 1
}

# write_order_check: the check of the record log, with its figure.
write_order_check() {
	awk -f "$TOP_SRCDIR/tests/crash/write-order.awk" "$TRESOR_TEST_RECORD" \
	    >"$WORK/write-order.out"
	rc=$?
	while IFS= read -r line; do diag "$line"; done <"$WORK/write-order.out"
	return $rc
}

done_testing() {
	check "storage operations in write order" write_order_check
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ] && [ "$TAP_N" -gt 0 ]
}

# make_key NAME: a fresh OpenPGP key pair (no passphrase) in its own
# GnuPG home; writes $WORK/NAME.pub.asc and $WORK/NAME.sec.asc.
make_key() {
	home="$WORK/gnupg-$1"
	mkdir -p "$home" && chmod 700 "$home"
	GNUPGHOME="$home" gpg --batch --quiet --passphrase '' \
	    --quick-gen-key "tresor test $1 <$1@tresor.invalid>" \
	    future-default default never >/dev/null 2>&1 || bail "gpg key generation failed"
	GNUPGHOME="$home" gpg --batch --armor --export >"$WORK/$1.pub.asc" || bail "export"
	GNUPGHOME="$home" gpg --batch --armor --export-secret-keys >"$WORK/$1.sec.asc" || bail "export"
}

# use_faultshim: sets SHIM to tests/helpers/faultshim.so (a failure if it
# is not built; its header says how to preload it), and under ASan, which
# wants its runtime loaded first, lets the shim come before it.
use_faultshim() {
	SHIM=$TESTS_BUILDDIR/helpers/faultshim.so
	[ -f "$SHIM" ] || bail "$SHIM not built (make check builds it)"
	if [ -n "${SANITIZED:-}" ]; then
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
		export ASAN_OPTIONS
	fi
}

# under_strace STRACE-ARGUMENTS...: strace with LeakSanitizer off in what it
# traces. LeakSanitizer cannot run under ptrace ("LeakSanitizer has
# encountered a fatal error", exit 1), so in a --enable-sanitizers build every
# traced run would fail; the same commands run untraced elsewhere in the
# suite, with leak checking on.
under_strace() {
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace "$@"
}

# one_line_error FILE: FILE (stderr of a failed run) is exactly one line,
# starting with "tresor: ".
one_line_error() {
	[ "$(wc -l <"$1")" -eq 1 ] && head -n 1 "$1" | grep -q '^tresor: '
}

# expect_fail STDERR_FILE COMMAND...: the command exits non-zero.
expect_fail() {
	errfile=$1
	shift
	if "$@" >/dev/null 2>"$errfile"; then
		return 1
	fi
	return 0
}

# make_tree DIR: a small tree with every kind of entry tresor handles.
make_tree() {
	d=$1
	mkdir -p "$d/docs/2024/a" "$d/empty-dir" "$d/private"
	printf 'hello\n' >"$d/docs/hello.txt"
	head -c 300000 /dev/urandom >"$d/docs/2024/a/random.bin"
	: >"$d/docs/empty-file"
	printf 'newline name\n' >"$d/docs/with
newline"
	printf 'latin1 name\n' >"$d/docs/$(printf 'caf\351')"
	printf 'spaces and %% = signs\n' >"$d/docs/a b %41=c.txt"
	ln -s hello.txt "$d/docs/link-to-hello"
	ln -s /nonexistent/target "$d/docs/dangling"
	ln "$d/docs/hello.txt" "$d/docs/hardlink-to-hello"
	ln "$d/docs/2024/a/random.bin" "$d/private/random-again.bin"
	mkfifo "$d/docs/a-fifo"
	printf 'secret\n' >"$d/private/secret.txt"
	chmod 600 "$d/private/secret.txt"
	chmod 700 "$d/private"
	chmod 4755 "$d/docs/empty-file"
	chmod 1777 "$d/empty-dir"
	touch -h -d '2001-02-03 04:05:06.123456789' "$d/docs/link-to-hello"
	touch -d '1999-12-31 23:59:59.987654321' "$d/docs/hello.txt"
	touch -d '2010-01-01 00:00:00' "$d/docs/2024"
}

# as_unprivileged COMMAND...: run as nobody when we are root (root ignores
# file permissions, so permission tests must drop privileges). "$TRESOR" is
# run from a copy under $WORK: the checkout may sit in a directory (such as
# /root) that nobody cannot enter.
as_unprivileged() {
	# Callers name "$WORK/bin/tresor" after env: it exists for every user.
	if [ "$1" = "$TRESOR" ] || [ "$1" = env ]; then
		mkdir -p "$WORK/bin" && cp "$TRESOR" "$WORK/bin/tresor" &&
		    chmod 755 "$WORK/bin" "$WORK/bin/tresor"
	fi
	if [ "$(id -u)" -eq 0 ]; then
		if [ "$1" = "$TRESOR" ]; then
			shift
			set -- "$WORK/bin/tresor" "$@"
		fi
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    --inh-caps=-all -- "$@"
	else
		"$@"
	fi
}

# at DAY: TRESOR_NOW for day DAY after 2026-01-01 (00:30 UTC, as the
# appliance's nightly run).
at() {
	echo $((1767227400 + $1 * 86400))
}

# set_bytes TARGET SETID: stored bytes of one set's objects.
set_bytes() {
	cat "$1"/tresor."$2".* | wc -c
}

# wait_stopped PID [TENTHS]: until process PID has stopped itself (state T)
# at its test point; fails after TENTHS tenths of a second (default 200)
# or when the process is gone.
wait_stopped() {
	n=0
	while [ $n -lt "${2:-200}" ]; do
		state=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
		[ "$state" = T ] && return 0
		sleep 0.1
		n=$((n + 1))
	done
	return 1
}

# craft N ARG...: target $WORK/tN, a copy of $WORK/t0 (encrypted to key k,
# GnuPG home $WORK/gnupg-k) rewritten by craft-set.py with ARG... The
# crafter has no signing key, so t0's seal would no longer match: the set
# is made unsigned, and the caller reads it with --allow-unsigned
# (authenticity.sh checks that it is refused without).
craft() {
	n=$1
	shift
	rm -rf "$WORK/t$n"
	cp -r "$WORK/t0" "$WORK/t$n"
	"${PYTHON:-python3}" "$TOP_SRCDIR/tests/integration/craft-set.py" \
	    "$WORK/t$n" "$WORK/gnupg-k" k@tresor.invalid "$@" ||
	    bail "craft-set.py $*"
	rm -f "$WORK/t$n"/tresor.*.seal.asc
}

# yml_backup KEYFILE DEFAULT... -- EXTRA...: the keys of env.yml's
# appliance.backup block, indented for it: each DEFAULT ("key: value")
# unless an EXTRA names the same key, then every EXTRA, then "encrypt:"
# with KEYFILE's key.
yml_backup() {
	yb_kf=$1
	shift
	yb_ndef=0
	for yb_a; do
		[ "$yb_a" = -- ] && break
		yb_ndef=$((yb_ndef + 1))
	done
	yb_i=0
	for yb_d; do
		yb_i=$((yb_i + 1))
		[ $yb_i -gt "$yb_ndef" ] && break
		yb_overridden=no
		yb_j=0
		for yb_e; do
			yb_j=$((yb_j + 1))
			[ $yb_j -gt $((yb_ndef + 1)) ] && [ "${yb_e%%:*}" = "${yb_d%%:*}" ] &&
			    yb_overridden=yes
		done
		[ $yb_overridden = no ] && echo "    $yb_d"
	done
	yb_j=0
	for yb_e; do
		yb_j=$((yb_j + 1))
		[ $yb_j -gt $((yb_ndef + 1)) ] && echo "    $yb_e"
	done
	echo "    encrypt: |"
	sed 's/^/      /' "$yb_kf"
}

# --- authenticity (issue 18) ---
# Every set is sealed with a signing key, and every restore checks the seal
# (docs/SECURITY.md). One signing key per test run: $TRESOR becomes a small
# wrapper that gives backup and purge --sign-key, and the verbs that read
# sets --sign-pubkey, unless the command line names one itself. The real
# binary is copied under $WORK (so that nobody can run it too, see
# as_unprivileged) and keeps its name, tresor. $TRESOR_REAL is the binary
# itself, for tests of the options (authenticity.sh).
make_sign_key() {
	home="$WORK/gnupg-$1"
	mkdir -p "$home" && chmod 700 "$home"
	GNUPGHOME="$home" gpg --batch --quiet --passphrase '' \
	    --quick-gen-key "tresor signing $1 <$1@tresor.invalid>" \
	    ed25519 sign never >/dev/null 2>&1 || bail "gpg signing key generation failed"
	GNUPGHOME="$home" gpg --batch --armor --export >"$WORK/$1.pub.asc" || bail "export"
	GNUPGHOME="$home" gpg --batch --armor --export-secret-keys >"$WORK/$1.sec.asc" || bail "export"
	chmod 644 "$WORK/$1.sec.asc"
}

TRESOR_REAL=$TRESOR
make_sign_key sign
mkdir -p "$WORK/bin/.real" && cp "$TRESOR_REAL" "$WORK/bin/.real/tresor" &&
    chmod 755 "$WORK/bin" "$WORK/bin/.real" "$WORK/bin/.real/tresor" || bail "copy tresor"
cat >"$WORK/bin/tresor-signed" <<WRAP || bail "wrapper"
#!/bin/sh
# Test wrapper (tests/integration/lib.sh): the run's signing key.
real="$WORK/bin/.real/tresor"
# Run through a link named recover-from-backup (as installed): that verb
# (the real binary, run by this script, would see the name tresor).
[ "\$(basename "\$0")" = recover-from-backup ] && set -- recover-from-backup "\$@"
case " \$* " in
*" --sign-key "*|*" --sign-pubkey "*) exec "\$real" "\$@" ;;
esac
case "\${1:-}" in
backup|purge)
	verb=\$1; shift; exec "\$real" "\$verb" --sign-key "$WORK/sign.sec.asc" "\$@" ;;
restore|verify|fetch|ls|restore-db|recover-from-backup)
	verb=\$1; shift; exec "\$real" "\$verb" --sign-pubkey "$WORK/sign.pub.asc" "\$@" ;;
esac
exec "\$real" "\$@"
WRAP
chmod 755 "$WORK/bin/tresor-signed"
TRESOR="$WORK/bin/tresor-signed"
export TRESOR TRESOR_REAL
