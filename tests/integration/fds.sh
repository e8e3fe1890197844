#!/bin/sh
# fds.sh: children inherit only what they are meant to. During a backup of
# files and a database, pg_dump (through a --pg-bindir wrapper) has only
# its stdin, stdout and stderr, and each gpg running beside it only those
# plus the status and passphrase pipes its arguments name: no spool file
# (the plaintext manifest), no object being written, no cache, no lock.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/pglib.sh"

make_key k
mkdir -p "$WORK/target" "$WORK/fds" "$WORK/bin" "$WORK/src/vault"
head -c 200000 /dev/urandom >"$WORK/src/vault/doc.pdf"
pg_sql "CREATE DATABASE app" || bail "CREATE DATABASE app"
pg_sql_in app "CREATE TABLE t AS SELECT g, md5(g::text) AS h FROM generate_series(1, 20000) g" ||
    bail "CREATE TABLE"

for f in "$PG_BINDIR"/*; do
	[ "${f##*/}" = pg_dump ] || ln -s "$f" "$WORK/bin/"
done
# The wrapper notes its own fds (the shell's, listed by find writing its
# own file, so that the shell opens or saves none meanwhile; the script
# itself may be open), runs
# pg_dump, then, with the dump's volume still being written, notes the
# fds and arguments of every gpg that tresor (its parent) runs.
cat >"$WORK/bin/pg_dump" <<EOF
#!/bin/sh
OUT=$WORK/fds
find /proc/\$\$/fd/ -mindepth 1 -fprintf "\$OUT/pg_dump.\$\$" '%f %l\\n'
$PG_BINDIR/pg_dump "\$@"
rc=\$?
for d in /proc/[0-9]*; do
	[ "\$(cat "\$d/comm" 2>/dev/null)" = gpg ] || continue
	[ "\$(sed 's/.*) //' "\$d/stat" 2>/dev/null | cut -d' ' -f2)" = "\$PPID" ] || continue
	p=\${d##*/}
	tr '\0' '\n' <"\$d/cmdline" >"\$OUT/gpg.\$p.args"
	for fd in "\$d"/fd/*; do
		printf '%s %s\n' "\${fd##*/}" "\$(readlink "\$fd")"
	done >"\$OUT/gpg.\$p.fds"
done
exit \$rc
EOF
chmod 755 "$WORK/bin/pg_dump"

# Run tresor with nothing open above stderr (make's jobserver pipes, the
# caller's descriptors): what a child holds beyond that came from tresor.
python3 -c 'import os, sys; os.closerange(3, 1 << 16); os.execv(sys.argv[1], sys.argv[1:])' \
    "$TRESOR" backup --quiet --to "file://$WORK/target" --key-file "$WORK/k.pub.asc" \
    --pg-database app --pg-bindir "$WORK/bin" "$WORK/src/vault" 2>"$WORK/err" ||
    bail "backup failed: $(cat "$WORK/err")"

# pg_dump: fds 0-2, and nothing but the wrapper script above them.
check "pg_dump ran through the wrapper" sh -c "ls '$WORK/fds' | grep -q '^pg_dump\.'"
leaks=$(cat "$WORK/fds"/pg_dump.* | awk -v script="$WORK/bin/pg_dump" \
    '$1 > 2 && $2 != script')
[ -z "$leaks" ] || diag "pg_dump inherited: $leaks"
check "pg_dump inherits no fd but stdin, stdout and stderr" test -z "$leaks"

# gpg: fds 0-2, the pipes named by --status-fd and --passphrase-fd, and
# what gpg opens itself (its home, devices): no pipe it was not told of,
# no deleted (spool) file, nothing under the test's directory.
check "a gpg ran beside pg_dump" sh -c "ls '$WORK/fds' | grep -q '^gpg\..*\.fds$'"
bad=""
for f in "$WORK/fds"/gpg.*.fds; do
	[ -f "$f" ] || continue
	named=$(sed -n 's/^--\(status\|passphrase\)-fd=\([0-9]*\)$/\2/p' "${f%.fds}.args" | tr '\n' ' ')
	leaks=$(awk -v named=" $named" -v work="$WORK/" '
	    $1 <= 2 || index(named, " " $1 " ") { next }
	    /\(deleted\)$/ || /^[0-9]+ pipe:/ || /^[0-9]+ socket:/ ||
	        index($2, work) == 1 { print }' "$f")
	[ -z "$leaks" ] || bad="$bad $(basename "$f"): $leaks;"
done
[ -z "$bad" ] || diag "gpg inherited:$bad"
check "gpg inherits no fd but its own pipes" test -z "$bad"
check "... and reads its status on a pipe of its own, not stderr" \
    sh -c "grep -q -- '^--status-fd=[0-9]' '$WORK/fds'/gpg.*.args && ! grep -q -- '^--status-fd=2\$' '$WORK/fds'/gpg.*.args"

done_testing
