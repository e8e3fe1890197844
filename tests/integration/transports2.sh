#!/bin/sh
# transports2.sh: the tresor command over webdav://, webdavs:// and smb://
# against real servers (apache2 with mod_dav_fs and smbd, started by
# tests/transport/servers.sh): for each, a full backup of several volumes,
# an incremental, status, verify --read-data, restore, fetch, purge of the
# older chain and cleanup of an interrupted run's temporary; then a backup
# during which the server drops every connection (between volumes: the run
# retries, or fails cleanly and the next run works); and the password in no
# output, no message and no process's argv.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/transport/servers.sh"
# libsmbclient's own process-wide allocations (see the file).
LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$TOP_SRCDIR/tests/lsan-smb.supp:print_suppressions=0"
export LSAN_OPTIONS

# Its own user: tests running at once must not reset each other's password.
start_cli_servers cli2 tresor-test4 "apache smbd"
# libsmbclient's private directories go here: the end checks none is left.
mkdir -p "$WORK/tmp"
TMPDIR=$WORK/tmp
export TMPDIR

make_key k
mkdir -p "$WORK/src"
make_tree "$WORK/src/vault"
head -c 3000000 /dev/urandom >"$WORK/src/vault/big.bin"

# round_trip NAME URL DIR [OPTIONS...]: the verbs against one target, whose
# files the servers keep in DIR. The password comes from $FTP_PASSWORD.
round_trip() {
	name=$1 url=$2 dir=$3
	shift 3
	export FTP_PASSWORD="$PASSWORD"
	rm -rf "$WORK/out-$name" "$WORK/src/vault/new-$name.txt"
	check "[$name] full backup (volumes of 1 MiB)" env TRESOR_NOW="$(at 1)" \
	    "$TRESOR" backup --quiet --to "$url" "$@" --key-file "$WORK/k.pub.asc" \
	    --volsize 1 "$WORK/src/vault"
	check "[$name] the nested target directory was made" test -d "$dir"
	printf 'second night %s\n' "$name" >"$WORK/src/vault/new-$name.txt"
	check "[$name] incremental backup" env TRESOR_NOW="$(at 2)" \
	    "$TRESOR" backup --quiet --to "$url" "$@" --key-file "$WORK/k.pub.asc" \
	    --volsize 1 "$WORK/src/vault"
	"$TRESOR" status --from "$url" "$@" >"$WORK/status-$name.out" 2>&1
	check "[$name] status lists the full and the incremental" sh -c \
	    "grep -q full '$WORK/status-$name.out' && grep -q '\\.inc ' '$WORK/status-$name.out'"
	"$TRESOR" verify --read-data --from "$url" "$@" --key-file "$WORK/k.sec.asc" \
	    >"$WORK/verify-$name.out" 2>&1
	check "[$name] verify --read-data checks both sets" \
	    test "$(grep -c 'all hashes match' "$WORK/verify-$name.out")" -eq 2
	check "[$name] restore" "$TRESOR" restore --quiet --from "$url" "$@" \
	    --key-file "$WORK/k.sec.asc" --to "$WORK/out-$name"
	check "[$name] the restore equals the source" \
	    "$TREEDIFF" "$WORK/src/vault" "$WORK/out-$name/vault"
	check "[$name] fetch of one file" "$TRESOR" fetch --quiet --from "$url" "$@" \
	    --key-file "$WORK/k.sec.asc" vault/big.bin "$WORK/big-$name.out"
	check "[$name] ... with the right bytes" cmp "$WORK/src/vault/big.bin" "$WORK/big-$name.out"
	check "[$name] a second chain (full backup, day 40)" env TRESOR_NOW="$(at 40)" \
	    "$TRESOR" backup --quiet --full --to "$url" "$@" --key-file "$WORK/k.pub.asc" \
	    "$WORK/src/vault"
	check "[$name] purge --older-than 30D on day 80 removes the first chain" \
	    env TRESOR_NOW="$(at 80)" "$TRESOR" purge --quiet --from "$url" "$@" \
	    --older-than 30D --force
	"$TRESOR" status --from "$url" "$@" >"$WORK/status-$name.out" 2>&1
	check "[$name] ... leaving one full set and no incremental" sh -c \
	    "[ \$(grep -c full '$WORK/status-$name.out') -eq 1 ] && ! grep -q '\\.inc ' '$WORK/status-$name.out'"
	# What an interrupted upload leaves: a temporary object.
	printf 'partial' >"$dir/.tmp.tresor.x.vol000001.gpg.999.0"
	chown "$TEST_USER" "$dir/.tmp.tresor.x.vol000001.gpg.999.0"
	check "[$name] cleanup --force removes an interrupted run's temporary" sh -c \
	    "'$TRESOR' cleanup --from '$url' $* --force >/dev/null && ! ls -A '$dir' | grep -q '^\.tmp\.'"
	check "[$name] verify after all that" "$TRESOR" verify --quiet --from "$url" "$@" \
	    --key-file "$WORK/k.sec.asc"
	unset FTP_PASSWORD
}

D="webdav://$TEST_USER@127.0.0.1:$DAV_PORT/$RUN_ID/dav/target"
round_trip webdav "$D" "$TEST_HOME/$RUN_ID/dav/target"
round_trip webdavs "webdavs://$TEST_USER@127.0.0.1:$DAVS_PORT/digest/$RUN_ID/davs/target" \
    "$TEST_HOME/$RUN_ID/davs/target" --ca-file "$CA_FILE"
