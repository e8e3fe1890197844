#!/bin/sh
# smb-lazy.sh: libsmbclient is loaded only by a run that opens an smb://
# target (transports/smblib.h says why: 112 Samba libraries, about 26 ms of
# CPU at every start). The binaries do not link it; a file:// backup and a
# restore never load it; an smb:// run does, and a library that will not
# load, or lacks a function tresor calls, is one line naming libsmbclient,
# the Debian package and what was wrong, never a crash. A stand-in
# libsmbclient.so.0 (built here, found first through LD_LIBRARY_PATH)
# records in a file that it was loaded. No server is needed: the real
# library's run goes to a port nobody listens on and must fail as a
# connection, not as a library.
. "$TOP_SRCDIR/tests/integration/lib.sh"
# libsmbclient's own process-wide allocations (see the file).
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TOP_SRCDIR/tests/lsan-smb.supp:print_suppressions=0"
export LSAN_OPTIONS

CC=${CC:-cc}
command -v "$CC" >/dev/null 2>&1 || bail "no C compiler ($CC) to build the stand-in library"
command -v readelf >/dev/null 2>&1 || bail "readelf is needed (binutils, scripts/setup.sh installs build-essential)"

make_key k
mkdir -p "$WORK/src" "$WORK/target" "$WORK/fake" "$WORK/empty" "$WORK/out"
echo "some data" >"$WORK/src/file"
T="file://$WORK/target"
MARK=$WORK/loaded

# The stand-in: a constructor that notes its loading, and no smbc_ symbol.
cat >"$WORK/fake.c" <<EOF
#include <fcntl.h>
#include <unistd.h>
__attribute__((constructor)) static void
loaded(void)
{
	int fd = open("$MARK", O_WRONLY | O_CREAT | O_APPEND, 0644);

	if (fd != -1) {
		(void)write(fd, "loaded\n", 7);
		close(fd);
	}
}
EOF
"$CC" -shared -fPIC -o "$WORK/fake/libsmbclient.so.0" "$WORK/fake.c" ||
    bail "building the stand-in library"

# 1. Neither binary names libsmbclient among the libraries it needs.
for bin in "$TRESOR_REAL" "$BACKUPD"; do
	readelf -d "$bin" >"$WORK/dyn" 2>&1 || bail "readelf $bin"
	check "$(basename "$bin") needs libgpgme (the readelf check works)" \
	    grep -q 'NEEDED.*libgpgme' "$WORK/dyn"
	check "$(basename "$bin") does not link libsmbclient" \
	    sh -c "! grep -q 'NEEDED.*libsmbclient' '$WORK/dyn'"
done

# 2. A file:// backup and restore with the stand-in first on the path:
# never loaded.
LD_LIBRARY_PATH="$WORK/fake" "$TRESOR" backup --quiet --to "$T" \
    --key-file "$WORK/k.pub.asc" "$WORK/src" 2>"$WORK/err"
check "a file:// backup succeeds" test $? -eq 0
LD_LIBRARY_PATH="$WORK/fake" "$TRESOR" restore --quiet --from "$T" \
    --key-file "$WORK/k.sec.asc" --to "$WORK/out/r" 2>>"$WORK/err"
check "and its restore succeeds" test $? -eq 0
check "and neither loaded libsmbclient" test ! -e "$MARK"
check "the restored file is the file" cmp -s "$WORK/src/file" \
    "$WORK/out/r/src/file"

# 3. An smb:// backup loads the stand-in, which lacks the functions.
expect_fail "$WORK/err" env LD_LIBRARY_PATH="$WORK/fake" "$TRESOR" backup \
    --to "smb://user@127.0.0.1:1/share/dir" --key-file "$WORK/k.pub.asc" \
    "$WORK/src"
check "an smb:// backup with a broken libsmbclient fails" test $? -eq 0
check "it loaded the library when the target was opened" test -s "$MARK"
check "in one line" one_line_error "$WORK/err"
check "naming the library, the package and the missing function" \
    grep -q "^tresor: smb:// needs libsmbclient (install the Debian package libsmbclient): libsmbclient.so.0 has no smbc_" "$WORK/err"
diag "$(cat "$WORK/err")"

# 4. A library that is not one at all: the loader's reason, one line.
rm -f "$WORK/fake/libsmbclient.so.0"
printf 'not an ELF object\n' >"$WORK/fake/libsmbclient.so.0"
expect_fail "$WORK/err" env LD_LIBRARY_PATH="$WORK/fake" "$TRESOR" ls \
    --from "smb://user@127.0.0.1:1/share/dir" --key-file "$WORK/k.sec.asc"
check "an smb:// ls with an unloadable libsmbclient fails" test $? -eq 0
check "in one line" one_line_error "$WORK/err"
check "naming libsmbclient, the package and the loader's reason" \
    grep -q "^tresor: smb:// needs libsmbclient (install the Debian package libsmbclient): .*libsmbclient.so.0" "$WORK/err"
diag "$(cat "$WORK/err")"

# 5. The real library: it loads, and the run fails as the network fails.
expect_fail "$WORK/err" "$TRESOR" ls --from "smb://user@127.0.0.1:1/share/dir" \
    --key-file "$WORK/k.sec.asc"
check "an smb:// ls to a port nobody listens on fails" test $? -eq 0
check "in one line" one_line_error "$WORK/err"
check "as a connection, not as a library" sh -c \
    "! grep -q 'libsmbclient' '$WORK/err' && grep -qi 'refused\|connect' '$WORK/err'"
diag "$(cat "$WORK/err")"

done_testing
