#!/bin/sh
# bad-input.sh: docs/ERRORS.md is checked, row by row. Each row of its table
# names a verb, a bad input, the command that gives it, the exit code and
# the message; this test builds the fixtures the commands name, runs every
# row's command, and checks the exit code and that stderr is the row's
# message, on one line (backupd --once: the job's log, whose last line is
# the message and whose only failure line it is). The table is the
# documentation: a row that no longer holds fails here.
# Root only, like tests/transport/net.sh: the full-disk rows mount a tmpfs
# and the permission rows drop to nobody. As a normal user the whole test
# is skipped, saying why (CI runs as root).
if [ "$(id -u)" -ne 0 ]; then
	echo "1..0 # SKIP bad-input.sh mounts a tmpfs and runs as nobody: root only"
	exit 0
fi
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/pglib.sh"

TABLE=$TOP_SRCDIR/docs/ERRORS.md
[ -f "$TABLE" ] || bail "no $TABLE"
command -v python3 >/dev/null 2>&1 || bail "python3 is needed (scripts/setup.sh installs it)"
[ -n "${BACKUPD:-}" ] && [ -x "$BACKUPD" ] || bail "BACKUPD must point at backupd/backupd (make check sets it)"

# --- fixtures (the names docs/ERRORS.md's commands use) ------------------
# Commands run from $WORK/bin, a copy every user can run (as nobody too).
mkdir -p "$WORK/bin" && chmod 755 "$WORK/bin"
cp "$TRESOR" "$WORK/bin/tresor" && cp "$BACKUPD" "$WORK/bin/backupd" &&
    ln -s tresor "$WORK/bin/recover-from-backup" &&
    chmod 755 "$WORK/bin/tresor" "$WORK/bin/backupd" || bail "copying the binaries"
PATH="$WORK/bin:$PATH"
export PATH

make_key k
make_key other
PUB=$WORK/k.pub.asc
SEC=$WORK/k.sec.asc
OTHER=$WORK/other.sec.asc
OTHERPUB=$WORK/other.pub.asc
chmod 644 "$PUB" "$SEC" "$OTHER" "$OTHERPUB"
# A GnuPG home without keys: "missing key" means none anywhere.
NOKEYS=$WORK/gnupg-none
mkdir -p "$NOKEYS" && chmod 700 "$NOKEYS"
VAULT=$WORK/vault
mkdir -p "$VAULT/docs" "$WORK/empty-vault"
EMPTY=$WORK/empty-vault
# A newline typed into a URL or a time spec: still one line of message.
NLURL=$(printf 'bogus://host\nx')
NLTIME=$(printf '2999-01-01\nx')
printf 'hello\n' >"$VAULT/docs/hello.txt"
head -c 3000000 /dev/urandom >"$VAULT/big.bin"

# $T: one full set of the vault, made "yesterday" ($NOW is now; backups
# before $T's set are "the clock went backwards").
NOW=$(date +%s)
mkdir -p "$WORK/t"
T=file://$WORK/t
TRESOR_NOW=$((NOW - 86400)) tresor backup --quiet --to "$T" --key-file "$PUB" \
    "$VAULT" || bail "the fixture backup failed"
