#!/usr/bin/env python3
"""craft-set.py: turn a real backup set into a malicious one (for tests).

    craft-set.py TARGETDIR GNUPGHOME RECIPIENT [--rename OLD NEW]...
                 [--line REGEX REPLACEMENT]...

TARGETDIR holds one set (file:// target). Each object is decrypted with
gpg (GNUPGHOME holds the secret key) and zstd -d (docs/FORMAT.md: one zstd
frame in one OpenPGP message). --rename changes a stored path (and hard link
targets naming it) in the manifest's entry lines and in the volumes' ENTRY
and ENTRY_CONTINUE records; OLD and NEW must have the same length in bytes,
so that no record offset moves. --line applies a Python regular expression
substitution to every manifest line (after the renames), e.g. to turn a
directory line into a symlink line. Changed volumes are re-compressed,
re-encrypted to RECIPIENT, written back under their names, and their
manifest lines get the new size and sha256; then the manifest is written
back the same way.
"""
import glob
import hashlib
import os
import re
import struct
import subprocess
import sys

MAGIC_LEN = 10      # 8 magic bytes and the u16 version
ENTRY, CONTINUE = 0x02, 0x06


def pct_encode(raw):
    out = []
    for b in raw:
        if 0x21 <= b <= 0x7e and b not in (0x25, 0x3d):
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


def unwrap(path, home):
    plain = subprocess.run(["gpg", "--homedir", home, "--batch", "--quiet",
                            "--decrypt", path], check=True,
                           capture_output=True).stdout
    return subprocess.run(["zstd", "-q", "-d", "-c"], input=plain, check=True,
                          capture_output=True).stdout


def wrap(data, path, home, recipient):
    zst = subprocess.run(["zstd", "-q", "-c"], input=data, check=True,
                         capture_output=True).stdout
    enc = subprocess.run(["gpg", "--homedir", home, "--batch", "--quiet",
                          "--trust-model", "always", "--compress-algo", "none",
                          "--encrypt", "--recipient", recipient],
                         input=zst, check=True, capture_output=True).stdout
    with open(path, "wb") as f:
        f.write(enc)
    return len(enc), hashlib.sha256(enc).hexdigest()


def rename_string(payload, pos, renames):
    """Rewrite the string at pos if it is (or starts with OLD/); return end."""
    n = struct.unpack_from("<I", payload, pos)[0]
    s = bytes(payload[pos + 4:pos + 4 + n])
    for old, new in renames:
        if s == old or s.startswith(old + b"/"):
            s = new + s[len(old):]
            payload[pos + 4:pos + 4 + n] = s
            break
    return pos + 4 + n


def rename_records(vol, renames):
    data = bytearray(vol)
    pos = MAGIC_LEN
    while pos < len(data):
        rtype, length = struct.unpack_from("<BI", data, pos)
        start = pos + 5
        payload = data[start:start + length]
        if rtype == ENTRY:
            end = rename_string(payload, 41, renames)
            rename_string(payload, end, renames)
        elif rtype == CONTINUE:
            rename_string(payload, 8, renames)
        data[start:start + length] = payload
        pos = start + length
    return bytes(data)


def main(argv):
    if len(argv) < 4:
        sys.exit(__doc__)
    target, home, recipient = argv[1:4]
    renames, lines = [], []
    args = argv[4:]
    while args:
        opt, a, b = args[0], args[1].encode(), args[2].encode()
        if opt == "--rename":
            if len(a) != len(b):
                sys.exit("craft-set.py: %r and %r differ in length" % (a, b))
            renames.append((a, b))
        elif opt == "--line":
            lines.append((args[1], args[2]))
        else:
            sys.exit("craft-set.py: unknown option " + opt)
        args = args[3:]
    manifests = glob.glob(os.path.join(target, "tresor.*.manifest.gpg"))
    if len(manifests) != 1:
        sys.exit("craft-set.py: expected one set in " + target)
    text = unwrap(manifests[0], home).decode()
    out = []
    for line in text.split("\n"):
        for old, new in renames:
            for key in ("path", "target"):
                enc_old, enc_new = pct_encode(old), pct_encode(new)
                line = re.sub(r"(^| )%s=%s(/| |$)" % (key, re.escape(enc_old)),
                              lambda m: "%s%s=%s%s" % (m.group(1), key,
                                                       enc_new, m.group(2)),
                              line)
        for regex, repl in lines:
            line = re.sub(regex, repl, line)
        if line.startswith("volume ") and renames:
            words = line.split(" ")
            name = words[2][len("name="):]
            path = os.path.join(target, name)
            vol = rename_records(unwrap(path, home), renames)
            size, sha = wrap(vol, path, home, recipient)
            line = "volume %s name=%s size=%d sha256=%s" % (words[1], name,
                                                           size, sha)
        out.append(line)
    wrap("\n".join(out).encode(), manifests[0], home, recipient)


if __name__ == "__main__":
    main(sys.argv)
