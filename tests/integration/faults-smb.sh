#!/bin/sh
# faults-smb.sh: the fault check through the recording driver around
# smb://, against samba's smbd on loopback (tests/crash/faults-net.sh).
FAULT_TRANSPORT=smb
. "$TOP_SRCDIR/tests/crash/faults-net.sh"
