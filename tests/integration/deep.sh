#!/bin/sh
# deep.sh: depth costs heap, not stack or file descriptors. A tree 1,000
# levels deep and a path of 4,400 bytes (longer than PATH_MAX, even
# relative to the restore directory) back up, verify and restore, whole and
# selectively, with a soft limit of 256 open files.
. "$TOP_SRCDIR/tests/integration/lib.sh"

DEPTH=1000
# mkdir -p of such paths fails with ENAMETOOLONG in one system call, and
# so would any tool given the whole path: enter one directory at a time.

# make_deep DIR: DIR/d/d/.../d, $DEPTH levels, a file every 100 levels,
# a symlink, a hard link and a file at the bottom.
make_deep() (
	mkdir -p "$1" && cd -P "$1" || exit 1
	i=1
	while [ $i -le $DEPTH ]; do
		mkdir d && cd -P d || exit 1
		if [ $((i % 100)) -eq 0 ]; then
			printf 'level %d\n' $i >"level$i.txt" || exit 1
		fi
		i=$((i + 1))
	done
	printf 'the deepest file\n' >deepest.txt &&
	    ln -s deepest.txt link && ln deepest.txt hardlink &&
	    touch -d '2001-02-03 04:05:06.123456789' deepest.txt
)

# make_long DIR: 22 directories of 200-byte names (4,400 bytes) and a file.
make_long() (
	mkdir -p "$1" && cd -P "$1" || exit 1
	comp=$(printf '%0196d' 0 | tr 0 x)
	i=10
	while [ $i -lt 32 ]; do
		mkdir "$comp.$i" && cd -P "$comp.$i" || exit 1
		i=$((i + 1))
	done
	head -c 100000 /dev/urandom >data.bin &&
	    printf 'the longest path\n' >end.txt
)

# long_rel: the stored path of make_long's end.txt below its DIR.
long_rel() {
	comp=$(printf '%0196d' 0 | tr 0 x)
	i=10
	rel=
	while [ $i -lt 32 ]; do
		rel="$rel$comp.$i/"
		i=$((i + 1))
	done
	printf '%send.txt' "$rel"
}

# cat_deep ROOT REL: the contents of ROOT/REL, entering one level at a time.
cat_deep() (
	cd -P "$1" || exit 1
	rel=$2
	while :; do
		case $rel in
		*/*)	cd -P "./${rel%%/*}" || exit 1
			rel=${rel#*/} ;;
		*)	exec cat "./$rel" ;;
		esac
	done
)

# limited COMMAND...: run with at most 256 open files.
limited() (
	ulimit -n 256 || exit 1
	exec "$@"
)

make_key k
make_deep "$WORK/src/vault/deep" || bail "cannot build the deep tree"
make_long "$WORK/src/vault/long" || bail "cannot build the long path"
mkdir -p "$WORK/target"
T="file://$WORK/target"
DEEP_REL=$(i=0; while [ $i -lt $DEPTH ]; do printf 'd/'; i=$((i + 1)); done)deepest.txt
LONG_REL=$(long_rel)
diag "longest stored path: $(printf 'vault/long/%s' "$LONG_REL" | wc -c) bytes"

check "treediff reads the source (paths past PATH_MAX)" \
    sh -c "'$TREEDIFF' --stats '$WORK/src/vault' | grep -q '^files=14 dirs=1024 symlinks=1 hardlinks=1 '"

check "backup of a tree $DEPTH levels deep exits 0" \
    limited "$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k.pub.asc" \
    "$WORK/src/vault"
check "verify --read-data exits 0" \
    limited "$TRESOR" verify --quiet --read-data --from "$T" \
    --key-file "$WORK/k.sec.asc"

check "restore exits 0" \
    limited "$TRESOR" restore --quiet --from "$T" --to "$WORK/out" \
    --key-file "$WORK/k.sec.asc"
check "the restored tree is identical" \
    "$TREEDIFF" "$WORK/src/vault" "$WORK/out/vault"
check "... down to the deepest file" \
    test "$(cat_deep "$WORK/out/vault/deep" "$DEEP_REL")" = "the deepest file"
check "... and the end of the longest path" \
    test "$(cat_deep "$WORK/out/vault/long" "$LONG_REL")" = "the longest path"

# selective WHAT DIR SUB REL TEXT: restore only vault/SUB/REL into
# $WORK/DIR; it must hold TEXT.
selective() {
	check "selective restore of the $1 exits 0" \
	    limited "$TRESOR" restore --quiet --from "$T" --to "$WORK/$2" \
	    --key-file "$WORK/k.sec.asc" "vault/$3/$4"
	check "... restores it" \
	    test "$(cat_deep "$WORK/$2/vault/$3" "$4")" = "$5"
}

selective "deepest file" sel deep "$DEEP_REL" "the deepest file"
check "... and nothing beside it" \
    sh -c "'$TREEDIFF' --stats '$WORK/sel/vault' | grep -q '^files=1 dirs=1001 symlinks=0 '"
selective "longest path" sel2 long "$LONG_REL" "the longest path"

check "an incremental backup over the same tree exits 0" \
    limited "$TRESOR" backup --quiet --to "$T" --key-file "$WORK/k.pub.asc" \
    "$WORK/src/vault"
check "... and restores identical" \
    sh -c "'$TRESOR' restore --quiet --from '$T' --to '$WORK/out2' --key-file '$WORK/k.sec.asc' &&
    '$TREEDIFF' '$WORK/src/vault' '$WORK/out2/vault'"

done_testing
