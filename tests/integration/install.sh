#!/bin/sh
# install.sh: `make install DESTDIR=...` from the build directory puts
# tresor in bindir (0755), recover-from-backup in sbindir (a link to
# tresor), every program of sbin_PROGRAMS (backupd, once it is built) in
# sbindir (0755), tresor.1 and backupd.8 (0644, rendered by man without a
# warning) and the systemd units (0644, their paths substituted) in
# systemdsystemunitdir; the installed tresor runs; the units pass
# `systemd-analyze verify` (a missing systemd-analyze is a failure, not a
# skip: scripts/setup.sh installs systemd) with their man pages found; and
# `make uninstall DESTDIR=...` removes all of it.
. "$TOP_SRCDIR/tests/integration/lib.sh"

: "${TESTS_BUILDDIR:?TESTS_BUILDDIR must point at tests/ in the build tree (make check sets it)}"
build=$(cd "$TESTS_BUILDDIR/.." && pwd)
dest="$WORK/root"

# A make of our own, not a job of the make running the tests.
unset MAKEFLAGS MFLAGS MAKELEVEL
# make_var NAME: the value of NAME in the build's Makefile, expanded.
make_var() {
	printf 'print-var:\n\t@echo $(%s)\n' "$1" |
	    make -s --no-print-directory -C "$build" -f Makefile -f - print-var
}
bindir=$(make_var bindir)
sbindir=$(make_var sbindir)
mandir=$(make_var mandir)
unitdir=$(make_var systemdsystemunitdir)
sbin_programs=$(make_var sbin_PROGRAMS)
[ -n "$bindir" ] && [ -n "$sbindir" ] && [ -n "$mandir" ] ||
    bail "cannot read the install directories from $build/Makefile"
diag "bindir $bindir, sbindir $sbindir, mandir $mandir, units in ${unitdir:-(none)}"

# mode_is FILE MODE: FILE is a regular file with permissions MODE.
mode_is() {
	[ -f "$1" ] && [ ! -L "$1" ] && [ "$(stat -c %a "$1")" = "$2" ]
}

make -s --no-print-directory -C "$build" install DESTDIR="$dest" \
    >"$WORK/install.out" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$WORK/install.out"
check "make install DESTDIR=... succeeds" test $rc -eq 0

check "tresor is in bindir, mode 0755" mode_is "$dest$bindir/tresor" 755
"$dest$bindir/tresor" --help >"$WORK/help.out" 2>&1
check "the installed tresor runs (--help)" grep -q '^usage: tresor VERB' \
    "$WORK/help.out"
link="$dest$sbindir/recover-from-backup"
check "recover-from-backup in sbindir is a symbolic link" test -L "$link"
check "... to the installed tresor" test "$(readlink -f "$link")" = \
    "$(readlink -f "$dest$bindir/tresor")"
