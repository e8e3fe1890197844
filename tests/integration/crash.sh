#!/bin/sh
# crash.sh: the crash check of tests/crash/crash-check.sh in CI: every
# 17th storage operation of each step and each one at which the order
# matters (manifest published or removed, cache written). `make
# crash-check` runs every operation (docs/TESTING.md).
CRASH_STRIDE=${CRASH_STRIDE:-17}
export CRASH_STRIDE
exec sh "$TOP_SRCDIR/tests/crash/crash-check.sh"
