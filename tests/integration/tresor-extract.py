#!/usr/bin/env python3
"""tresor-extract.py: recover one regular file from a tresor set by hand.

usage: tresor-extract.py MANIFEST VOLDIR STORED_PATH OUTFILE

MANIFEST is a set's manifest and VOLDIR a directory of its volumes, all
already decrypted with gpg and decompressed with zstd; a volume's plaintext
is named like its object minus ".gpg" (tresor.<SETID>.vol000001).
STORED_PATH is the entry's stored path (raw bytes, e.g. "src/a/big").

Written from docs/FORMAT.md alone, not from tresor's C code, to show that
the document is enough: it parses the manifest, walks the entry's records
from its vol/off, follows ENTRY_CONTINUE into later volumes, and publishes
OUTFILE only if the size and SHA-256 match the manifest. Any mismatch or
malformed input exits 1 with one line on stderr. Standard library only.
"""

import hashlib
import os
import re
import struct
import sys

MAGIC = b"\x89TRV\r\n\x1a\n"
FORMAT_VERSION = 1
MANIFEST_VERSION = 1
RECORD_MAX = 1024 * 1024 + 65536
DATA_MAX = 1024 * 1024
STRING_MAX = 65535

VOLUME_INFO, ENTRY, DATA, HOLE, ENTRY_END, ENTRY_CONTINUE = range(1, 7)
VOLUME_END = 0x0F
KNOWN = {VOLUME_INFO, ENTRY, DATA, HOLE, ENTRY_END, ENTRY_CONTINUE,
         VOLUME_END}
KINDS = b"fdlhpcb"


class Corrupt(Exception):
    pass


# -- manifest -------------------------------------------------------------

def pct_decode(text):
    """Percent-decoding: %XX (either case) is a byte; %00 is invalid."""
    out = bytearray()
    i = 0
    raw = text.encode("ascii")
    while i < len(raw):
        c = raw[i]
        if c != 0x25:
            out.append(c)
            i += 1
            continue
        h = raw[i + 1:i + 3]
        if len(h) != 2 or not re.fullmatch(rb"[0-9A-Fa-f]{2}", h):
            raise Corrupt("bad percent-encoding in %r" % text)
        b = int(h, 16)
        if b == 0:
            raise Corrupt("%%00 in %r" % text)
        out.append(b)
        i += 3
    return bytes(out)


def number(value, what, maximum=2**64 - 1, signed=False):
    pattern = r"-?[0-9]+" if signed else r"[0-9]+"
    if value is None or not re.fullmatch(pattern, value):
        raise Corrupt("manifest: bad or missing %s" % what)
    n = int(value)
    if n > maximum:
        raise Corrupt("manifest: %s out of range" % what)
    return n


def fields_of(tokens):
    """key=value fields; the first occurrence of a key wins."""
    f = {}
    for tok in tokens[1:]:
        key, eq, value = tok.partition("=")
        if eq and key not in f:
            f[key] = value
    return f


