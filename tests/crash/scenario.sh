# scenario.sh: the scenario of the crash and fault checks (sourced by
# crash-check.sh and faults.sh after lib.sh): a full backup, an incremental
# after a change, a second full (a new chain), a purge of the first chain,
# a cleanup after a killed backup, and a backupd --once job, each a step
# run by run_step STEP NOW. SCENARIO_BIG: bytes of the large file (the
# number of volumes, so of operations). Another target than a directory:
# SCENARIO_URL (a URL for tresor), SCENARIO_TARGET_DIR (where its objects
# are on this host, for listing and saving them), SCENARIO_TOPTS (tresor's
# options to reach it), SCENARIO_STEPS (e.g. without backupd's step 6).

: "${BACKUPD:?BACKUPD must point at the backupd binary}"
TZ=UTC
export TZ

make_key k
V=$WORK/src/vault
TARGET_DIR=${SCENARIO_TARGET_DIR:-$WORK/target}
T=${SCENARIO_URL:-file://$TARGET_DIR}
TOPTS=${SCENARIO_TOPTS:-}
mkdir -p "$TARGET_DIR" "$WORK/snap"
make_tree "$V"
head -c "${SCENARIO_BIG:-20000000}" /dev/urandom >"$V/big.bin"

# The backupd configuration: the vault, no database, the public key only.
{
	echo "appliance:"
	echo "  backup:"
	echo "    url: $T"
	echo "    sources: [$V]"
	echo "    database: none"
	echo "    metrics: $WORK/backup.prom"
	echo "    cache_dir: $WORK/cache"
	echo "    state_dir: $WORK/state"
	echo "    deadline: none"
	echo "    encrypt: |"
	sed 's/^/      /' "$WORK/k.pub.asc"
} >"$WORK/env.yml"

STEPS=${SCENARIO_STEPS:-1 2 3 4 5 6}
step_name() {
	case $1 in
	1) echo "full backup" ;; 2) echo "incremental backup" ;;
	3) echo "second full backup" ;; 4) echo "purge" ;;
	5) echo "cleanup" ;; 6) echo "backupd --once job" ;;
	esac
}
step_day() {
	case $1 in 1) echo 0 ;; 2) echo 1 ;; 3) echo 40 ;; 4) echo 75 ;;
	5) echo 77 ;; 6) echo 78 ;; esac
}

# run_step STEP NOW: the step's command at time NOW; its exit status.
run_step() {
	case $1 in
	1|2|3)	full=; [ "$1" != 2 ] && full=--full
		TRESOR_NOW=$2 "$TRESOR" backup --quiet $full --volsize 1 \
		    --delta-min-size 65536 --to "$T" $TOPTS \
		    --key-file "$WORK/k.pub.asc" "$V" ;;
	4)	TRESOR_NOW=$2 "$TRESOR" purge --quiet --from "$T" $TOPTS \
		    --older-than 30D --force ;;
	5)	TRESOR_NOW=$2 "$TRESOR" cleanup --quiet --from "$T" $TOPTS \
		    --force ;;
	6)	TRESOR_NOW=$2 "$BACKUPD" --once --config "$WORK/env.yml" ;;
	esac
}

# The complete sets of a target directory: a set is complete once its seal
# is published after its manifest (docs/FORMAT.md); a manifest without its
# seal is a run stopped between the two, which no reader takes for a set.
complete_sets() {
	ls "$1" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p' | sort |
	    while read -r set; do
		[ -e "$1/tresor.$set.seal.asc" ] && echo "$set"
	    done
}
# The sets with a manifest, sealed or not.
manifest_sets() {
	ls "$1" | sed -n 's/^tresor\.\(.*\)\.manifest\.gpg$/\1/p' | sort
}

# save_state DIR / load_state DIR: the target, cache and backupd state.
save_state() {
	mkdir -p "$1"
	cp -a "$TARGET_DIR" "$1/target"
	for d in cache state; do
		[ -d "$WORK/$d" ] && cp -a "$WORK/$d" "$1/"
	done
	complete_sets "$TARGET_DIR" >"$1/sets"
}
load_state() {
	rm -rf "$TARGET_DIR" "$WORK/cache" "$WORK/state"
	cp -a "$1/target" "$TARGET_DIR"
	for d in cache state; do
		[ -d "$1/$d" ] && cp -a "$1/$d" "$WORK/"
	done
	return 0
}

# snapshot STEP: the source as the step backs it up.
snapshot() {
	rm -rf "$WORK/snap/$1"
	mkdir -p "$WORK/snap/$1"
	cp -a "$V" "$WORK/snap/$1/"
}

mutate_a() {	# before the incremental
	printf 'changed\n' >"$V/docs/hello.txt"
	head -c 100000 /dev/urandom >>"$V/big.bin"
	printf 'new\n' >"$V/docs/new-file"
	rm "$V/docs/empty-file"
}
mutate_b() {	# before the backupd job
	dd if=/dev/urandom of="$V/docs/2024/a/random.bin" bs=4096 count=2 \
	    seek=10 conv=notrunc 2>/dev/null
	printf 'later\n' >"$V/later.txt"
}

# step_prepare STEP: what changes before the step (source, debris).
step_prepare() {
	case $1 in
	2) mutate_a ;;
	5)	# Debris for cleanup: a full backup killed after its 8th op.
		TRESOR_TEST_CRASH_AFTER=8 run_step 1 "$(at 76)" 2>/dev/null
		[ $? -eq 137 ] || bail "the interrupted backup of day 76" ;;
	6) mutate_b ;;
	esac
}