case $(readlink "$link") in
/*)	diag "recover-from-backup -> $(readlink "$link") (absolute)" ;;
*)	diag "recover-from-backup -> $(readlink "$link")" ;;
esac
# The daemon is installed by name from wherever it is built (backupd/backupd).
for prog in $sbin_programs; do
	check "${prog##*/} is in sbindir, mode 0755" \
	    mode_is "$dest$sbindir/${prog##*/}" 755
done
[ -n "$sbin_programs" ] || diag "no sbin_PROGRAMS yet: backupd is not built"

# The man pages: installed, and rendered without a warning (groff's
# warnings go to stderr; man exits 0 all the same).
for page in man1/tresor.1 man8/backupd.8; do
	f="$dest$mandir/$page"
	check "$page installed, mode 0644" mode_is "$f" 644
	LC_ALL=C.UTF-8 MAN_DISABLE_SECCOMP=1 MANWIDTH=80 man --warnings -l "$f" \
	    >"$WORK/man.out" 2>"$WORK/man.err"
	rc=$?
	sed 's/^/# /' "$WORK/man.err"
	check "man renders $page without a warning" \
	    sh -c "[ $rc -eq 0 ] && [ ! -s '$WORK/man.err' ]"
	check "... with its NAME section" grep -q '^NAME' "$WORK/man.out"
done

# The units.
units="backupd.service tresor-backup.service tresor-backup.timer
	tresor-backup-failure@.service"
[ -n "$unitdir" ] || diag "configured --without-systemdsystemunitdir"
for u in $units; do
	check "$u installed, mode 0644" mode_is "$dest$unitdir/$u" 644
done
check "no @...@ left unsubstituted in the units" \
    sh -c "! grep -n '@[a-z_]*@' '$dest$unitdir'/*.service '$dest$unitdir'/*.timer"
svc="$dest$unitdir/backupd.service"
one="$dest$unitdir/tresor-backup.service"
timer="$dest$unitdir/tresor-backup.timer"
check "backupd.service: Type=simple, backupd --foreground from sbindir" \
    sh -c "grep -qx 'Type=simple' '$svc' &&
	grep -qx 'ExecStart=$sbindir/backupd --foreground' '$svc'"
check "backupd.service: after postgresql and the network, restarted on failure" \
    sh -c "grep -qx 'After=postgresql.service network-online.target' '$svc' &&
	grep -qx 'Restart=on-failure' '$svc'"
check "tresor-backup.service: oneshot backupd --once, after postgresql, 8 h" \
    sh -c "grep -qx 'Type=oneshot' '$one' &&
	grep -qx 'ExecStart=$sbindir/backupd --once' '$one' &&
	grep -q '^After=postgresql.service' '$one' &&
	grep -qx 'TimeoutStartSec=8h' '$one'"
check "tresor-backup.service: OnFailure= names an installed unit" \
    sh -c "f=\$(sed -n 's/^OnFailure=\\(.*@\\).*\\.service\$/\\1.service/p' '$one') &&
	[ -n \"\$f\" ] && [ -f '$dest$unitdir'/\"\$f\" ]"
check "tresor-backup.timer: 00:30 every night, persistent" \
    sh -c "grep -qx 'OnCalendar=\\*-\\*-\\* 00:30:00' '$timer' &&
	grep -qx 'Persistent=true' '$timer'"

# systemd-analyze verify checks that ExecStart= names an executable and
# that Documentation= names man pages that exist: verify copies whose
# ExecStart= points into DESTDIR, with MANPATH there. Until backupd is
# built, a stand-in takes its place.
mkdir -p "$WORK/units" "$WORK/standin"
daemon="$dest$sbindir/backupd"
if [ ! -x "$daemon" ]; then
	daemon="$WORK/standin/backupd"
	printf '#!/bin/sh\nexit 0\n' >"$daemon"
	chmod 755 "$daemon"
	diag "backupd is not installed: the units are verified with a stand-in"
fi
for u in $units; do
	[ -f "$dest$unitdir/$u" ] &&
	    sed -e "s|^ExecStart=$sbindir/backupd |ExecStart=$daemon |" \
	    -e "s|^ExecStart=$bindir/tresor |ExecStart=$dest$bindir/tresor |" \
	    "$dest$unitdir/$u" >"$WORK/units/$u"
done
if command -v systemd-analyze >/dev/null 2>&1; then
	(cd "$WORK/units" && MANPATH="$dest$mandir" MAN_DISABLE_SECCOMP=1 \
	    systemd-analyze verify $units) >"$WORK/verify.out" 2>&1
	rc=$?
	sed 's/^/# /' "$WORK/verify.out"
	check "systemd-analyze verify passes the units, saying nothing" \
	    sh -c "[ $rc -eq 0 ] && [ ! -s '$WORK/verify.out' ]"
	# And it is a real check: a broken copy fails.
	sed 's/^TimeoutStartSec=/TimeoutStartSecc=/' "$WORK/units/tresor-backup.service" \
	    >"$WORK/units/broken.service"
	(cd "$WORK/units" && MANPATH="$dest$mandir" MAN_DISABLE_SECCOMP=1 \
	    systemd-analyze verify broken.service) >"$WORK/broken.out" 2>&1
	check "systemd-analyze verify reports a misspelt key" \
	    grep -q TimeoutStartSecc "$WORK/broken.out"
	rm -f "$WORK/units/broken.service"
else
	check "systemd-analyze is installed (Debian package systemd; scripts/setup.sh installs it)" false
fi

make -s --no-print-directory -C "$build" uninstall DESTDIR="$dest" \
    >"$WORK/uninstall.out" 2>&1
rc=$?
[ $rc -eq 0 ] || sed 's/^/# /' "$WORK/uninstall.out"
check "make uninstall DESTDIR=... succeeds" test $rc -eq 0
left=$(find "$dest" ! -type d)
[ -z "$left" ] || diag "left: $left"
check "... and removes every file and link it installed" test -z "$left"

done_testing
