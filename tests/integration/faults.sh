#!/bin/sh
# faults.sh: the fault check of tests/crash/faults.sh in CI, on a file://
# target: the six fault kinds take turns, one in 12 of the (operation,
# kind) pairs. `make fault-check` runs every pair (docs/TESTING.md).
FAULT_STRIDE=${FAULT_STRIDE:-12}
export FAULT_STRIDE
exec sh "$TOP_SRCDIR/tests/crash/faults.sh"
