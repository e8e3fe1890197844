#!/bin/sh
# ls.sh: tresor ls lists what a set holds from its manifest: the newest
# set, --time and --set choose as restore does, PATHs select stored paths
# and what lies under them, --json is valid JSON that matches the tree
# (types, sizes, link targets, odd bytes in names), and a path that is not
# in the set or a wrong key fails with one line and prints nothing.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
make_key other
mkdir -p "$WORK/src" "$WORK/target"
V="$WORK/src/vault"
T="file://$WORK/target"
make_tree "$V"
ls_() {
	"$TRESOR" ls --from "$T" --key-file "$WORK/k.sec.asc" "$@"
}

# tree_check JSON DIR [PREFIX]: the JSON listing (a file) describes DIR,
# stored as PREFIX (default "vault"): the same paths (as bytes), and for
# each its type, size, symlink target and mtime; a hard link names a path
# that is a file with the same inode.
tree_check() {
	python3 - "$1" "$2" "${3:-vault}" <<'EOF'
import json, os, stat, sys, time
listing = json.load(open(sys.argv[1], encoding="utf-8"))
root, prefix = os.fsencode(sys.argv[2]), os.fsencode(sys.argv[3])
tree = {}
for d, dirs, files in os.walk(root):
    for n in dirs + files:
        p = os.path.join(d, n)
        tree[prefix + p[len(root):]] = os.lstat(p)
tree[prefix] = os.lstat(root)
seen = {}
bad = []
for e in listing:
    p = os.fsencode(e["path"])
    seen[p] = e
    st = tree.get(p)
    if st is None:
        bad.append("not in the tree: %r" % p)
        continue
    kind = {stat.S_IFREG: ("file", "hardlink"), stat.S_IFDIR: ("dir",),
            stat.S_IFLNK: ("symlink",), stat.S_IFIFO: ("fifo",)}[stat.S_IFMT(st.st_mode)]
    if e["type"] not in kind:
        bad.append("%r: type %s, the tree has %s" % (p, e["type"], kind))
    if e["type"] == "file" and e["size"] != st.st_size:
        bad.append("%r: size %d, the tree has %d" % (p, e["size"], st.st_size))
    if e["type"] != "file" and e["size"] != 0:
        bad.append("%r: size %d for a %s" % (p, e["size"], e["type"]))
    if e["type"] == "symlink" and os.fsencode(e["target"]) != os.readlink(os.path.join(root, p[len(prefix) + 1:])):
        bad.append("%r: target %r" % (p, e["target"]))
    if e["type"] == "hardlink":
        t = tree.get(os.fsencode(e["target"]))
        if t is None or t.st_ino != st.st_ino:
            bad.append("%r: hard link to %r, not the same file" % (p, e["target"]))
    if e["mtime"] != time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(int(st.st_mtime))):
        bad.append("%r: mtime %s" % (p, e["mtime"]))
    if int(e["mode"], 8) != stat.S_IMODE(st.st_mode) and e["type"] != "symlink":
        bad.append("%r: mode %s" % (p, e["mode"]))
for p in tree:
    if p not in seen:
        bad.append("missing from the listing: %r" % p)
for b in bad:
    print("# " + b)
sys.exit(1 if bad else 0)
EOF
}

# Night 0: a full set of the tree; night 1: one file changed, one added,
# one deleted, an incremental.
TRESOR_NOW=$(at 0) "$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k.pub.asc" "$V" ||
    bail "full backup"
cp -a "$V" "$WORK/snap0"
printf 'changed, and longer than before\n' >"$V/private/secret.txt"
printf 'new\n' >"$V/docs/2024/new.txt"
rm "$V/docs/empty-file"
TRESOR_NOW=$(at 1) "$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k.pub.asc" "$V" ||
    bail "incremental backup"
full_id=$(ls "$WORK/target" | sed -n 's/^tresor\.\(.*\.full\)\.manifest\.gpg$/\1/p')
inc_id=$(ls "$WORK/target" | sed -n 's/^tresor\.\(.*\.inc\)\.manifest\.gpg$/\1/p')
[ -n "$full_id" ] && [ -n "$inc_id" ] || bail "no full and incremental set"

# The newest set, as a table.
ls_ >"$WORK/ls1" 2>"$WORK/err"
check "ls lists the newest set" test $? -eq 0
check "... naming it first" sh -c "head -n 1 '$WORK/ls1' | grep -q '^set $inc_id (incremental, '"
check "... with nothing on stderr" test ! -s "$WORK/err"
n=$(find "$V" -printf x | wc -c)	# a name holds a newline
check "... one line per entry ($n), between the set and the total" \
    test "$(wc -l <"$WORK/ls1")" -eq $((n + 2))
check "... the total counts them" grep -q "^$n entries: " "$WORK/ls1"
check "... the added file, with its size" grep -Eq '^file +4  .*  vault/docs/2024/new\.txt$' "$WORK/ls1"
check "... the changed file's new size" grep -Eq '^file +32  .*  vault/private/secret\.txt$' "$WORK/ls1"
check "... not the deleted file" sh -c "! grep -q 'vault/docs/empty-file' '$WORK/ls1'"
check "... a symlink with its target" grep -q '  vault/docs/link-to-hello -> hello\.txt$' "$WORK/ls1"
check "... a hard link naming the first path" \
    grep -Eq '^hardlink .*  vault/private/random-again\.bin \(link to vault/docs/2024/a/random\.bin\)$' "$WORK/ls1"
