#!/bin/sh
# ls-names.sh: ls --json spells every name so that Python's os.fsencode
# gives the stored bytes back: quotes, backslashes, tabs and other control
# characters escaped, UTF-8 of 2, 3 and 4 bytes kept, and bytes that are
# not UTF-8 (overlong forms, surrogates, stray bytes) as \udcNN; and it
# names the kind of every entry, devices included (made as root only: a
# normal user cannot mknod, and then the device checks are not run), which
# restore recreates with their numbers.
. "$TOP_SRCDIR/tests/integration/lib.sh"

command -v python3 >/dev/null 2>&1 || bail "python3 is needed"
make_key k
S=$WORK/src/names
mkdir -p "$S" "$WORK/t"
# name HEX...: a file whose name is those bytes.
name() {
	n=$(printf "$(printf '\\%03o' "$@")")
	: >"$S/$n"
}
name 0x71 0x22 0x62 0x5c 0x73		# q"b\s
name 0x74 0x09 0x62			# t<TAB>b
name 0x63 0x01 0x7f			# c<SOH><DEL>
name 0xc3 0xa9				# e acute (2 bytes)
name 0xe2 0x82 0xac			# euro sign (3 bytes)
name 0xf0 0x9d 0x84 0x9e		# G clef (4 bytes)
name 0xc0 0x80				# overlong NUL: not UTF-8
name 0xed 0xa0 0x80			# a surrogate: not UTF-8
name 0xf4 0x90 0x80 0x80		# past U+10FFFF: not UTF-8
name 0xe2 0x82				# cut short: not UTF-8
name 0x80 0x41				# a stray continuation byte
devices=0
if [ "$(id -u)" -eq 0 ] && mknod "$S/chardev" c 1 3 2>/dev/null &&
    mknod "$S/blockdev" b 7 200 2>/dev/null; then
	devices=1
fi
"$TRESOR" backup --quiet --to "file://$WORK/t" --key-file "$WORK/k.pub.asc" \
    "$S" || bail "backup"
"$TRESOR" ls --json --from "file://$WORK/t" --key-file "$WORK/k.sec.asc" \
    >"$WORK/ls.json" 2>"$WORK/err"
check "ls --json exits 0" test $? -eq 0

cat >"$WORK/check.py" <<'EOF'
import json, os, stat, sys
listing = json.load(open(sys.argv[1], encoding="utf-8"))
src = sys.argv[2].encode()
want = set(os.listdir(src))
got = {}
for e in listing:
    p = os.fsencode(e["path"])
    if p.startswith(b"names/"):
        got[p[len(b"names/"):]] = e
bad = [n for n in want if n not in got]
for n in bad:
    print("# not listed as its bytes: %r" % n)
kinds = {stat.S_IFREG: "file", stat.S_IFCHR: "char", stat.S_IFBLK: "block"}
for n in want:
    if n in got:
        k = kinds.get(stat.S_IFMT(os.lstat(os.path.join(src, n)).st_mode))
        if got[n]["type"] != k:
            print("# %r listed as %s, is %s" % (n, got[n]["type"], k))
            bad.append(n)
sys.exit(1 if bad or len(got) != len(want) else 0)
EOF
check "every name's bytes and kind come back from the JSON" \
    python3 "$WORK/check.py" "$WORK/ls.json" "$S"
check "control characters are escaped, not written raw" \
    sh -c "! LC_ALL=C grep -q \"$(printf '\001')\" '$WORK/ls.json' && grep -q 'c\\\\u0001\\\\u007f' '$WORK/ls.json' && grep -q 't\\\\tb' '$WORK/ls.json'"
check "quotes and backslashes are escaped" grep -qF 'q\"b\\s' "$WORK/ls.json"
check "bytes that are not UTF-8 are \\udcNN" \
    sh -c "grep -qF '\\udcc0\\udc80' '$WORK/ls.json' && grep -qF '\\udced\\udca0\\udc80' '$WORK/ls.json' && grep -qF '\\udc80A' '$WORK/ls.json'"
if [ "$devices" -eq 1 ]; then
	"$TRESOR" ls --from "file://$WORK/t" --key-file "$WORK/k.sec.asc" \
	    >"$WORK/ls.txt" 2>&1
	check "the table names a character device as one" \
	    grep -q '^char .*names/chardev$' "$WORK/ls.txt"
	check "... and a block device" grep -q '^block .*names/blockdev$' "$WORK/ls.txt"
	"$TRESOR" restore --quiet --from "file://$WORK/t" --to "$WORK/r" \
	    --key-file "$WORK/k.sec.asc" 2>"$WORK/err"
	check "the devices restore as devices with their numbers" \
	    sh -c "[ \"\$(stat -c '%F %t %T' '$WORK/r/names/chardev')\" = 'character special file 1 3' ] && [ \"\$(stat -c '%F %t %T' '$WORK/r/names/blockdev')\" = 'block special file 7 c8' ]"
	check "... and every name as its bytes" \
	    sh -c "[ \"\$(ls '$S' | sort | md5sum)\" = \"\$(ls '$WORK/r/names' | sort | md5sum)\" ]"
fi

done_testing
