#!/bin/sh
# backupd.sh: the nightly daemon against a real PostgreSQL and a file://
# target: `backupd --once` from an appliance-like env.yml (the vault and the
# database, restored and compared), the metrics file and its atomic
# replacement, incrementals, a new full chain after a lost cache, the
# weekly --read-data verify, the daemon in the foreground on a fake clock
# (a schedule a second ahead, a missed run caught up once, SIGHUP with a
# good and a bad configuration, SIGTERM idle and during a job), the
# deadline, the failure hook, one job at a time, JSON logs, and every
# configuration error as one line naming file and key with nothing written.
. "$TOP_SRCDIR/tests/integration/lib.sh"
. "$TOP_SRCDIR/tests/integration/pglib.sh"

: "${BACKUPD:?BACKUPD must point at the backupd binary (make check sets it)}"
TZ=UTC
export TZ

pg_sql "CREATE DATABASE app"
pg_sql_in app "CREATE TABLE t (id int PRIMARY KEY, v text);
    INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 2000) g;" ||
    bail "database setup"
make_key k
make_tree "$WORK/vault"
mkdir -p "$WORK/target" "$WORK/metrics"
T="file://$WORK/target"

# env FILE [YAML-LINE...]: an appliance env.yml; extra lines go under
# appliance: backup: (indented by the caller's text, 4 spaces).
KEYFILE=$WORK/k.pub.asc
env_yml() {
	f=$1
	shift
	{
		echo "ssh_authorized_keys:"
		echo "  - ssh-ed25519 AAAA not-ours"
		echo "appliance:"
		echo "  domain: ecs.example.org"
		echo "  backup:"
		yml_backup "$KEYFILE" "url: $T" "sources: [$WORK/vault]" \
		    "database: {name: app}" "metrics: $WORK/metrics/backup.prom" \
		    "cache_dir: $WORK/cache" "state_dir: $WORK/state" \
		    "deadline: none" -- "$@"
		echo "ecs:"
		echo "  settings: |"
		echo "    DEBUG = False"
	} >"$f"
}
manifests() {
	ls "$WORK/target" | grep -c '\.manifest\.gpg$'
}
metric() {
	awk -v n="$1" '$1 == n { print $2 }' "$WORK/metrics/backup.prom"
}
# stopped PID: wait (10 s at most) until PID has stopped itself (SIGSTOP).
stopped() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = T ] &&
		    return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# wait_log FILE TEXT [SECONDS]: until FILE holds TEXT.