SMB="smb://TRESORTEST;$TEST_USER@127.0.0.1:$SMB_PORT/tresor/$RUN_ID/smb/target"
round_trip smb "$SMB" "$TEST_HOME/$RUN_ID/smb/target"

# The server drops every connection while a backup of many volumes runs
# (what a restart does to a client): the run retries and completes, or
# fails with one line; either way the next run completes and verifies.
head -c 30000000 /dev/urandom >"$WORK/src/vault/bigger.bin"
for name in webdav smb; do
	case $name in
	webdav) url="webdav://$TEST_USER@127.0.0.1:$DAV_PORT/$RUN_ID/dav-cut" pid=$APACHE_PID ;;
	smb) url="smb://$TEST_USER@127.0.0.1:$SMB_PORT/tresor/$RUN_ID/smb-cut" pid=$SMBD_PID ;;
	esac
	FTP_PASSWORD="$PASSWORD" "$TRESOR" backup --quiet --to "$url" --volsize 1 \
	    --key-file "$WORK/k.pub.asc" "$WORK/src/vault" 2>"$WORK/cut.err" &
	bpid=$!
	sleep 1
	# The server's children (one a connection, for both servers).
	pkill -KILL -P "$pid" 2>/dev/null
	wait $bpid
	rc=$?
	diag "$name, connections dropped mid-run: exit $rc: $(cat "$WORK/cut.err")"
	check "[$name] a run whose connections drop completes or fails in one line" \
	    sh -c "[ $rc -eq 0 ] || [ \$(wc -l <'$WORK/cut.err') -eq 1 ]"
	check "[$name] ... and the next run completes" env FTP_PASSWORD="$PASSWORD" \
	    "$TRESOR" backup --quiet --to "$url" --volsize 1 --key-file "$WORK/k.pub.asc" \
	    "$WORK/src/vault"
	check "[$name] ... and verifies" env FTP_PASSWORD="$PASSWORD" \
	    "$TRESOR" verify --quiet --from "$url" --key-file "$WORK/k.sec.asc"
done
# The password in the URL: masked in argv while tresor runs, in no output.
U="smb://$TEST_USER:$PASSWORD@127.0.0.1:$SMB_PORT/tresor/$RUN_ID/smb-argv"
"$TRESOR" backup --quiet --to "$U" --volsize 1 --key-file "$WORK/k.pub.asc" \
    "$WORK/src/vault" 2>"$WORK/argv.err" &
pid=$!
sample_argv $pid "$WORK/cmdlines"
wait $pid
check "backup to smb:// with the password in the URL" test $? -eq 0
check "tresor was seen running (argv sampled)" grep -q "backup .*--quiet --to smb://$TEST_USER:\*" "$WORK/cmdlines"
check "the password is in no process's argv" no_password "$WORK/cmdlines"
"$TRESOR" status --from "$U" >"$WORK/status-argv.out" 2>&1
rm -f "$WORK/src/vault/bigger.bin"
check "status output (which names the target) holds no password" \
    no_password "$WORK/status-argv.out" "$WORK/argv.err" "$WORK"/status-*.out "$WORK"/verify-*.out

# Failures: one line naming host and path, no password, non-zero exit.
for url in "webdav://$TEST_USER@127.0.0.1:$DAV_PORT/$RUN_ID/dav/target" \
    "smb://$TEST_USER@127.0.0.1:$SMB_PORT/tresor/$RUN_ID/smb/target"; do
	name=${url%%:*}
	expect_fail "$WORK/err" env FTP_PASSWORD=wrong-password-123 "$TRESOR" status --from "$url"
	diag "$(cat "$WORK/err")"
	check "[$name] wrong password: one line naming host and path" sh -c \
	    "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q '127.0.0.1:[0-9]*/.*$RUN_ID' '$WORK/err'"
	check "[$name] wrong password: says so, without the password" sh -c \
	    "grep -q 'authentication failed' '$WORK/err' && ! grep -q wrong-password-123 '$WORK/err'"
done
expect_fail "$WORK/err" env FTP_PASSWORD="$PASSWORD" "$TRESOR" status \
    --from "webdavs://$TEST_USER@127.0.0.1:$DAVS_PORT/$RUN_ID/davs"
diag "$(cat "$WORK/err")"
check "webdavs without the private CA: refused, one line" sh -c \
    "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'certificate' '$WORK/err'"
check "--insecure-tls: accepted when asked" env FTP_PASSWORD="$PASSWORD" "$TRESOR" status \
    --insecure-tls --from "webdavs://$TEST_USER@127.0.0.1:$DAVS_PORT/digest/$RUN_ID/davs/target"
expect_fail "$WORK/err" env FTP_PASSWORD="$PASSWORD" "$TRESOR" status \
    --from "smb://$TEST_USER@127.0.0.1:$SMB_PORT/nosuchshare/x"
check "smb: a wrong share is named in one line" sh -c \
    "[ \$(wc -l <'$WORK/err') -eq 1 ] && grep -q 'no such share' '$WORK/err'"
# libsmbclient's private directory is removed; nothing lands in ~/.smb.
check "no libsmbclient directory is left behind" sh -c "! ls -A '$WORK/tmp' | grep -q tresor-smb"
check "nothing was written to ~/.smb" test ! -e "$HOME/.smb"

done_testing
