#!/bin/sh
# layers.sh: the dependency rule of docs/ARCHITECTURE.md, checked on every
# #include "..." of the program's sources (test code, tests/ and fuzz/, is
# not checked):
#
#   cli -> {backup, backupd, restore} -> repo -> {format, transports} -> common
#
# A folder may include its own headers and those of the folders below it,
# except that db/ is used by backup/ and restore/ only, format/ never
# includes transports/, repo/, backup/ or restore/, transports/ never
# includes format/, and only repo/ and cli/ (its option parsing) include
# transports/. With --self-test it also checks that a broken include is
# caught, so the rule cannot pass by checking nothing.
set -u
top=${TOP_SRCDIR:-$(dirname "$0")/../..}

# allowed FOLDER: the folders FOLDER may include.
allowed() {
	case $1 in
	common)		echo "common" ;;
	transports)	echo "transports common" ;;
	format)		echo "format common" ;;
	db)		echo "db common" ;;
	repo)		echo "repo format transports common" ;;
	backup)		echo "backup repo format db common" ;;
	restore)	echo "restore repo format db common" ;;
	backupd)	echo "backupd backup restore repo format common" ;;
	cli)		echo "cli backup backupd restore repo format transports common" ;;
	*)		echo "" ;;
	esac
}

# violations DIR: one line "file: #include X (folder F may not)" per
# include that breaks the rule, for the tree at DIR.
violations() {
	(cd "$1" && find common transports format db repo backup restore backupd cli \
	    -name '*.[ch]' 2>/dev/null) | sort | while read -r f; do
		folder=${f%%/*}
		ok=$(allowed "$folder")
		grep -o '^#include "[^"]*"' "$1/$f" | sed 's/^#include "//; s/"$//' |
		while read -r inc; do
			case $inc in
			*/*)	target=${inc%%/*} ;;
			*)	target=$folder ;;	# same folder
			esac
			[ "$inc" = config.h ] && continue
			case " $ok " in
			*" $target "*) ;;
			*) echo "$f: #include \"$inc\" ($folder/ may not include $target/)" ;;
			esac
		done
	done
}

n=0
fail=0
report() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		fail=1
	fi
}

out=$(violations "$top")
[ -z "$out" ]
report $? "every #include follows the layering rule"
[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/# /'

count=$(cd "$top" && find common transports format db repo backup restore cli \
    -name '*.[ch]' | wc -l)
[ "$count" -gt 50 ]
report $? "the check read the sources ($count files)"

# The check itself: a copy of the tree with one forbidden include each
# way must fail, naming the file.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tresor-layers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
for case in "format/record.c:transports/transport.h" \
    "transports/file.c:format/record.h" \
    "common/log.c:repo/lock.h" \
    "restore/fetch.c:transports/transport.h" \
    "backupd/x.c:db/pg.h" \
    "repo/lock.c:backup/backup.h"; do
	file=${case%%:*}
	inc=${case#*:}
	rm -rf "$tmp/tree"
	mkdir -p "$tmp/tree"
	(cd "$top" && tar cf - common transports format db repo backup restore cli \
	    $( [ -d backupd ] && echo backupd)) | (cd "$tmp/tree" && tar xf -)
	mkdir -p "$tmp/tree/${file%/*}"
	printf '#include "%s"\n' "$inc" >>"$tmp/tree/$file"
	out=$(violations "$tmp/tree")
	printf '%s\n' "$out" | grep -q "^$file: #include \"$inc\""
	report $? "a broken rule is caught: $file including $inc"
done

echo "1..$n"
exit $fail