def parse_manifest(path):
    with open(path, "rb") as fh:
        data = fh.read()
    if b"\0" in data:
        raise Corrupt("manifest holds a NUL byte")
    if not data.endswith(b"\n"):
        raise Corrupt("manifest is truncated: the last line has no LF")
    try:
        lines = data[:-1].decode("ascii").split("\n")
    except UnicodeDecodeError:
        raise Corrupt("manifest is not ASCII text")
    first = lines[0].split(" ")
    if len(first) != 2 or first[0] != "tresor-manifest":
        raise Corrupt("not a tresor manifest")
    if first[1] != str(MANIFEST_VERSION):
        raise Corrupt("manifest version %s is not supported; this reader "
                      "reads version %d" % (first[1], MANIFEST_VERSION))
    header = {"sources": []}
    entries = {}
    volumes = []
    end = None
    in_header = True
    for lineno, line in enumerate(lines[1:], start=2):
        tokens = line.split(" ")
        if end is not None:
            raise Corrupt("manifest line %d: text after the end line"
                          % lineno)
        if in_header and len(tokens) == 2 and \
                tokens[0] in ("set", "type", "time", "source"):
            if tokens[0] == "source":
                header["sources"].append(pct_decode(tokens[1]))
            else:
                header[tokens[0]] = tokens[1]
            continue
        in_header = False
        if "set" not in header:
            raise Corrupt("manifest has no set line")
        if header.get("type") not in ("full", None):
            raise Corrupt("manifest: set type %r is not supported"
                          % header.get("type"))
        f = fields_of(tokens)
        if tokens[0] == "volume":
            n = number(tokens[1] if len(tokens) > 1 else None,
                       "volume number", 2**32 - 1)
            if n != len(volumes) + 1:
                raise Corrupt("manifest line %d: volume %d out of order"
                              % (lineno, n))
            name = f.get("name", "")
            if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*\.gpg", name):
                raise Corrupt("manifest line %d: bad volume name" % lineno)
            sha = f.get("sha256", "")
            if not re.fullmatch(r"[0-9a-f]{64}", sha):
                raise Corrupt("manifest line %d: bad volume sha256"
                              % lineno)
            volumes.append({"name": name, "size": number(
                f.get("size"), "volume size"), "sha256": sha})
        elif tokens[0] == "signatures":
            pass    # the set's signatures object: not needed to extract
        elif tokens[0] == "end":
            end = (number(f.get("entries"), "end entries"),
                   number(f.get("volumes"), "end volumes"),
                   number(f.get("warnings"), "end warnings"))
        else:
            kind = tokens[0]
            if len(kind) != 1 or kind.encode() not in KINDS:
                raise Corrupt("manifest line %d: unknown line %r"
                              % (lineno, kind))
            e = {"kind": kind}
            if "path" not in f:
                raise Corrupt("manifest line %d: no path" % lineno)
            e["path"] = pct_decode(f["path"])
            if e["path"] == b"":
                raise Corrupt("manifest line %d: empty path" % lineno)
            if "target" in f:
                e["target"] = pct_decode(f["target"])
            elif kind in "lh":
                raise Corrupt("manifest line %d: no target" % lineno)
            if not re.fullmatch(r"[0-7]{1,4}", f.get("mode", "")):
                raise Corrupt("manifest line %d: bad mode" % lineno)
            number(f.get("uid"), "uid", 2**32 - 1)
            number(f.get("gid"), "gid", 2**32 - 1)
            if not re.fullmatch(r"-?[0-9]+\.[0-9]{9}", f.get("mtime", "")):
                raise Corrupt("manifest line %d: bad mtime" % lineno)
            if kind == "f":
                e["size"] = number(f.get("size"), "size")
                e["sha256"] = f.get("sha256", "")
                if not re.fullmatch(r"[0-9a-f]{64}", e["sha256"]):
                    raise Corrupt("manifest line %d: bad sha256" % lineno)
            e["vol"] = number(f.get("vol"), "vol", 2**32 - 1)
            e["off"] = number(f.get("off"), "off")
            e["last"] = number(f.get("last"), "last", 2**32 - 1)
            if e["vol"] < 1 or e["last"] < e["vol"]:
                raise Corrupt("manifest line %d: bad vol/last" % lineno)
            if e["path"] in entries:
                raise Corrupt("manifest: path %r is listed twice"
                              % e["path"])
            entries[e["path"]] = e
    if end is None:
        raise Corrupt("manifest is truncated: it has no end line")
    if end[0] != len(entries) or end[1] != len(volumes):
        raise Corrupt("manifest is truncated: the end line does not match "
                      "the entries and volumes listed")
    for e in entries.values():
        if e["last"] > len(volumes):
            raise Corrupt("manifest: %r lies in a volume it does not list"
                          % e["path"])
    return header, entries, volumes


# -- volumes --------------------------------------------------------------