BEFORE=$((NOW - 2 * 86400))
SETID=$(ls "$WORK/t" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p')
[ -n "$SETID" ] || bail "no set in $WORK/t"
MANIFEST=tresor.$SETID.manifest.gpg
chmod -R a+rX "$WORK/t"

# $TPW: a set under a passphrase ($PW); $BADPW is another one.
printf 'correct horse\n' >"$WORK/pw" && PW=$WORK/pw
printf 'hunter2\n' >"$WORK/badpw" && BADPW=$WORK/badpw
mkdir -p "$WORK/tpw"
TPW=file://$WORK/tpw
tresor backup --quiet --to "$TPW" --passphrase-file "$PW" "$VAULT" ||
    bail "the passphrase fixture backup failed"
PWMANIFEST=$(cd "$WORK/tpw" && ls *.manifest.gpg)

# $EMPTYPW: an empty passphrase file; $GARBAGE: a "key" file without a
# key; $SIGNPUB: a key that can only sign (in $WORK/gnupg-signonly too;
# not $WORK/gnupg-sign, lib.sh's signing key for the seals);
# $PROTSEC: a secret key protected by the passphrase in $PW, and $TPROT a
# set encrypted to it.
: >"$WORK/emptypw" && EMPTYPW=$WORK/emptypw
printf 'not a key\n' >"$WORK/garbage.asc" && GARBAGE=$WORK/garbage.asc
mkdir -p "$WORK/gnupg-signonly" "$WORK/gnupg-prot" &&
    chmod 700 "$WORK/gnupg-signonly" "$WORK/gnupg-prot"
GNUPGHOME=$WORK/gnupg-signonly gpg --batch --quiet --passphrase '' \
    --quick-gen-key 'sign only <s@tresor.invalid>' ed25519 sign never \
    >/dev/null 2>&1 || bail "gpg key generation failed"
GNUPGHOME=$WORK/gnupg-signonly gpg --batch --armor --export >"$WORK/signonly.pub.asc"
SIGNPUB=$WORK/signonly.pub.asc
GNUPGHOME=$WORK/gnupg-prot gpg --batch --quiet --pinentry-mode loopback \
    --passphrase-file "$PW" --quick-gen-key 'protected <p@tresor.invalid>' \
    future-default default never >/dev/null 2>&1 || bail "gpg key generation failed"
GNUPGHOME=$WORK/gnupg-prot gpg --batch --armor --export >"$WORK/prot.pub.asc"
GNUPGHOME=$WORK/gnupg-prot gpg --batch --pinentry-mode loopback \
    --passphrase-file "$PW" --armor --export-secret-keys >"$WORK/prot.sec.asc"
PROTSEC=$WORK/prot.sec.asc
mkdir -p "$WORK/tprot"
TPROT=file://$WORK/tprot
tresor backup --quiet --to "$TPROT" --key-file "$WORK/prot.pub.asc" "$VAULT" ||
    bail "the protected-key fixture backup failed"
PROTMANIFEST=$(cd "$WORK/tprot" && ls *.manifest.gpg)
# The protected key, restored with its passphrase: the fixture is right.
tresor restore --quiet --from "$TPROT" --to "$WORK/prot-ok" --key-file "$PROTSEC" \
    --passphrase-file "$PW" || bail "the protected key does not restore its set"

# $NOTT: a directory of someone else's files; $EMPTYT: an empty directory.
mkdir -p "$WORK/nott" "$WORK/emptyt"
printf 'x\n' >"$WORK/nott/notes.txt" && printf 'y\n' >"$WORK/nott/photo.jpg"
NOTT=file://$WORK/nott
EMPTYT=file://$WORK/emptyt

# $V2: $T's set with its manifest's version line made "tresor-manifest 2"
# (a set from a newer tresor), re-encrypted to the same key and sealed
# again with the run's signing key (lib.sh), as its maker would have: the
# seal's manifest line gets the new manifest's size and hash, and its
# target id a new one ($V2 is a target of its own).
mkdir -p "$WORK/v2" && cp "$WORK/t"/* "$WORK/v2/"
V2=file://$WORK/v2
GNUPGHOME=$WORK/gnupg-k gpg --batch --quiet --decrypt "$WORK/t/$MANIFEST" |
    zstd -q -d -c | sed '1s/^tresor-manifest 1$/tresor-manifest 2/' |
    zstd -q -c | GNUPGHOME=$WORK/gnupg-k gpg --batch --quiet --trust-model always \
    --encrypt --recipient k@tresor.invalid >"$WORK/v2/$MANIFEST" ||
    bail "making the version 2 manifest failed"
V2SIZE=$(stat -c %s "$WORK/v2/$MANIFEST")
V2HASH=$(sha256sum "$WORK/v2/$MANIFEST" | cut -d' ' -f1)
V2TID=$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
GNUPGHOME=$WORK/gnupg-sign gpg --batch --quiet --decrypt "$WORK/t/tresor.$SETID.seal.asc" \
    2>/dev/null | sed -e "s/^manifest .*/manifest $V2SIZE $V2HASH/" \
    -e "s/^target .*/target $V2TID/" >"$WORK/v2.seal.txt" &&
    grep -qx "manifest $V2SIZE $V2HASH" "$WORK/v2.seal.txt" &&
    GNUPGHOME=$WORK/gnupg-sign gpg --batch --quiet --yes --digest-algo SHA256 \
    --clearsign -o "$WORK/v2/tresor.$SETID.seal.asc" "$WORK/v2.seal.txt" ||
    bail "sealing the version 2 manifest failed"

# $DOWN: a port on 127.0.0.1 nothing listens on; $DENY: a WebDAV server
# that refuses every login (HTTP 401), a stand-in for a real server with a
# wrong password.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}
DOWN_PORT=$(free_port) || bail "no free port"
DOWN=sftp://backup@127.0.0.1:$DOWN_PORT/backup
cat >"$WORK/deny.py" <<'EOF'
import http.server, socketserver
class Deny(http.server.BaseHTTPRequestHandler):
    def deny(self):
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Basic realm="tresor-test"')
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_GET = do_PUT = do_HEAD = do_DELETE = do_MOVE = do_MKCOL = deny
    do_PROPFIND = do_OPTIONS = deny
    def log_message(self, *args):
        pass
server = socketserver.TCPServer(("127.0.0.1", 0), Deny)
print(server.server_address[1], flush=True)
server.serve_forever()
EOF
python3 "$WORK/deny.py" >"$WORK/deny.port" 2>/dev/null &
DENY_PID=$!
n=0
while [ ! -s "$WORK/deny.port" ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
[ -s "$WORK/deny.port" ] || bail "the refusing WebDAV server did not start"
DENY=webdav://backup@127.0.0.1:$(cat "$WORK/deny.port")/dav
# The password a wrong login is tried with; never in a message.
FTP_PASSWORD=hunter2
export FTP_PASSWORD

# $LOCKED: a directory only root may enter (the commands that need it run
# as nobody, so that root's bypass of modes does not hide the check).
mkdir -p "$WORK/locked" && chmod 700 "$WORK/locked"
LOCKED=$WORK/locked
mkdir -p "$WORK/nobody/t" && chmod 777 "$WORK/nobody" "$WORK/nobody/t"
as_nobody() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    --inh-caps=-all -- env HOME="$WORK/nobody" \
		    TRESOR_CACHE_DIR="$WORK/nobody/cache" "$@"
	else
		"$@"
	fi
}

# $FULL: a 1 MiB tmpfs (as root; CI runs as root). Without mount rights the
# full-disk rows cannot run: a failure, not a skip.
mkdir -p "$WORK/full"
FULL=$WORK/full
FULL_MOUNTED=0
if mount -t tmpfs -o size=1m,mode=0777 tmpfs "$FULL" 2>"$WORK/mount.err"; then
	FULL_MOUNTED=1
else
	# The full-disk rows then fail (no skip): say why.
	diag "mount -t tmpfs failed: $(cat "$WORK/mount.err")"
fi
pg_stop_and_unmount() {
	[ "$FULL_MOUNTED" -eq 1 ] && umount "$FULL" 2>/dev/null
	kill "$DENY_PID" 2>/dev/null
	pg_stop
	cleanup_work
}
trap 'pg_stop_and_unmount' EXIT

# The database server (pglib.sh started it), for the rows of a missing
# database, and for recover-from-backup, which checks the server first.
DUMPS=$WORK/dumps
mkdir -p "$DUMPS"

# backupd configurations: env_yml FILE [YAML-LINE...] (the lines replace
# the defaults of the same key).
env_yml() {
	f=$1
	shift
	{
		echo "appliance:"
		echo "  backup:"
		yml_backup "$PUB" "url: $T" "sources: [$VAULT]" \
		    "metrics: $WORK/metrics/backup.prom" \
		    "cache_dir: $WORK/cache" "state_dir: $WORK/state" \
		    "deadline: none" -- "$@"
	} >"$f"
}
mkdir -p "$WORK/metrics" "$WORK/state"
CONF=$WORK/conf
mkdir -p "$CONF"
env_yml "$CONF/badurl.yml" "url: not-a-url"
env_yml "$CONF/scheme.yml" "url: bogus://host/backup"
env_yml "$CONF/down.yml" "url: $DOWN"
env_yml "$CONF/deny.yml" "url: $DENY"
env_yml "$CONF/empty.yml" "sources: [$EMPTY]"
env_yml "$CONF/nodb.yml" "database: {name: no_such_db}"
env_yml "$CONF/ok.yml"
sed '/^    encrypt: |$/,$d' "$CONF/ok.yml" >"$CONF/nokey.yml"
# The chain's key is k: a configuration with another public key.
{ sed '/^    encrypt: |$/,$d' "$CONF/ok.yml"; echo "    encrypt: |"
    sed 's/^/      /' "$WORK/other.pub.asc"; } >"$CONF/otherkey.yml"
pg_sql "CREATE DATABASE ecs" || bail "CREATE DATABASE ecs"
# Sets of the wrong shape for recover-from-backup: $TDBONLY holds the
# database dump and no vault, $TTWO the dump and two directories.
mkdir -p "$WORK/tdbonly" "$WORK/ttwo" "$WORK/other-dir"
printf 'other\n' >"$WORK/other-dir/file"
TDBONLY=file://$WORK/tdbonly
TTWO=file://$WORK/ttwo
tresor backup --quiet --to "$TDBONLY" --key-file "$PUB" --pg-database ecs ||
    bail "the dump-only fixture backup failed"
tresor backup --quiet --to "$TTWO" --key-file "$PUB" --pg-database ecs \
    "$VAULT" "$WORK/other-dir" || bail "the two-directory fixture backup failed"

# The table: one tab-separated line per row (verb, input, command, exit,
# message), from the Markdown (cells in backticks, \| for a '|').
python3 - "$TABLE" >"$WORK/rows" <<'EOF' || bail "docs/ERRORS.md: no table"
import re, sys
rows = 0
intable = False
for line in open(sys.argv[1], encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("| verb | bad input |"):
        intable = True
        continue
    if not intable or line.startswith("|---"):
        continue
    if not line.startswith("| "):
        break
    cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
    if len(cells) != 5:
        sys.exit("docs/ERRORS.md: a row without 5 cells: " + line)
    cells = [c[1:-1] if c.startswith("`") and c.endswith("`") else c for c in cells]
    print("\t".join(cells))
    rows += 1
sys.exit(0 if rows else 1)
EOF
ROWS=$(wc -l <"$WORK/rows")
diag "docs/ERRORS.md: $ROWS rows"

# expand TEXT: TEXT with the fixtures' $NAMES replaced, nothing else
# (quotes, '*' and the rest stay).
expand() {
	esc=$(printf '%s' "$1" | sed 's/[\\"`]/\\&/g')
	eval "printf '%s' \"$esc\""
}
# as_pattern TEXT: TEXT as a case pattern in which only '*' is special.
as_pattern() {
	printf '%s' "$1" | sed 's/[][\\?]/\\&/g'
}

verbs_seen=""
inputs_seen=""
i=0
tab=$(printf '\t')
while IFS="$tab" read -r verb input cmd want msg; do
	i=$((i + 1))
	OUT=$WORK/out/$i
	mkdir -p "$WORK/out" && chmod 777 "$WORK/out"
	rm -rf "$OUT"
	[ "$verb" = "backupd" ] && rm -rf "$WORK/state" && mkdir -p "$WORK/state"
	(eval "$cmd") >"$WORK/stdout" 2>"$WORK/stderr" </dev/null
	rc=$?
	check "$verb, $input: exit $want" [ "$rc" -eq "$want" ]
	[ "$rc" -eq "$want" ] || diag "got exit $rc from: $(expand "$cmd")"
	pat=$(as_pattern "$(expand "$msg")")
	if [ "$verb" = backupd ] && [ "$(wc -l <"$WORK/stderr")" -gt 1 ]; then
		line=$(tail -n 1 "$WORK/stderr")
		others=$(sed '$d' "$WORK/stderr" | grep -ci 'fail\|error')
		lines_ok=$([ "$others" -eq 0 ] && echo yes || echo no)
	else
		line=$(cat "$WORK/stderr")
		lines_ok=$([ "$(wc -l <"$WORK/stderr")" -eq 1 ] && echo yes || echo no)
	fi
	matched=no
	# shellcheck disable=SC2254
	case "$line" in $pat) matched=yes ;; esac
	check "... one line: the row's message" [ "$matched$lines_ok" = yesyes ]
	# BAD_INPUT_SHOW=1: every row's message as it is (to write rows).
	if [ "$matched" != yes ] || [ "$lines_ok" != yes ] ||
	    [ "${BAD_INPUT_SHOW:-0}" = 1 ]; then
		diag "want: $(expand "$msg")"
		diag "got:  $(cat "$WORK/stderr")"
	fi
	check "... no password or passphrase in it" \
	    sh -c "! grep -q 'hunter2\|correct horse' '$WORK/stderr'"
	verbs_seen="$verbs_seen $verb "
	inputs_seen="$inputs_seen|$input"
done <"$WORK/rows"

# Every verb has rows, and every bad input the table promises has one.
for v in backup restore fetch restore-db verify status purge cleanup ls \
    recover-from-backup backupd; do
	check "the table has rows for $v" sh -c "echo '$verbs_seen' | grep -q ' $v '"
done
for input in "bad URL" "unknown scheme" "wrong key" "missing key" \
    "wrong passphrase" "unreachable host" "auth failure" "permission denied" \
    "not a tresor target" "clock gone backwards" "time in the future" \
    "empty vault" "missing database" "full disk" "newer format version" \
    "newline in the URL" "newline in the time spec"; do
	check "the table has a row for: $input" sh -c "printf '%s' '$inputs_seen' | grep -q '|$input'"
done

done_testing
