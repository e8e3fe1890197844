# servers.sh: real SFTP, FTP/FTPS, WebDAV (http and https) and SMB servers
# for the transport tests (sourced, POSIX sh).
#
#   start_servers DIR USER [SERVERS]
#                            SERVERS (default "sshd vsftpd"; also apache,
#                            smbd) on 127.0.0.1, free high ports, configs,
#                            keys and a self-signed certificate generated
#                            into DIR; sets the variables below
#   stop_servers             stops them by PID (also run from the EXIT trap
#                            of the caller, and by a watchdog if the test
#                            process dies)
#   start_net_test NAME USER [SERVERS]
#                            for net.sh and net2.sh: WORK (a new directory),
#                            RUN_ID, an EXIT trap removing both, then
#                            start_servers
#   start_silent_server      a server that accepts connections and never
#                            says a word (idle timeouts) on SILENT_PORT, and
#                            DEAD_PORT, a port nobody listens on
#   start_cli_servers NAME USER [SERVERS]
#                            for tests/integration/transports*.sh (sourced
#                            after lib.sh): RUN_ID, an EXIT trap (servers,
#                            the run's directory, cleanup_work), the servers
#                            in $WORK/servers and PASSWORD, the user's
#   no_password FILE...      none of the files holds PASSWORD
#   sample_argv PID FILE     appends every process's argv to FILE, every
#                            0.1 s while PID runs, from 0.2 s after it started
#
# A missing server binary or a server that does not come up is a failure
# (Bail out!), never a skip. Root is needed: the test user (local, with a
# fresh random password each run, for password logins) is created with
# useradd/chpasswd, and vsftpd serves local users only as root. Run by a
# normal user, the test is skipped as a whole (TAP "1..0 # SKIP", naming
# why); CI runs as root.
#
# Sets: SSHD_PID VSFTPD_PID SSH_PORT FTP_PORT TEST_USER TEST_PASSWORD_FILE SSH_KEY KNOWN_HOSTS
#       CA_FILE TEST_HOME (the user's login directory)
#       APACHE_PID DAV_PORT DAVS_PORT (apache: WebDAV over http and https,
#       basic auth under /, digest under /digest/, both serving TEST_HOME)
#       SMBD_PID SMB_PORT SMB_CONF (smbd: share "tresor" is TEST_HOME,
#       "readonly" is read-only; the user in a private passdb)

SSHD=/usr/sbin/sshd
VSFTPD=/usr/sbin/vsftpd
APACHE=/usr/sbin/apache2
SMBD=/usr/sbin/smbd
SERVER_PIDS=""

servers_bail() {
	echo "Bail out! $*"
	stop_servers
	exit 1
}