check "... a fifo" grep -Eq '^fifo .*  vault/docs/a-fifo$' "$WORK/ls1"
check "... a newline in a name escaped, on one line" grep -q '  vault/docs/with\\x0anewline$' "$WORK/ls1"
check "... a byte that is not UTF-8 escaped" grep -q '  vault/docs/caf\\xe9$' "$WORK/ls1"

# --time and --set choose the full set.
ls_ --time "$(at 0)" >"$WORK/ls0" 2>"$WORK/err"
check "ls --time of night 0" test $? -eq 0
check "... lists the full set" sh -c "head -n 1 '$WORK/ls0' | grep -q '^set $full_id (full, 2026-01-01T00:30:00Z)'"
check "... with the file deleted since" grep -q '  vault/docs/empty-file$' "$WORK/ls0"
check "... without the one added since" sh -c "! grep -q 'new\.txt' '$WORK/ls0'"
check "... the changed file's old size" grep -Eq '^file +7  .*  vault/private/secret\.txt$' "$WORK/ls0"
check "... a directory with its mtime" \
    grep -Eq '^dir +-  2010-01-01T00:00:00Z  vault/docs/2024$' "$WORK/ls0"
check "ls --set FULL gives the same listing" sh -c "'$TRESOR' ls --from '$T' --key-file '$WORK/k.sec.asc' --set '$full_id' | cmp -s - '$WORK/ls0'"
expect_fail "$WORK/err" ls_ --time 2025-01-01
check "ls --time before the first set fails: one line" one_line_error "$WORK/err"
check "... saying there is no set then" grep -q 'no complete set at or before 2025-01-01' "$WORK/err"

# PATHs select a subtree, as restore's do.
ls_ --quiet vault/docs/2024 >"$WORK/ls2"
check "ls PATH lists only that path and what is under it" \
    sh -c "[ \$(wc -l <'$WORK/ls2') -eq 4 ] && ! grep -v '  vault/docs/2024' '$WORK/ls2'"
check "... a trailing slash selects the same" \
    sh -c "'$TRESOR' ls --quiet --from '$T' --key-file '$WORK/k.sec.asc' vault/docs/2024/ | cmp -s - '$WORK/ls2'"
check "... --quiet leaves out the set and total lines" sh -c "! grep -q '^set \|entries' '$WORK/ls2'"
check "... a prefix that is not a whole component selects nothing" \
    sh -c "! '$TRESOR' ls --quiet --from '$T' --key-file '$WORK/k.sec.asc' vault/docs/20 >/dev/null 2>&1"
ls_ --quiet vault/docs/hello.txt vault/private >"$WORK/ls3"
check "several PATHs: a file and a directory" test "$(wc -l <"$WORK/ls3")" -eq 4

# --json: valid JSON that describes the tree.
ls_ --json >"$WORK/j1" 2>"$WORK/err"
check "ls --json" test $? -eq 0
check "... is one JSON array" python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if isinstance(d, list) and len(d) > 10 else 1)' "$WORK/j1"
check "... is pure ASCII (odd bytes and newlines escaped)" sh -c "! LC_ALL=C grep -q '[^ -~]' '$WORK/j1'"
check "... and matches the tree: paths, types, sizes, targets, mtimes" tree_check "$WORK/j1" "$V"
ls_ --json --set "$full_id" >"$WORK/j0"
check "ls --json --set FULL matches night 0's tree" tree_check "$WORK/j0" "$WORK/snap0"
ls_ --json vault/docs/2024 >"$WORK/j2"
check "ls --json PATH matches that subtree" tree_check "$WORK/j2" "$V/docs/2024" vault/docs/2024
check "... the name with a newline round-trips" python3 -c '
import json, os, sys
paths = [os.fsencode(e["path"]) for e in json.load(open(sys.argv[1]))]
sys.exit(0 if b"vault/docs/with\nnewline" in paths and b"vault/docs/caf\xe9" in paths else 1)' "$WORK/j1"

# Failures: one line, nothing on stdout.
"$TRESOR" ls --from "$T" --key-file "$WORK/k.sec.asc" vault/docs/nonexistent \
    >"$WORK/out" 2>"$WORK/err"
check "a path that is not in the set fails" test $? -ne 0
check "... with one line" one_line_error "$WORK/err"
check "... naming the path and the set" grep -q "path 'vault/docs/nonexistent' is not in set $inc_id" "$WORK/err"
check "... and prints no listing" test ! -s "$WORK/out"
"$TRESOR" ls --json --from "$T" --key-file "$WORK/k.sec.asc" vault/docs vault/nope \
    >"$WORK/out" 2>"$WORK/err"
check "with --json too, even when another path matched" \
    sh -c "one_line_error() { [ \$(wc -l <\"\$1\") -eq 1 ]; }; one_line_error '$WORK/err' && test ! -s '$WORK/out'"

for key in other.sec.asc k.pub.asc; do
	"$TRESOR" ls --from "$T" --key-file "$WORK/$key" >"$WORK/out" 2>"$WORK/err"
	check "ls with the wrong key ($key) fails" test $? -ne 0
	diag "$(cat "$WORK/err")"
	check "... with one line" one_line_error "$WORK/err"
	check "... saying it is the key" grep -q 'no secret key for this set' "$WORK/err"
	check "... not damage" sh -c "! grep -Eqi 'corrupt|damage' '$WORK/err'"
	check "... and prints no listing" test ! -s "$WORK/out"
done

expect_fail "$WORK/err" "$TRESOR" ls --key-file "$WORK/k.sec.asc"
check "ls without --from is a usage error" grep -q -- '--from URL is required' "$WORK/err"

done_testing
