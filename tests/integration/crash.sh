#!/bin/sh
# crash.sh: the crash check of tests/crash/crash-check.sh in CI, on a
# smaller source: every 17th storage operation of each step, and each one
# at which the order matters (a manifest published or removed, the cache
# written). `make crash-check` runs every operation (docs/TESTING.md).
CRASH_STRIDE=${CRASH_STRIDE:-17}
SCENARIO_BIG=${SCENARIO_BIG:-3000000}	# 3 volumes a full backup
CRASH_MIN_OPS=${CRASH_MIN_OPS:-90}
export CRASH_STRIDE SCENARIO_BIG CRASH_MIN_OPS
exec sh "$TOP_SRCDIR/tests/crash/crash-check.sh"