# free_port: a TCP port nothing listens on now.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_port PORT PID: until something accepts on PORT (10 s at most).
wait_port() {
	i=0
	while [ $i -lt 100 ]; do
		kill -0 "$2" 2>/dev/null || return 1
		if python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' "$1" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# ensure_user NAME DIR: a local user with a new random password, written to
# DIR/password (mode 600), never to argv.
ensure_user() {
	if ! id "$1" >/dev/null 2>&1; then
		# Two tests may start at once: one creates the user.
		(
			flock 9
			id "$1" >/dev/null 2>&1 ||
			    useradd --create-home --shell /bin/sh "$1" ||
			    exit 1
		) 9>/tmp/tresor-test-useradd.lock || servers_bail "useradd $1 failed"
	fi
	head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$2/password"
	chmod 600 "$2/password"
	printf '%s:%s\n' "$1" "$(cat "$2/password")" | chpasswd ||
	    servers_bail "chpasswd failed"
	TEST_PASSWORD_FILE="$2/password"
	TEST_HOME=$(getent passwd "$1" | cut -d: -f6)
}

start_sshd() {
	d=$1
	[ -x "$SSHD" ] || servers_bail "$SSHD is missing: install openssh-server (sh scripts/setup.sh check does)"
	ssh-keygen -q -t ed25519 -N '' -f "$d/host_key" || servers_bail "ssh-keygen"
	ssh-keygen -q -t ed25519 -N '' -f "$d/id_ed25519" || servers_bail "ssh-keygen"
	cp "$d/id_ed25519.pub" "$d/authorized_keys"
	chmod 644 "$d/authorized_keys"
	SSH_PORT=$(free_port)
	printf '[127.0.0.1]:%s %s\n' "$SSH_PORT" "$(cut -d' ' -f1,2 "$d/host_key.pub")" >"$d/known_hosts"
	cat >"$d/sshd_config" <<EOF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $d/host_key
PidFile none
AuthorizedKeysFile $d/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin no
AllowUsers $TEST_USER
Subsystem sftp internal-sftp
LogLevel ERROR
EOF
	# The privilege separation directory (made by the service, not here).
	mkdir -p /run/sshd && chmod 755 /run/sshd
	"$SSHD" -D -e -f "$d/sshd_config" 2>"$d/sshd.log" &
	pid=$!
	SSHD_PID=$pid
	SERVER_PIDS="$SERVER_PIDS $pid"
	wait_port "$SSH_PORT" "$pid" || servers_bail "sshd did not start: $(cat "$d/sshd.log")"
	SSH_KEY="$d/id_ed25519"
	KNOWN_HOSTS="$d/known_hosts"
}

# make_cert DIR: a self-signed certificate for 127.0.0.1 (once), the CA
# the tests trust.
make_cert() {
	CA_FILE="$1/tls.crt"
	[ -f "$CA_FILE" ] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 -keyout "$1/tls.key" \
	    -out "$1/tls.crt" 2>/dev/null || servers_bail "openssl req"
}

start_vsftpd() {
	d=$1
	[ -x "$VSFTPD" ] || servers_bail "$VSFTPD is missing: install vsftpd (sh scripts/setup.sh check does)"
	make_cert "$d"
	mkdir -p "$d/empty" && chmod 755 "$d/empty"
	FTP_PORT=$(free_port)
	# One server for ftp:// and ftps:// (TLS offered, not forced).
	cat >"$d/vsftpd.conf" <<EOF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=$FTP_PORT
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
local_umask=077
force_dot_files=YES
pasv_enable=YES
pasv_address=127.0.0.1
secure_chroot_dir=$d/empty
seccomp_sandbox=NO
pam_service_name=vsftpd
userlist_enable=NO
xferlog_enable=NO
vsftpd_log_file=$d/vsftpd.log
ssl_enable=YES
allow_anon_ssl=NO
force_local_logins_ssl=NO
force_local_data_ssl=NO
require_ssl_reuse=NO
rsa_cert_file=$d/tls.crt
rsa_private_key_file=$d/tls.key
EOF
	"$VSFTPD" "$d/vsftpd.conf" 2>"$d/vsftpd.err" &
	pid=$!
	VSFTPD_PID=$pid
	SERVER_PIDS="$SERVER_PIDS $pid"
	wait_port "$FTP_PORT" "$pid" || servers_bail "vsftpd did not start: $(cat "$d/vsftpd.err")"
}

# Apache with mod_dav_fs, prefork (a process a connection, so a test can cut
# one), in the foreground on its own config: http on DAV_PORT, https on
# DAVS_PORT, both serving TEST_HOME as the test user; basic auth at /,
# digest at /digest/.
start_apache() {
	d=$1
	[ -x "$APACHE" ] || servers_bail "$APACHE is missing: install apache2 (sh scripts/setup.sh check does)"
	make_cert "$d"
	mkdir -p "$d/apache" || servers_bail "mkdir"
	DAV_PORT=$(free_port)
	DAVS_PORT=$(free_port)
	# The password files, the password read from its file (not argv).
	htpasswd -i -c -B "$d/apache/basic" "$TEST_USER" <"$TEST_PASSWORD_FILE" 2>/dev/null ||
	    servers_bail "htpasswd failed"
	python3 -c '
import hashlib, sys
user, realm, pwfile = sys.argv[1:4]
pw = open(pwfile).read().strip()
ha1 = hashlib.md5(("%s:%s:%s" % (user, realm, pw)).encode()).hexdigest()
print("%s:%s:%s" % (user, realm, ha1))
' "$TEST_USER" tresor "$TEST_PASSWORD_FILE" >"$d/apache/digest" || servers_bail "digest file"
	chown "$TEST_USER" "$d/apache"
	{
	cat <<EOF
ServerRoot $d/apache
ServerName 127.0.0.1
PidFile $d/apache/apache.pid
Mutex file:$d/apache default
DefaultRuntimeDir $d/apache
ErrorLog $d/apache/error.log
LogLevel warn
User $TEST_USER
Group $TEST_USER
EOF
	for mod in mpm_prefork authz_core authz_user authn_core authn_file \
	    auth_basic auth_digest alias dav dav_fs ssl socache_shmcb; do
		echo "LoadModule ${mod}_module /usr/lib/apache2/modules/mod_$mod.so"
	done
	cat <<EOF
StartServers 2
MaxRequestWorkers 32
Timeout 60
KeepAlive On
MaxKeepAliveRequests 0
KeepAliveTimeout 30
Listen 127.0.0.1:$DAV_PORT
Listen 127.0.0.1:$DAVS_PORT https
SSLSessionCache shmcb:$d/apache/ssl_cache(512000)
DavLockDB $d/apache/davlock
DocumentRoot $TEST_HOME
Alias /digest $TEST_HOME
<Directory />
	Require all denied
	AllowOverride None
</Directory>
<Directory $TEST_HOME>
	Dav On
	AuthType Basic
	AuthName tresor
	AuthBasicProvider file
	AuthUserFile $d/apache/basic
	Require valid-user
</Directory>
<Location /digest>
	AuthType Digest
	AuthName tresor
	AuthDigestProvider file
	AuthUserFile $d/apache/digest
	Require valid-user
</Location>
<VirtualHost 127.0.0.1:$DAVS_PORT>
	SSLEngine on
	SSLCertificateFile $d/tls.crt
	SSLCertificateKeyFile $d/tls.key
</VirtualHost>
EOF
	} >"$d/apache/apache.conf"
	# Its own process group: stopping, apache signals its whole group.
	setsid "$APACHE" -f "$d/apache/apache.conf" -DFOREGROUND 2>"$d/apache/apache.err" &
	pid=$!
	APACHE_PID=$pid
	SERVER_PIDS="$SERVER_PIDS $pid"
	{ wait_port "$DAV_PORT" "$pid" && wait_port "$DAVS_PORT" "$pid"; } ||
	    servers_bail "apache2 did not start: $(cat "$d/apache/apache.err" "$d/apache/error.log" 2>/dev/null)"
}

# Samba's smbd in the foreground on its own smb.conf: SMB2/3 only, a high
# port, every directory private to DIR, the user in a private passdb.
start_smbd() {
	d=$1
	[ -x "$SMBD" ] || servers_bail "$SMBD is missing: install samba (sh scripts/setup.sh check does)"
	s=$d/smb
	mkdir -p "$s/private" "$s/lock" "$s/state" "$s/cache" "$s/pid" "$s/ncalrpc" "$s/readonly" ||
	    servers_bail "mkdir"
	chmod 700 "$s/private"
	SMB_PORT=$(free_port)
	SMB_CONF=$s/smb.conf
	cat >"$SMB_CONF" <<EOF
[global]
	smb ports = $SMB_PORT
	interfaces = 127.0.0.1
	bind interfaces only = yes
	disable netbios = yes
	workgroup = TRESORTEST
	server role = standalone server
	security = user
	map to guest = never
	server min protocol = SMB2_02
	passdb backend = tdbsam:$s/private/passdb.tdb
	private dir = $s/private
	lock directory = $s/lock
	state directory = $s/state
	cache directory = $s/cache
	pid directory = $s/pid
	ncalrpc dir = $s/ncalrpc
	log file = $s/log.%m
	log level = 1
	load printers = no
	printing = bsd
	printcap name = /dev/null
	disable spoolss = yes
[tresor]
	path = $TEST_HOME
	read only = no
	valid users = $TEST_USER
	create mask = 0600
	directory mask = 0700
[readonly]
	path = $s/readonly
	read only = yes
	valid users = $TEST_USER
EOF
	# The same password as the system's, read from stdin (twice).
	{ cat "$TEST_PASSWORD_FILE"; cat "$TEST_PASSWORD_FILE"; } |
	    smbpasswd -c "$SMB_CONF" -s -a "$TEST_USER" >"$s/smbpasswd.log" 2>&1 ||
	    servers_bail "smbpasswd failed: $(cat "$s/smbpasswd.log")"
	# Its own session: stopping, smbd signals its whole process group.
	setsid "$SMBD" --foreground --no-process-group -s "$SMB_CONF" --debug-stdout \
	    >"$s/smbd.log" 2>&1 &
	pid=$!
	SMBD_PID=$pid
	SERVER_PIDS="$SERVER_PIDS $pid"
	wait_port "$SMB_PORT" "$pid" || servers_bail "smbd did not start: $(tail -20 "$s/smbd.log")"
}

start_servers() {
	# Everything these tests check goes through the servers, so as a normal
	# user the whole test is skipped, saying why (CI runs as root).
	if [ "$(id -u)" -ne 0 ]; then
		echo "1..0 # SKIP needs root: it creates a local test user (useradd, chpasswd) for password logins, vsftpd serves local users only as root, and apache2 and smbd switch to that user"
		exit 0
	fi
	TEST_USER=$2
	ensure_user "$TEST_USER" "$1"
	for server in ${3:-sshd vsftpd}; do
		"start_$server" "$1"
	done
	# If the test dies without its trap, take the servers down with it.
	parent=$$
	(
		trap '' HUP
		while kill -0 "$parent" 2>/dev/null; do sleep 1; done
		# shellcheck disable=SC2086
		kill $SERVER_PIDS 2>/dev/null
	) >/dev/null 2>&1 &
	export SSHD_PID VSFTPD_PID SSH_PORT FTP_PORT TEST_USER TEST_PASSWORD_FILE SSH_KEY KNOWN_HOSTS CA_FILE TEST_HOME
	export APACHE_PID DAV_PORT DAVS_PORT SMBD_PID SMB_PORT SMB_CONF
}

start_net_test() {
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/tresor-$1.XXXXXX")
	chmod 755 "$WORK"
	RUN_ID=tresor-$1-$$
	trap 'stop_servers; rm -rf "$WORK" "${TEST_HOME:-/nonexistent}/$RUN_ID"' EXIT
	start_servers "$WORK" "$2" "${3:-sshd vsftpd}"
}

start_silent_server() {
	DEAD_PORT=$(free_port)
	SILENT_PORT=$(free_port)
	python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
held = []
while True:
    held.append(s.accept()[0])
' "$SILENT_PORT" &
	SERVER_PIDS="$SERVER_PIDS $!"
	wait_port "$SILENT_PORT" $! || servers_bail "the silent server did not start"
	export DEAD_PORT SILENT_PORT
}

start_cli_servers() {
	RUN_ID=tresor-$1-$$
	trap 'stop_servers; rm -rf "${TEST_HOME:-/nonexistent}/$RUN_ID"; cleanup_work' EXIT
	mkdir -p "$WORK/servers" && chmod 755 "$WORK/servers"
	start_servers "$WORK/servers" "$2" "${3:-sshd vsftpd}"
	PASSWORD=$(cat "$TEST_PASSWORD_FILE")
}

no_password() {
	! grep -qF "$PASSWORD" "$@"
}

sample_argv() {
	: >"$2"
	# From 0.2 s on: until tresor has parsed its options (and masked the
	# password) a URL is in its argv like any command's, as README says.
	sleep 0.2
	while kill -0 "$1" 2>/dev/null; do
		# Every process's argv (tresor and its children, such as gpg).
		for c in /proc/[0-9]*/cmdline; do
			tr '\0' ' ' 2>/dev/null <"$c"
			echo
		done >>"$2"
		sleep 0.1
	done
}

stop_servers() {
	for pid in $SERVER_PIDS; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null || true
	done
	SERVER_PIDS=""
}
