#!/bin/sh
# faults-ftp.sh: the fault check through the recording driver around
# ftp://, against vsftpd on loopback (tests/crash/faults-net.sh).
FAULT_TRANSPORT=ftp
. "$TOP_SRCDIR/tests/crash/faults-net.sh"
