#!/bin/sh
# privacy.sh: nothing but object names is readable on the target: no file
# names, no directory structure, no content, no per-file sizes.
. "$TOP_SRCDIR/tests/integration/lib.sh"

make_key k
mkdir -p "$WORK/src/vault/Ethikkommission-Antraege/Studie-4711" "$WORK/target"
name="Geheimer-Antrag-Patientendaten-4711.pdf"
marker="UNIQUE-PLAINTEXT-MARKER-0c5b2f"
i=0
while [ $i -lt 50 ]; do
	printf '%s line %d\n' "$marker" $i >>"$WORK/src/vault/Ethikkommission-Antraege/Studie-4711/$name"
	i=$((i + 1))
done
# A file whose size is distinctive, to look for in object sizes.
head -c 123457 /dev/zero >"$WORK/src/vault/size-123457.bin"

# The private GnuPG home (which may hold a copy of a secret key) goes under
# TMPDIR; strace records every program the run starts.
mkdir "$WORK/tmp"
TMPDIR=$WORK/tmp under_strace -f -qq -e trace=execve -o "$WORK/backup.execs" \
    "$TRESOR" backup --quiet --to "file://$WORK/target" --key-file "$WORK/k.pub.asc" \
    "$WORK/src/vault" || bail "backup failed"
# The signing key (a secret key: lib.sh's wrapper gives it) needs the one
# gpg-agent, in its own private home; the public encryption key none.
check "a backup with a public key starts one gpg-agent at most (the signing key's)" \
    sh -c "[ \$(grep -c 'execve(\"[^\"]*gpg-agent\"' '$WORK/backup.execs') -le 1 ]"
check "... and no gpgsm, and gpgconf only to stop that agent (no engine probing)" \
    sh -c "! grep -q 'execve(\"[^\"]*gpgsm\"' '$WORK/backup.execs' &&
        ! grep 'execve(\"[^\"]*gpgconf\"' '$WORK/backup.execs' | grep -vq -- '\"--kill\"'"
check "... and gpg itself does run" grep -q 'execve("[^"]*/gpg"' "$WORK/backup.execs"
check "its private GnuPG home is gone afterwards" \
    sh -c "! ls -A '$WORK/tmp' | grep -q ."
TMPDIR=$WORK/tmp "$TRESOR" restore --quiet --from "file://$WORK/target" \
    --key-file "$WORK/k.sec.asc" --to "$WORK/restored" || bail "restore failed"
check "a restore with the secret key leaves no GnuPG home behind" \
    sh -c "! ls -A '$WORK/tmp' | grep -q ."
# `! pgrep` alone would pass without procps (command not found is "false").
check "pgrep is installed (procps; scripts/setup.sh check installs it)" \
    sh -c "command -v pgrep >/dev/null"
check "... and no gpg-agent running for it" \
    sh -c "command -v pgrep >/dev/null && ! pgrep -f '[g]pg-agent.*$WORK/tmp' >/dev/null"
check "... and restores the files" \
    cmp -s "$WORK/src/vault/size-123457.bin" "$WORK/restored/vault/size-123457.bin"

check "the file name appears nowhere on the target" \
    sh -c "! grep -rqa 'Geheimer-Antrag' '$WORK/target'"
check "directory names appear nowhere on the target" \
    sh -c "! grep -rqa 'Ethikkommission\|Studie-4711' '$WORK/target'"
check "the source name appears nowhere on the target" \
    sh -c "! grep -rqa 'vault' '$WORK/target'"
check "file content appears nowhere on the target" \
    sh -c "! grep -rqa '$marker' '$WORK/target'"
check "every object name is a tresor object name" \
    sh -c "ls -A '$WORK/target' | grep -vqE '^tresor\.[0-9]{8}T[0-9]{6}Z\.((full|inc)\.(vol[0-9]{6}|manifest|sigs)\.gpg|(full|inc|purge)\.seal\.asc)\$' && exit 1 || exit 0"
check "every object but the seal starts with an OpenPGP packet tag (bit 7 set)" \
    sh -c "for f in '$WORK'/target/*.gpg; do b=\$(od -An -tu1 -N1 \"\$f\"); [ \$b -ge 128 ] || exit 1; done"
check "the seal (signed cleartext) holds ids, hashes and fingerprints only" \
    sh -c "sed -n '/^tresor-seal 1\$/,/^end\$/p' '$WORK'/target/*.seal.asc | grep -vqE '^(tresor-seal 1|target [0-9a-f]{32}|sequence [0-9]+|set [0-9T]{15}Z\.(full|inc)|manifest [0-9]+ [0-9a-f]{64}|previous (none|[0-9a-f]{64})|encrypt-keys [0-9A-F,]+|sign-key [0-9A-F]+|end)\$' && exit 1 || exit 0"
check "no object is 123457 bytes (per-file sizes are not exposed)" \
    sh -c "! find '$WORK/target' -size 123457c | grep -q ."
check "status shows the set without any key" \
    sh -c "GNUPGHOME=/nonexistent '$TRESOR' status --from 'file://$WORK/target' | grep -q 'full'"

done_testing