wait_log() {
	i=0
	while [ $i -lt $((${3:-20} * 10)) ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
# exited PID: wait (20 s at most) for PID to end; its status in $status.
exited() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	! kill -0 "$1" 2>/dev/null
}
no_secret_in() {
	! grep -q 'PRIVATE KEY' "$@"
}

E=$WORK/env.yml
env_yml "$E"

# --- --check-config -----------------------------------------------------
"$BACKUPD" --check-config --config "$E" >"$WORK/check.out" 2>"$WORK/check.err"
check "--check-config accepts the appliance-like env.yml" [ $? -eq 0 ]
check "... and says the key is a public key" grep -q 'a public key' "$WORK/check.out"
check "... and names the next run" grep -q '^# next run: ' "$WORK/check.out"
KEYFILE=$WORK/k.sec.asc
env_yml "$WORK/pair.yml"
"$BACKUPD" --check-config --config "$WORK/pair.yml" >"$WORK/check2.out" 2>&1
check "--check-config with the appliance's key pair says so" \
    grep -q 'secret key pair' "$WORK/check2.out"
check "... and prints no secret key" no_secret_in "$WORK/check2.out"
KEYFILE=$WORK/k.pub.asc
ENV_YML=$E "$BACKUPD" --check-config >/dev/null 2>&1
check "\$ENV_YML is where the configuration is found without --config" [ $? -eq 0 ]

grep -v '^    url: ' "$E" >"$WORK/nourl.yml"
"$BACKUPD" --check-config --config "$WORK/nourl.yml" >"$WORK/nourl.out" \
    2>"$WORK/nourl.err"
check "no url: the appliance's local test target, with a warning" sh -c "
    grep -q 'url: \"file:///volatile/ecs-backup-test/\"' '$WORK/nourl.out' &&
    grep -q 'warning: .*no appliance.backup.url.*local test target' '$WORK/nourl.err'"

# --- one job: --once ----------------------------------------------------
env TRESOR_NOW="$(at 0)" "$BACKUPD" --once --config "$E" >"$WORK/once.out" \
    2>"$WORK/once.err"
rc=$?
check "backupd --once makes the night's backup (exit $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag "$(cat "$WORK/once.err")"
check "... one complete set on the target" [ "$(manifests)" -eq 1 ]
check "... a full one" sh -c "ls '$WORK/target' | grep -q 'full.manifest.gpg'"
check "... logged as started, backed up, verified and done" sh -c "
    grep -q 'job started' '$WORK/once.err' &&
    grep -q 'backup: full set' '$WORK/once.err' &&
    grep -q 'verify: set' '$WORK/once.err' &&
    grep -q 'job done' '$WORK/once.err'"
check "the metrics file says success" [ "$(metric backup_last_success)" = 1 ]
check "... with the set's size, volumes and data size" sh -c "
    [ \"\$(awk '\$1 == \"backup_last_size\" { print \$2 }' '$WORK/metrics/backup.prom')\" -gt 0 ] &&
    [ \"\$(awk '\$1 == \"backup_last_volumes\" { print \$2 }' '$WORK/metrics/backup.prom')\" -ge 1 ] &&
    [ \"\$(awk '\$1 == \"backup_last_data_size\" { print \$2 }' '$WORK/metrics/backup.prom')\" -gt 300000 ]"
check "... one set, start time the night's" sh -c "
    [ \"\$(awk '\$1 == \"backup_sets\" { print \$2 }' '$WORK/metrics/backup.prom')\" = 1 ] &&
    t=\$(awk '\$1 == \"backup_last_start_time\" { print \$2 }' '$WORK/metrics/backup.prom') &&
    [ \"\$t\" -ge $(at 0) ] && [ \"\$t\" -le $(( $(at 0) + 60 )) ]"
check "the keyring holds the public key, mode 0700" sh -c "
    [ \"\$(stat -c %a '$WORK/state/keyring')\" = 700 ] &&
    grep -q 'PUBLIC KEY' '$WORK/state/keyring/encrypt.asc'"
# No `sign` in env.yml: the daemon makes its signing key once (issue 18).
check "... and the signing key the daemon made, mode 0600, its fingerprint logged" sh -c "
    [ \"\$(stat -c %a '$WORK/state/keyring/sign.asc')\" = 600 ] &&
    grep -q 'PRIVATE KEY' '$WORK/state/keyring/sign.asc' &&
    grep -q 'PUBLIC KEY' '$WORK/state/keyring/sign.pub.asc' &&
    grep -q 'made the signing key for the seals: .*sign.asc, fingerprint [0-9A-F]\{40\}' '$WORK/once.err'"
cp "$WORK/state/keyring/sign.asc" "$WORK/daemon-sign.asc"
check "... the set is sealed with it: its public part checks the chain elsewhere" \
    "$TRESOR_REAL" verify --quiet --seals-only --from "$T" --cache-dir "$WORK/elsewhere" \
    --sign-pubkey "$WORK/state/keyring/sign.pub.asc"

"$TRESOR" restore --quiet --from "$T" --key-file "$WORK/k.sec.asc" \
    --to "$WORK/restored" >/dev/null 2>&1
check "the set restores the vault identically" \
    "$TREEDIFF" "$WORK/vault" "$WORK/restored/vault"
"$TRESOR" restore-db --quiet --from "$T" --key-file "$WORK/k.sec.asc" \
    --dbname app2 >/dev/null 2>&1
check "... and the database" [ "$(pg_value app2 'SELECT count(*) FROM t')" = 2000 ]

ino1=$(stat -c %i "$WORK/metrics/backup.prom")
echo "change" >>"$WORK/vault/docs/hello.txt"
env TRESOR_NOW="$(at 1)" "$BACKUPD" --once --config "$E" >/dev/null \
    2>"$WORK/once2.err"
check "the next night is an incremental" sh -c "
    ls '$WORK/target' | grep -q 'inc.manifest.gpg' && [ $(manifests) -eq 2 ]" 
check "the metrics file was replaced, not rewritten in place" \
    [ "$(stat -c %i "$WORK/metrics/backup.prom")" != "$ino1" ]
check "... and no temporary is left beside it" \
    [ "$(ls -A "$WORK/metrics" | wc -l)" -eq 1 ]
check "... bytes uploaded add up over the runs" sh -c "
    [ \"\$(awk '\$1 == \"backup_bytes_uploaded\" { print \$2 }' '$WORK/metrics/backup.prom')\" -gt \"\$(awk '\$1 == \"backup_last_size\" { print \$2 }' '$WORK/metrics/backup.prom')\" ]"

# --- after a disaster recovery: no cache, public key only ----------------
rm -rf "$WORK/cache"
env TRESOR_NOW="$(at 2)" "$BACKUPD" --once --config "$E" >/dev/null \
    2>"$WORK/dr.err"
rc=$?
check "with the cache lost, the nightly still succeeds (exit $rc)" [ $rc -eq 0 ]
check "... by starting a new full chain, with a warning" sh -c "
    grep -q 'warning: starting a new full chain' '$WORK/dr.err' &&
    ls '$WORK/target' | grep -q '$(date -u -d @"$(at 2)" +%Y%m%d)T0030[0-9][0-9]Z.full.manifest'" ||
    diag "$(cat "$WORK/dr.err"; ls "$WORK/target")"

# --- the weekly --read-data verify ----------------------------------------
check "a public key only: the due read-data verify is named, not done" \
    grep -q 'is public only' "$WORK/once.err"
KEYFILE=$WORK/k.sec.asc
env_yml "$WORK/pair.yml" "read_data_every: 7D"
env TRESOR_NOW="$(at 3)" "$BACKUPD" --once --config "$WORK/pair.yml" \
    >/dev/null 2>"$WORK/rd1.err"
check "with the key pair, the first job reads the data back" \
    grep -q "every file's data ok" "$WORK/rd1.err"
env TRESOR_NOW="$(at 4)" "$BACKUPD" --once --config "$WORK/pair.yml" \
    >/dev/null 2>"$WORK/rd2.err"
check "... the next day's does not (due within half a day of the week)" sh -c "
    grep -q 'verify: set' '$WORK/rd2.err' &&
    ! grep -q \"every file's data ok\" '$WORK/rd2.err'"
env TRESOR_NOW="$(at 10)" "$BACKUPD" --once --config "$WORK/pair.yml" \
    >/dev/null 2>"$WORK/rd3.err"
check "... a week later it does again" grep -q "every file's data ok" "$WORK/rd3.err" ||
    diag "$(cat "$WORK/rd3.err")"
check "... and the secret key was written nowhere by the daemon (its signing key aside)" sh -c "
    ! grep -rl 'PRIVATE KEY' '$WORK/state' '$WORK/cache' '$WORK/target' |
        grep -vqx '$WORK/state/keyring/sign.asc'"
check "... whose signing key is still the one it made on the first night" \
    cmp -s "$WORK/daemon-sign.asc" "$WORK/state/keyring/sign.asc"
KEYFILE=$WORK/k.pub.asc

# --- the failure hook -------------------------------------------------------
env_yml "$WORK/fail.yml" "database: {name: no_such_db}" \
    "on_failure: echo \"\$TRESOR_EXIT \$TRESOR_FAILURE\" >'$WORK/hook.out'"
before=$(manifests)
env TRESOR_NOW="$(at 11)" "$BACKUPD" --once --config "$WORK/fail.yml" \
    >/dev/null 2>"$WORK/fail.err"
rc=$?
check "a missing database fails the job (exit $rc)" [ $rc -eq 1 ]
check "... in one error line naming the preflight and the database" sh -c "
    [ \$(grep -c '^backupd: job failed' '$WORK/fail.err') -eq 1 ] &&
    grep '^backupd: job failed' '$WORK/fail.err' | grep -q 'preflight.*no_such_db'"
check "... nothing was written to the target" [ "$(manifests)" -eq "$before" ]
check "... the hook ran with the failure line and the exit code" sh -c "
    grep -q '^1 preflight.*no_such_db' '$WORK/hook.out'"
check "... the metrics say failure, keeping the last good set's size" sh -c "
    [ \"\$(awk '\$1 == \"backup_last_success\" { print \$2 }' '$WORK/metrics/backup.prom')\" = 0 ] &&
    [ \"\$(awk '\$1 == \"backup_last_size\" { print \$2 }' '$WORK/metrics/backup.prom')\" -gt 0 ]"

# --- the preflight: room for the cache --------------------------------------
env_yml "$WORK/space.yml" "cache_min_free: 1073741824"	# 1 PiB
before=$(ls "$WORK/target" | wc -l)
env TRESOR_NOW="$(at 11)" "$BACKUPD" --once --config "$WORK/space.yml" \
    >/dev/null 2>"$WORK/space.err"
rc=$?
check "a cache directory without room fails the preflight (exit $rc)" sh -c "
    [ $rc -eq 1 ] && grep -q 'job failed: preflight: the cache directory .* MiB free' '$WORK/space.err'"
check "... before the target is touched" [ "$(ls "$WORK/target" | wc -l)" -eq "$before" ]

# --- SIGTERM during a job (--once), then the next run needs no flag --------
before=$(manifests)
env TRESOR_NOW="$(at 12)" TRESOR_TESTPOINT=volume-published "$BACKUPD" \
    --once --config "$E" >/dev/null 2>"$WORK/term.err" &
pid=$!
if stopped $pid; then
	kill -TERM $pid
	kill -CONT $pid
fi
wait $pid
rc=$?
check "SIGTERM during a job stops it (exit $rc = 143)" [ $rc -eq 143 ]
check "... no set was published" [ "$(manifests)" -eq "$before" ]
check "... the metrics say failure" [ "$(metric backup_last_success)" = 0 ]
env TRESOR_NOW="$(at 13)" "$BACKUPD" --once --config "$E" >/dev/null \
    2>"$WORK/after.err"
check "... the next job succeeds without any flag" [ $? -eq 0 ]
check "... and the target verifies" "$TRESOR" verify --quiet --from "$T" \
    --key-file "$WORK/k.sec.asc"

# --- one job at a time ------------------------------------------------------
env TRESOR_NOW="$(at 14)" TRESOR_TESTPOINT=backup-locked "$BACKUPD" \
    --once --config "$E" >/dev/null 2>"$WORK/first.err" &
pid=$!
if stopped $pid; then
	env TRESOR_NOW="$(at 14)" "$BACKUPD" --once --config "$E" >/dev/null \
	    2>"$WORK/second.err"
	rc=$?
	kill -CONT $pid
else
	rc=0
fi
wait $pid
first=$?
check "a second job while one runs is refused (exit $rc)" [ $rc -eq 1 ]
check "... saying a job holds the lock" grep -q 'job not started: .*locked' "$WORK/second.err"
check "... and the first one completes" [ $first -eq 0 ]

# --- the deadline -------------------------------------------------------------
env_yml "$WORK/deadline.yml" "deadline: \"06:30\""
late=$(( $(at 15) + 6 * 3600 - 2 ))	# 06:29:58
env TRESOR_NOW="$late" TRESOR_TESTPOINT=backup-manifest "$BACKUPD" --once \
    --config "$WORK/deadline.yml" >/dev/null 2>"$WORK/deadline.err" &
pid=$!
stopped $pid && sleep 3 && kill -CONT $pid
wait $pid
check "a job still running at the 06:30 deadline says so" \
    grep -q 'still running at 06:30\|ran past 06:30' "$WORK/deadline.err"
check "... and the metric says so" [ "$(metric backup_deadline_exceeded)" = 1 ]

# --- the daemon: a schedule a second ahead, on a fake clock ------------------
env_yml "$WORK/daemon.yml" "schedule: \"*-*-* 00:30:00\""
rm -f "$WORK/state/backupd.state"
before=$(manifests)
env TRESOR_NOW="$(( $(at 20) - 2 ))" "$BACKUPD" --foreground \
    --config "$WORK/daemon.yml" >/dev/null 2>"$WORK/daemon.err" &
pid=$!
check "the daemon runs the job when the schedule comes" \
    wait_log "$WORK/daemon.err" 'job done' 30
check "... exactly one set" [ "$(manifests)" -eq $((before + 1)) ]
check "... and waits for the next night" wait_log "$WORK/daemon.err" \
    "next job at $(date -u -d @"$(at 21)" '+%Y-%m-%d') 00:30:00"
# SIGHUP with a good configuration, then a bad one.
env_yml "$WORK/daemon.yml" "schedule: \"Sun *-*-* 06:30:00\""
kill -HUP $pid
check "SIGHUP reads the new configuration" wait_log "$WORK/daemon.err" \
    'configuration reloaded'
check "... and its schedule (next Sunday 06:30)" wait_log "$WORK/daemon.err" \
    'next job at .* 06:30:00'
echo "appliance: {backup: {url: [unclosed" >"$WORK/daemon.yml"
kill -HUP $pid
check "SIGHUP with a bad configuration keeps the old one, saying why" \
    wait_log "$WORK/daemon.err" 'keeping the previous configuration: .*daemon.yml'
check "... and the daemon lives on" kill -0 $pid
kill -TERM $pid
exited $pid
wait $pid
rc=$?
check "SIGTERM when idle ends the daemon (exit $rc)" [ $rc -eq 0 ]

# --- a missed run is caught up once, not once per missed day -------------------
env_yml "$WORK/daemon.yml"
printf 'last_slot %s\nlast_read_data 0\n' "$(( $(at 22) - 60 ))" \
    >"$WORK/state/backupd.state"
before=$(manifests)
# Three nights later, at 10:00: the daemon was down for 00:30 of 23, 24, 25.
env TRESOR_NOW="$(( $(at 25) + 9 * 3600 + 1800 ))" "$BACKUPD" --foreground \
    --config "$WORK/daemon.yml" >/dev/null 2>"$WORK/missed.err" &
pid=$!
check "a missed run is run at start" wait_log "$WORK/missed.err" 'job done' 30
check "... saying it was missed" grep -q 'was missed' "$WORK/missed.err"
check "... then it waits for tomorrow" wait_log "$WORK/missed.err" \
    "next job at $(date -u -d @"$(at 26)" '+%Y-%m-%d') 00:30:00"
check "... once, not once per missed night" [ "$(manifests)" -eq $((before + 1)) ]
kill -TERM $pid
exited $pid
wait $pid

# --- SIGTERM during the daemon's job ---------------------------------------
printf 'last_slot %s\nlast_read_data 0\n' "$(( $(at 26) - 60 ))" \
    >"$WORK/state/backupd.state"
before=$(manifests)
env TRESOR_NOW="$(( $(at 26) + 60 ))" TRESOR_TESTPOINT=volume-published \
    "$BACKUPD" --foreground --config "$WORK/daemon.yml" >/dev/null \
    2>"$WORK/dterm.err" &
pid=$!
if stopped $pid; then
	kill -TERM $pid
	kill -CONT $pid
fi
exited $pid
wait $pid
rc=$?
check "SIGTERM during the daemon's job stops it (exit $rc = 143)" [ $rc -eq 143 ]
check "... nothing published, the lock released" sh -c "
    [ $(manifests) -eq $before ] && ! ls '$WORK/target' | grep -q lock"

# --- JSON logs -----------------------------------------------------------------
env TRESOR_NOW="$(at 27)" "$BACKUPD" --once --log-json --config "$E" \
    >/dev/null 2>"$WORK/json.err"
check "--log-json: every line is a JSON object with time, level, message" \
    python3 -c "
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    assert {'time', 'level', 'message', 'program'} <= set(o), o
    n += 1
assert n >= 3, n
" "$WORK/json.err"

# --- configuration errors: one line naming file and key, nothing written ------
before=$(ls "$WORK/target" | wc -l)
config_error() {	# NAME YAML-LINE EXPECTED-KEY
	env_yml "$WORK/$1.yml" "$2"
	env TRESOR_NOW="$(at 28)" "$BACKUPD" --once --config "$WORK/$1.yml" \
	    >/dev/null 2>"$WORK/$1.err"
	rc=$?
	check "config error ($1): exit 2, one line naming file and key" sh -c "
	    [ $rc -eq 2 ] && [ \$(wc -l <'$WORK/$1.err') -eq 1 ] &&
	    grep -q '$1.yml' '$WORK/$1.err' && grep -q '$3' '$WORK/$1.err'"
}
config_error unknown-key "colour: blue" "appliance.backup.colour"
config_error bad-interval "keep: fortnight" "appliance.backup.keep"
config_error bad-option "options: \"--volsize 50 --asynchronous-upload\"" \
    "appliance.backup.options"
config_error bad-scheme "url: gopher://host/x" "appliance.backup.url"
config_error bad-schedule "schedule: \"every full moon\"" "appliance.backup.schedule"
printf 'appliance:\n  backup:\n    url: [a\n' >"$WORK/bad-yaml.yml"
"$BACKUPD" --once --config "$WORK/bad-yaml.yml" >/dev/null 2>"$WORK/bad-yaml.err"
rc=$?
check "config error (bad YAML): exit 2, one line with file and line" sh -c "
    [ $rc -eq 2 ] && [ \$(wc -l <'$WORK/bad-yaml.err') -eq 1 ] &&
    grep -q 'bad-yaml.yml' '$WORK/bad-yaml.err'"
KEYFILE=$WORK/garbage.asc
printf -- '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnot a key\n-----END PGP PUBLIC KEY BLOCK-----\n' >"$KEYFILE"
env_yml "$WORK/bad-key.yml"
"$BACKUPD" --once --config "$WORK/bad-key.yml" >/dev/null 2>"$WORK/bad-key.err"
rc=$?
check "config error (bad key material): exit 2, one line naming the key" sh -c "
    [ $rc -eq 2 ] && [ \$(wc -l <'$WORK/bad-key.err') -eq 1 ] &&
    grep -q 'bad-key.yml.*appliance.backup.encrypt' '$WORK/bad-key.err'"
KEYFILE=$WORK/k.pub.asc
"$BACKUPD" --once --config "$WORK/missing.yml" >/dev/null 2>"$WORK/missing.err"
rc=$?
check "a missing configuration file: exit 2, one line naming it" sh -c "
    [ $rc -eq 2 ] && [ \$(wc -l <'$WORK/missing.err') -eq 1 ] &&
    grep -q 'missing.yml' '$WORK/missing.err'"
check "... none of the bad configurations wrote anything to the target" \
    [ "$(ls "$WORK/target" | wc -l)" -eq "$before" ]

# --- DST (Europe/Vienna), on the fake clock -----------------------------------
# dst_night NAME UTC-START: the daemon from UTC-START until its job is done.
dst_night() {
	rm -f "$WORK/state/backupd.state"
	env TZ=Europe/Vienna TRESOR_NOW="$2" "$BACKUPD" --foreground \
	    --config "$WORK/dst.yml" >/dev/null 2>"$WORK/$1.err" &
	pid=$!
	wait_log "$WORK/$1.err" 'job done' 30
	wait_log "$WORK/$1.err" 'next job at .*' 5
	sleep 0.5
	kill -TERM $pid
	exited $pid
	wait $pid
}
env_yml "$WORK/dst.yml" "schedule: \"*-*-* 02:30:00\""
# 01:59:58 CET on 2026-03-29: 02:30 does not exist that night.
dst_night spring 2026-03-29T00:59:58Z
check "spring forward: the 02:30 job is due at 03:00 CEST" \
    grep -q 'next job at 2026-03-29 03:00:00 CEST' "$WORK/spring.err"
check "... runs once, and next on 2026-03-30 at 02:30 CEST" sh -c "
    [ \$(grep -c 'job done' '$WORK/spring.err') -eq 1 ] &&
    grep -q 'next job at 2026-03-30 02:30:00 CEST' '$WORK/spring.err'"
# 02:29:58 CEST on 2026-10-25: 02:30 comes twice that night.
dst_night fall 2026-10-25T00:29:58Z
check "fall back: the 02:30 job runs at the first 02:30 (CEST), once" sh -c "
    grep -q 'next job at 2026-10-25 02:30:00 CEST' '$WORK/fall.err' &&
    [ \$(grep -c 'job done' '$WORK/fall.err') -eq 1 ]"
check "... and next on 2026-10-26, not at the second 02:30 (CET)" sh -c "
    grep -q 'next job at 2026-10-26 02:30:00 CET' '$WORK/fall.err' &&
    ! grep -q 'next job at 2026-10-25 02:30:00 CET' '$WORK/fall.err'"
check "... the sets are named by the nights' instants (01:00 and 00:30 UTC)" sh -c "
    grep -q 'set 20260329T0100[0-9][0-9]Z' '$WORK/spring.err' &&
    grep -q 'set 20261025T0030[0-9][0-9]Z' '$WORK/fall.err'"

# --- --check-config masks the URL's password ---------------------------------
env_yml "$WORK/masked.yml" "url: sftp://backup:Pa%40ss:w0rd@backup.example.org//srv/b"
"$BACKUPD" --check-config --config "$WORK/masked.yml" >"$WORK/masked.out" 2>&1
check "--check-config masks the URL's password" sh -c "
    grep -q 'sftp://backup:\*\*\*@backup.example.org//srv/b' '$WORK/masked.out' &&
    ! grep -q 'w0rd' '$WORK/masked.out' && ! grep -q 'Pa%40ss' '$WORK/masked.out'"

# --- recover-from-backup reads the same env.yml -------------------------------
mkdir -p "$WORK/rvault" "$WORK/rdump"
KEYFILE=$WORK/k.sec.asc
env_yml "$WORK/recover.yml"
KEYFILE=$WORK/k.pub.asc
# The binary itself, a cache of its own: the seals are checked with the
# signing key's public part the daemon left in state_dir/keyring.
"$TRESOR_REAL" recover-from-backup --yes-i-am-sure --config "$WORK/recover.yml" \
    --vault "$WORK/rvault" --dump-dir "$WORK/rdump" --database app_r \
    --locale C.UTF-8 --owner postgres --cache-dir "$WORK/recover-cache" \
    </dev/null >"$WORK/recover.out" 2>"$WORK/recover.err"
rc=$?
check "recover-from-backup with the saved env.yml alone recovers (exit $rc)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || diag "$(cat "$WORK/recover.err")"
check "... the vault" "$TREEDIFF" "$WORK/vault" "$WORK/rvault"
check "... the dump file, under its stored name" [ -s "$WORK/rdump/app.pgdump" ]
check "... and the database" [ "$(pg_value app_r 'SELECT count(*) FROM t')" = 2000 ]
rm -rf "$WORK/rvault" "$WORK/rdump"
mkdir -p "$WORK/rvault" "$WORK/rdump"
"$TRESOR" recover-from-backup --yes-i-am-sure --config "$E" \
    --vault "$WORK/rvault" --dump-dir "$WORK/rdump" --database app_s \
    </dev/null >/dev/null 2>"$WORK/recover-pub.err"
rc=$?
check "an env.yml with the public key only: refused in one line (exit $rc)" sh -c "
    [ $rc -ne 0 ] && [ \$(wc -l <'$WORK/recover-pub.err') -eq 1 ] &&
    grep -q 'only the public key.*--key-file' '$WORK/recover-pub.err'"
check "... nothing touched" sh -c "[ -z \"\$(ls -A '$WORK/rvault')\" ] &&
    [ -z \"\$(ls -A '$WORK/rdump')\" ]"

# --- sign: the signing key from env.yml ----------------------------------
# sign_yml IN OUT KEY: IN with appliance.backup.sign: KEY's text.
sign_yml() {
	awk -v kf="$3" '/^ecs:/ { print "    sign: |"
		while ((getline l < kf) > 0) print "      " l } { print }' "$1" >"$2"
}
env_yml "$WORK/s0.yml" "url: file://$WORK/target-sign" "state_dir: $WORK/state-sign"
mkdir -p "$WORK/target-sign"
sign_yml "$WORK/s0.yml" "$WORK/spub.yml" "$WORK/sign.pub.asc"
"$BACKUPD" --check-config --config "$WORK/spub.yml" >/dev/null 2>"$WORK/spub.err"
check "sign: a public key is refused, naming the key" \
    grep -q 'appliance.backup.sign: a public key: the seals need the signing key pair' "$WORK/spub.err"
sign_yml "$WORK/s0.yml" "$WORK/ssec.yml" "$WORK/sign.sec.asc"
"$BACKUPD" --check-config --config "$WORK/ssec.yml" >"$WORK/ssec.out" 2>&1
check "sign: a key pair is described by its fingerprint only" sh -c "
    grep -q '^    sign: key pair [0-9A-F]\{40\}\$' '$WORK/ssec.out' && ! grep -q 'PRIVATE' '$WORK/ssec.out'"
env TRESOR_NOW="$(at 40)" "$BACKUPD" --once --config "$WORK/ssec.yml" >/dev/null 2>"$WORK/ssec.err"
check "sign: the job seals with the configured key" \
    "$TRESOR_REAL" verify --quiet --seals-only --from "file://$WORK/target-sign" \
    --cache-dir "$WORK/elsewhere-sign" --sign-pubkey "$WORK/sign.pub.asc"
check "... and makes no key of its own" test ! -e "$WORK/state-sign/keyring/sign.asc"

pg_stop
done_testing