class Volume:
    def __init__(self, voldir, number, info, set_id):
        name = info["name"][:-len(".gpg")]
        self.what = "volume %d (%s)" % (number, name)
        try:
            self.fh = open(os.path.join(voldir, name), "rb")
        except OSError as exc:
            raise Corrupt("%s: %s" % (self.what, exc.strerror))
        pre = self.fh.read(len(MAGIC) + 2)
        if len(pre) < len(MAGIC) + 2:
            raise Corrupt("%s is truncated: no volume header" % self.what)
        if pre[:len(MAGIC)] != MAGIC:
            raise Corrupt("%s is not a tresor volume (bad magic)"
                          % self.what)
        version = struct.unpack("<H", pre[len(MAGIC):])[0]
        if version != FORMAT_VERSION:
            raise Corrupt("%s has format version %d; this reader reads "
                          "version %d" % (self.what, version, FORMAT_VERSION))
        self.number = number
        self.set_id = set_id

    def seek(self, offset):
        self.fh.seek(offset)

    def record(self):
        """The next non-skippable record: (offset, type, payload)."""
        while True:
            offset = self.fh.tell()
            head = self.fh.read(5)
            if len(head) < 5:
                raise Corrupt("%s is truncated at offset %d"
                              % (self.what, offset))
            rtype, length = struct.unpack("<BI", head)
            if length > RECORD_MAX:
                raise Corrupt("%s: record of %d bytes at offset %d"
                              % (self.what, length, offset))
            if rtype not in KNOWN and not 0x40 <= rtype <= 0x7F:
                raise Corrupt("%s: unknown record type 0x%02x at offset %d"
                              % (self.what, rtype, offset))
            payload = self.fh.read(length)
            if len(payload) < length:
                raise Corrupt("%s is truncated at offset %d"
                              % (self.what, offset))
            if 0x40 <= rtype <= 0x7F:
                continue        # skippable
            return offset, rtype, payload

    def close(self):
        self.fh.close()


def take_string(payload, pos, what):
    if pos + 4 > len(payload):
        raise Corrupt("malformed %s record" % what)
    n = struct.unpack_from("<I", payload, pos)[0]
    s = payload[pos + 4:pos + 4 + n]
    if len(s) != n or n > STRING_MAX or b"\0" in s:
        raise Corrupt("malformed %s record" % what)
    return s, pos + 4 + n


def parse_entry(payload):
    if len(payload) < 41:
        raise Corrupt("malformed ENTRY record")
    kind = payload[0:1]
    path, pos = take_string(payload, 41, "ENTRY")
    target, pos = take_string(payload, pos, "ENTRY")
    if pos != len(payload) or kind not in KINDS or path == b"":
        raise Corrupt("malformed ENTRY record")
    return kind.decode(), path, target


def u64(payload, what):
    if len(payload) != 8:
        raise Corrupt("malformed %s record" % what)
    return struct.unpack("<Q", payload)[0]


def open_continuation(voldir, volumes, number, set_id, path, have):
    """Open volume `number` and check it continues `path` at `have`."""
    vol = Volume(voldir, number, volumes[number - 1], set_id)
    offset, rtype, payload = vol.record()
    if rtype != VOLUME_INFO:
        raise Corrupt("%s does not start with VOLUME_INFO" % vol.what)
    if len(payload) < 4:
        raise Corrupt("malformed VOLUME_INFO record")
    got_number = struct.unpack_from("<I", payload)[0]
    got_set, pos = take_string(payload, 4, "VOLUME_INFO")
    if pos != len(payload) or got_number != number or \
            got_set != set_id.encode():
        raise Corrupt("%s belongs to set %s number %d" % (
            vol.what, got_set.decode("ascii", "replace"), got_number))
    offset, rtype, payload = vol.record()
    if rtype != ENTRY_CONTINUE or len(payload) < 8:
        raise Corrupt("%s does not continue the file" % vol.what)
    cont_offset = struct.unpack_from("<Q", payload)[0]
    cont_path, pos = take_string(payload, 8, "ENTRY_CONTINUE")
    if pos != len(payload) or cont_path != path or cont_offset != have:
        raise Corrupt("%s: continuation does not match (%r at %d, "
                      "expected %r at %d)" % (vol.what, cont_path,
                                              cont_offset, path, have))
    return vol


