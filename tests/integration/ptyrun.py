#!/usr/bin/env python3
"""ptyrun.py: run a command with its stderr on a terminal (for tests).

    ptyrun.py OUT STDOUT COMMAND [ARGUMENT]...

COMMAND runs with stdin and stderr on a new pseudo-terminal and stdout
into the file STDOUT. If it stops itself (SIGSTOP at a TRESOR_TESTPOINT),
it is continued after one second, once. Everything the terminal showed is
written to OUT, byte for byte (the terminal turns "\\n" into "\\r\\n").
Exits with COMMAND's status; kills it after 300 s.
"""
import os
import pty
import select
import signal
import sys
import time


def state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return ""


def main():
    out, stdout, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    pid, fd = pty.fork()
    if pid == 0:
        f = os.open(stdout, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(f, 1)
        os.close(f)
        os.execvp(argv[0], argv)
    data, resumed, start = b"", False, time.monotonic()
    while True:
        if not resumed and state(pid) == "T":
            time.sleep(1)
            os.kill(pid, signal.SIGCONT)
            resumed = True
        if time.monotonic() - start > 300:
            os.kill(pid, signal.SIGKILL)
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the command and its children are gone
            break
        if not chunk:
            break
        data += chunk
    _, status = os.waitpid(pid, 0)
    with open(out, "wb") as f:
        f.write(data)
    sys.exit(os.waitstatus_to_exitcode(status))


main()
