#!/bin/sh
# faults-webdav.sh: the fault check through the recording driver around
# webdav://, against apache2 with mod_dav_fs on loopback
# (tests/crash/faults-net.sh).
FAULT_TRANSPORT=webdav
. "$TOP_SRCDIR/tests/crash/faults-net.sh"