def extract(manifest, voldir, stored_path, out):
    header, entries, volumes = parse_manifest(manifest)
    e = entries.get(stored_path)
    if e is None:
        raise Corrupt("%r is not in the manifest" % stored_path)
    if e["kind"] == "h":            # another name of an earlier file
        e = entries.get(e["target"])
        if e is None or e["kind"] != "f":
            raise Corrupt("hard link target of %r is not a stored file"
                          % stored_path)
    if e["kind"] != "f":
        raise Corrupt("%r is not a regular file (kind %s)"
                      % (stored_path, e["kind"]))
    path, size, want = e["path"], e["size"], e["sha256"]
    set_id = header["set"]

    vol = Volume(voldir, e["vol"], volumes[e["vol"] - 1], set_id)
    vol.seek(e["off"])
    offset, rtype, payload = vol.record()
    if offset != e["off"] or rtype != ENTRY:
        raise Corrupt("%s: no ENTRY record at offset %d"
                      % (vol.what, e["off"]))
    kind, rpath, _ = parse_entry(payload)
    if kind != "f" or rpath != path:
        raise Corrupt("%s: the ENTRY at offset %d is not %r"
                      % (vol.what, e["off"], path))

    digest = hashlib.sha256()
    zeros = bytes(65536)
    have = 0
    part = out + ".part"
    with open(part, "wb") as fh:
        try:
            while True:
                offset, rtype, payload = vol.record()
                if rtype in (DATA, HOLE):
                    n = len(payload) if rtype == DATA else \
                        u64(payload, "HOLE")
                    if rtype == DATA and n > DATA_MAX:
                        raise Corrupt("%s: DATA record of %d bytes"
                                      % (vol.what, n))
                    if n > size - have:
                        raise Corrupt("%r holds more data than its "
                                      "manifest entry" % path)
                    have += n
                    if rtype == DATA:
                        digest.update(payload)
                        fh.write(payload)
                        continue
                    fh.seek(n, os.SEEK_CUR)
                    while n > 0:
                        chunk = min(n, len(zeros))
                        digest.update(zeros[:chunk])
                        n -= chunk
                elif rtype == ENTRY_END:
                    if len(payload) != 40:
                        raise Corrupt("malformed ENTRY_END record")
                    end_size = struct.unpack_from("<Q", payload)[0]
                    end_hash = payload[8:].hex()
                    break
                elif rtype == VOLUME_END:
                    u64(payload, "VOLUME_END")
                    if vol.number >= e["last"]:
                        raise Corrupt("%r is cut off at the end of volume "
                                      "%d" % (path, vol.number))
                    vol.close()
                    vol = open_continuation(voldir, volumes, vol.number + 1,
                                            set_id, path, have)
                else:
                    raise Corrupt("%s: unexpected record type 0x%02x at "
                                  "offset %d inside %r"
                                  % (vol.what, rtype, offset, path))
            fh.truncate(have)       # a trailing hole still sets the size
            got = digest.hexdigest()
            if end_size != size or have != size:
                raise Corrupt("%r: size %d read, %d in ENTRY_END, %d in the "
                              "manifest" % (path, have, end_size, size))
            if got != want or end_hash != want:
                raise Corrupt("%r: sha256 %s read, %s in ENTRY_END, %s in "
                              "the manifest" % (path, got, end_hash, want))
            if vol.number != e["last"]:
                raise Corrupt("%r ends in volume %d, the manifest says %d"
                              % (path, vol.number, e["last"]))
        except BaseException:
            fh.close()
            os.unlink(part)
            raise
        finally:
            vol.close()
    os.replace(part, out)
    return have


def main(argv):
    if len(argv) != 5:
        sys.stderr.write("usage: tresor-extract.py MANIFEST VOLDIR "
                         "STORED_PATH OUTFILE\n")
        return 2
    manifest, voldir, stored, out = argv[1:]
    try:
        extract(manifest, voldir, os.fsencode(stored), out)
    except Corrupt as exc:
        sys.stderr.write("tresor-extract: %s\n" % exc)
        return 1
    except OSError as exc:
        sys.stderr.write("tresor-extract: %s\n" % exc)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
