#!/bin/sh
# corrupt.sh: the corruption campaign, reduced (docs/TESTING.md,
# "Corruption"; `make corrupt-check` runs the full 10,000 cases). A fixed
# repository (full and incremental set, several volumes, a file split over
# volumes, a delta) is damaged in one way per case: bit flips at random and
# chosen offsets, bursts, truncation, appended bytes, a zeroed 4 KiB block,
# two objects swapped, one deleted, one replaced by another set's or
# another target's; in volumes, manifests, signatures objects, seals, the
# lock and the cache. Each case checks that verify and verify --read-data
# fail naming the object, that restore fails before any byte of an affected
# file reaches its name, restores every unaffected file byte for byte and
# names each file it could not restore; a damaged manifest or seal fails the
# seal checks, and restore refuses the set (a seal, the newest manifest, a
# deletion) or loses the files of an earlier set's manifest, writing no
# wrong byte (tests/corrupt/campaign.py). The campaign
# prints the TAP lines: one per kind of object, and one for wrong bytes.
. "$TOP_SRCDIR/tests/integration/lib.sh"

command -v python3 >/dev/null 2>&1 || bail "python3 is missing"
# Under the sanitizers every run is several times slower: fewer cases.
cases=${CORRUPT_CASES:-300}
[ -n "${SANITIZED:-}" ] && cases=${CORRUPT_CASES:-100}
TMPDIR="$WORK" python3 "$TOP_SRCDIR/tests/corrupt/campaign.py" --tap \
    --cases "$cases" --seed "${CORRUPT_SEED:-17}" -j 2 --tresor "$TRESOR"
