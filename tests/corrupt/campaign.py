#!/usr/bin/env python3
"""campaign.py: tresor's corruption campaign (docs/TESTING.md, "Corruption").

Builds one small repository (a full and an incremental set over several
volumes, with a file split over volumes and a file stored as a delta), a
second target made from the same sources at the same times (same set IDs,
other ciphertext), and a cache; then runs N cases. Each case damages the
stored objects or the cache in one way and checks what tresor makes of it:

  objects (volumes, manifests, signatures, seals):
    verify            exits non-zero and names a damaged object
    verify --read-data exits non-zero
    restore           exits non-zero when any file it needs is damaged;
                      every file it leaves is byte-identical to the source
                      (wrong bytes are counted); nothing else is left (no
                      temporary or scratch names); every file that does not
                      depend on a damaged object is restored; every file it
                      could not restore is named on stderr
                      (a damaged manifest or seal fails the seal checks:
                      restore refuses the set, names it, writes no wrong
                      byte; an earlier set's manifest loses its files)
  the lock:           a writer (cleanup --force) names the lock on stderr
                      (it refuses it, or takes it over with a warning), and
                      verify still passes
  cache files:        the next incremental backup (public key only) either
                      fails naming the damaged cache, or makes a set that
                      verify --read-data passes and that restores
                      byte-identically

Usage: campaign.py [--cases N] [--seed S] [-j J] [--tresor PATH]
                   [--from-case K] [--only KIND] [--keep DIR] [--tap]

stdlib only. Exit status 0 only if every case passed. The last line is
`corruptions: D/N detected, W wrong bytes written`.
"""
import argparse
import concurrent.futures
import hashlib
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading

AT = ["2026-11-01T01:00:00Z", "2026-11-02T01:00:00Z", "2026-11-03T01:00:00Z"]


# Every set is sealed (docs/FORMAT.md, seals): the campaign's signing key,
# given to the verbs as tests/integration/lib.sh's wrapper does, unless
# the command line names a key itself.
SIGN = {"tresor": None, "dir": None}
WRITERS = ("backup", "purge")
READERS = ("restore", "verify", "fetch", "ls", "restore-db")


def signed(argv):
    if (SIGN["dir"] is None or len(argv) < 2 or argv[0] != SIGN["tresor"]
            or "--sign-key" in argv or "--sign-pubkey" in argv):
        return argv
    if argv[1] in WRITERS:
        return argv[:2] + ["--sign-key", os.path.join(SIGN["dir"],
                                                      "sign.sec.asc")] + argv[2:]
    if argv[1] in READERS:
        return argv[:2] + ["--sign-pubkey", os.path.join(SIGN["dir"],
                                                         "sign.pub.asc")] + argv[2:]
    return argv


def run(argv, env=None, cwd=None, timeout=300):
    argv = signed(argv)
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run(argv, env=e, cwd=cwd, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=timeout)
    err = p.stderr.decode("utf-8", "replace")
    # A sanitizer's report is a failure, even where a non-zero exit is
    # what the case expects.
    for mark in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                 "runtime error:", "WARNING: ThreadSanitizer"):
        if mark in err:
            raise RuntimeError("%s: %s" % (argv[1], err[err.index(mark):]
                                           [:300]))
    return p.returncode, p.stdout.decode("utf-8", "replace"), err


def must(argv, env=None, what=None):
    rc, out, err = run(argv, env)
    if rc != 0:
        sys.exit("campaign: setup failed: %s: %s" % (what or argv[:2], err))
    return out


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


# ---------------------------------------------------------------- sources

def write_random(path, size, rng):
    with open(path, "wb") as f:
        f.write(rng.randbytes(size))


def write_text(path, size, rng):
    words = [b"tresor", b"volume", b"manifest", b"archive", b"ledger",
             b"invoice", b"%d" % rng.randrange(10 ** 6)]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words) + b" "
    with open(path, "wb") as f:
        f.write(bytes(out[:size]))


def make_state1(vault, rng):
    """A few dozen files: small text, small random, a few 100 KiB, one
    file larger than a volume (split over volumes) and one that later gets
    a delta (>= --delta-min-size)."""
    os.makedirs(os.path.join(vault, "docs", "2026"))
    os.makedirs(os.path.join(vault, "scans"))
    os.makedirs(os.path.join(vault, "empty-dir"))
    for i in range(16):
        write_text(os.path.join(vault, "docs", "note-%02d.txt" % i),
                   rng.randrange(10, 20000), rng)
    for i in range(10):
        write_random(os.path.join(vault, "docs", "2026", "inv-%02d.pdf" % i),
                     rng.randrange(1000, 120000), rng)
    # Small, so that a case is cheap, but three volumes of 1 MiB (the
    # least --volsize) at least, one of them all inside big.iso.
    for i in range(4):
        write_random(os.path.join(vault, "scans", "scan-%d.tif" % i),
                     rng.randrange(100000, 250000), rng)
    write_random(os.path.join(vault, "scans", "big.iso"), 2200000, rng)
    write_random(os.path.join(vault, "ledger.db"), 300000, rng)
    open(os.path.join(vault, "empty.txt"), "wb").close()
    os.symlink("docs/note-00.txt", os.path.join(vault, "link-note"))
    os.link(os.path.join(vault, "docs", "note-01.txt"),
            os.path.join(vault, "hard-note"))


def mutate(vault, rng, n):
    """Changes between sets: ledger.db changed in place (a delta), a few
    files rewritten, one added, one removed."""
    path = os.path.join(vault, "ledger.db")
    with open(path, "r+b") as f:
        f.seek(rng.randrange(0, 250000))
        f.write(rng.randbytes(3000))
    for i in rng.sample(range(16), 3):
        write_text(os.path.join(vault, "docs", "note-%02d.txt" % i),
                   rng.randrange(10, 20000), rng)
    write_random(os.path.join(vault, "docs", "2026", "new-%d.pdf" % n),
                 rng.randrange(5000, 300000), rng)
    victim = os.path.join(vault, "docs", "2026", "inv-%02d.pdf" % n)
    if os.path.exists(victim):
        os.unlink(victim)


def snapshot(vault, dest):
    """Stored path ('vault/...') -> SHA-256 of every regular file."""
    out = {}
    base = os.path.dirname(vault)
    for root, dirs, files in os.walk(vault):
        for name in files:
            p = os.path.join(root, name)
            if os.path.islink(p):
                continue
            out[os.path.relpath(p, base)] = sha(p)
    shutil.copytree(vault, dest, symlinks=True)
    return out


# ---------------------------------------------------------------- manifests

def decrypt(path, gnupghome, check=True):
    """An object's plaintext, by gpg and zstd themselves; None if they
    fail (check=False) or exit (check=True)."""
    p1 = subprocess.run(["gpg", "--batch", "--quiet", "--decrypt", path],
                        env=dict(os.environ, GNUPGHOME=gnupghome),
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p1.returncode == 0:
        p2 = subprocess.run(["zstd", "-dcq"], input=p1.stdout,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p2.returncode == 0:
            return p2.stdout.decode("ascii", "replace")
    if check:
        sys.exit("campaign: cannot decrypt %s" % path)
    return None


def pct_decode(s):
    out = bytearray()
    i = 0
    while i < len(s):
        if s[i] == "%" and i + 2 < len(s) + 1:
            out.append(int(s[i + 1:i + 3], 16))
            i += 3
        else:
            out += s[i].encode()
            i += 1
    return out.decode("utf-8", "surrogateescape")


def parse_manifest(text, set_id):
    """Files: path -> list of (set, vol) it needs; and the volume names."""
    files, vols, sigs, links = {}, [], None, {}
    for line in text.splitlines():
        words = line.split(" ")
        if words[0] == "volume":
            vols.append(dict(w.split("=", 1) for w in words[2:])["name"])
            continue
        if words[0] == "signatures":
            sigs = dict(w.split("=", 1) for w in words[1:])["name"]
            continue
        if words[0] not in ("f", "h"):
            continue
        kv = {}
        for w in words[1:]:
            k, _, v = w.partition("=")
            kv.setdefault(k, v)
        if words[0] == "h":
            links[pct_decode(kv["path"])] = pct_decode(kv["target"])
            continue
        need = []
        s = kv.get("set", set_id)
        for v in range(int(kv["vol"]), int(kv["last"]) + 1):
            need.append((s, v))
        if "base" in kv:
            for v in range(int(kv["bvol"]), int(kv["blast"]) + 1):
                need.append((kv["base"], v))
        files[pct_decode(kv["path"])] = need
    # A hard link needs what its first name needs.
    for path, target in links.items():
        files[path] = files[target]
    return files, vols, sigs


# ---------------------------------------------------------------- packets

def packet_offsets(data):
    """Offsets of OpenPGP packet headers and partial-length octets."""
    offs, i = [], 0
    while i < len(data):
        offs.append(i)
        tag = data[i]
        if not tag & 0x80:
            break
        if tag & 0x40:			# new format
            j = i + 1
            while True:
                if j >= len(data):
                    return offs
                o = data[j]
                if o < 192:
                    ln, j = o, j + 1
                elif o < 224:
                    if j + 1 >= len(data):
                        return offs
                    ln, j = ((o - 192) << 8) + data[j + 1] + 192, j + 2
                elif o == 255:
                    ln, j = int.from_bytes(data[j + 1:j + 5], "big"), j + 5
                else:			# partial body: a chunk, then more
                    ln = 1 << (o & 0x1f)
                    j += 1 + ln
                    if j < len(data):
                        offs.append(j)
                    continue
                break
            i = j + ln
        else:				# old format
            lt = tag & 3
            if lt == 3:
                break
            n = [1, 2, 4][lt]
            ln = int.from_bytes(data[i + 1:i + 1 + n], "big")
            i = i + 1 + n + ln
    return [o for o in offs if o < len(data)]


# ---------------------------------------------------------------- the world

class World:
    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.tresor = args.tresor
        self.rng = random.Random(args.seed)
        self.host = socket.gethostname()
        self.lock = threading.Lock()

    def env(self, cache):
        return {"TRESOR_CACHE_DIR": cache, "LC_ALL": "C"}

    def gpg_key(self, name):
        home = os.path.join(self.work, "gnupg-" + name)
        os.makedirs(home, mode=0o700)
        e = {"GNUPGHOME": home}
        must(["gpg", "--batch", "--quiet", "--passphrase", "",
              "--quick-gen-key", "tresor corrupt %s <%s@tresor.invalid>" %
              (name, name), "future-default", "default", "never"], e, "gpg")
        for what, opt in (("pub", "--export"),
                          ("sec", "--export-secret-keys")):
            out = subprocess.run(["gpg", "--batch", "--armor", opt],
                                 env=dict(os.environ, **e),
                                 stdout=subprocess.PIPE, check=True).stdout
            with open(os.path.join(self.work, "%s.%s.asc" % (name, what)),
                      "wb") as f:
                f.write(out)
        return home

    def backup(self, target, cache, when, key="k.pub.asc", check=True):
        argv = [self.tresor, "backup", "--quiet", "--volsize", "1",
                "--delta-min-size", "8K", "--to", "file://" + target,
                "--key-file", os.path.join(self.work, key), self.vault]
        env = dict(self.env(cache), TRESOR_NOW=when)
        if check:
            must(argv, env, "backup")
            return None
        return run(argv, env)

    def build(self):
        w = self.work
        self.home = self.gpg_key("k")
        self.gpg_key("other")
        self.gpg_key("sign")
        SIGN["tresor"], SIGN["dir"] = self.tresor, w
        src = os.path.join(w, "src")
        self.vault = os.path.join(src, "vault")
        os.makedirs(self.vault)
        make_state1(self.vault, self.rng)
        self.a = os.path.join(w, "a")
        self.b = os.path.join(w, "b")
        self.cache_a = os.path.join(w, "cache-a")
        cache_b = os.path.join(w, "cache-b")
        self.expect = {}
        self.expect["full"] = snapshot(self.vault, os.path.join(w, "snap0"))
        os.makedirs(self.a)
        os.makedirs(self.b)
        self.backup(self.a, self.cache_a, AT[0])
        self.backup(self.b, cache_b, AT[0])
        mutate(self.vault, self.rng, 0)
        self.expect["inc"] = snapshot(self.vault, os.path.join(w, "snap1"))
        self.backup(self.a, self.cache_a, AT[1])
        self.backup(self.b, cache_b, AT[1])
        # The state the cache cases back up next.
        mutate(self.vault, self.rng, 1)
        self.expect["next"] = snapshot(self.vault, os.path.join(w, "snap2"))
        self.objects = sorted(os.listdir(self.a))
        ids = sorted({n.split(".")[1] + "." + n.split(".")[2]
                      for n in self.objects})
        if len(ids) != 2 or not ids[0].endswith(".full"):
            sys.exit("campaign: expected a full and an incremental set, "
                     "got %s" % ids)
        self.full_id, self.inc_id = ids
        self.files = {}
        self.vols = {}
        self.sigs = {}
        self.plain = {}
        for sid in ids:
            name = "tresor.%s.manifest.gpg" % sid
            text = decrypt(os.path.join(self.a, name), self.home)
            self.plain[name] = text
            files, vols, sigs = parse_manifest(text, sid)
            self.vols[sid] = vols
            self.sigs[sid] = sigs
            if sid == self.inc_id:
                self.files = files
        if set(self.files) != set(self.expect["inc"]):
            sys.exit("campaign: manifest and source disagree")
        split = [p for p, n in self.files.items()
                 if len({v for v in n}) > 1 and not any(
                     s != self.files[p][0][0] for s, _ in n)]
        deltas = [p for p, n in self.files.items()
                  if len({s for s, _ in n}) > 1]
        if len(self.vols[self.full_id]) < 3 or not split or not deltas:
            sys.exit("campaign: the repository lacks several volumes, a "
                     "split file or a delta (%d volumes, %d split, %d "
                     "delta)" % (len(self.vols[self.full_id]), len(split),
                                 len(deltas)))
        self.cache_sub = [d for d in os.listdir(self.cache_a)
                          if os.path.isdir(os.path.join(self.cache_a, d))]
        if len(self.cache_sub) != 1:
            sys.exit("campaign: expected one cache directory")
        self.cache_sub = self.cache_sub[0]
        self.cache_files = sorted(
            f for f in os.listdir(os.path.join(self.cache_a, self.cache_sub))
            if f.startswith(("manifest.", "sigs.")))
        self.data = {n: open(os.path.join(self.a, n), "rb").read()
                     for n in self.objects}
        self.data_b = {n: open(os.path.join(self.b, n), "rb").read()
                       for n in os.listdir(self.b)}
        self.cache_data = {n: open(os.path.join(self.cache_a,
                                                self.cache_sub, n),
                                   "rb").read() for n in self.cache_files}
        self.lock_text = None
        self.baseline()

    def baseline(self):
        """The undamaged repository passes every check (or the campaign
        means nothing)."""
        case = Case(self, 0, "none", "none", "none")
        case.prepare()
        d = case.check_objects([])
        case.cleanup()
        if d is not True:
            sys.exit("campaign: the undamaged repository fails: %s" % d)
        # A key that does not fit is a key problem, never damage.
        t = "file://" + self.a
        other = os.path.join(self.work, "other.sec.asc")
        scratch = tempfile.mkdtemp(dir=self.work)
        for argv in (["verify"], ["verify", "--read-data"],
                     ["restore", "--to", os.path.join(scratch, "out")]):
            rc, _, err = run([self.tresor] + argv + ["--from", t,
                                                     "--key-file", other],
                             self.env(os.path.join(scratch, "cache")))
            low = err.replace(self.work, "WORK").lower()
            if rc == 0 or "no secret key" not in err or "corrupt" in low \
                    or "damage" in low:
                sys.exit("campaign: %s with the wrong key: not reported as "
                         "a key problem: %s" % (argv[0], err.strip()))
        # A lock that cannot be read tells no age: refused, never taken
        # over as stale (--break-lock is the way out).
        t = os.path.join(scratch, "t")
        os.makedirs(t)
        for name, text in (("zeroed", bytes(180)),
                           ("no time", b"tresor-lock 1\nhost elsewhere\n"
                            b"pid 4242\nop backup\n")):
            with open(os.path.join(t, "tresor.lock"), "wb") as f:
                f.write(text)
            rc, _, err = run([self.tresor, "cleanup", "--force", "--from",
                              "file://" + t],
                             self.env(os.path.join(scratch, "cache")))
            if rc == 0 or "--break-lock" not in err or \
                    not os.path.exists(os.path.join(t, "tresor.lock")):
                sys.exit("campaign: a lock with %s: not refused: %s" % (
                    name, err.strip()))
        shutil.rmtree(scratch)


# ---------------------------------------------------------------- a case

def named(err, damaged):
    """err names one of the damaged objects: by its name, or, for a
    manifest or a seal, by its set and kind as the seal checks word it
    ("the manifest of SET in URL does not match its seal", "seal of SET
    (...)", "set SET in URL has no seal", "SET is sealed ... but its
    manifest is gone", "... before SET's, is missing")."""
    for d in damaged:
        if d in err:
            return True
        parts = d.split(".")
        if len(parts) == 5 and parts[3] in ("manifest", "seal"):
            sid = parts[1] + "." + parts[2]
            if sid in err and ("seal" in err or "manifest" in err):
                return True
    return False


def sealed_kind(name):
    """A manifest or a seal: what the seal checks hold to the chain."""
    return name.endswith((".manifest.gpg", ".seal.asc"))


class Case:
    def __init__(self, world, n, kind, what, how):
        self.w = world
        self.n = n
        self.kind = kind	# volume manifest sigs lock cache none
        self.what = what	# object or cache file name
        self.how = how		# the corruption
        self.dir = os.path.join(world.work, "case-%d" % n)
        self.wrong = 0
        self.cls = how

    def describe(self):
        return "%s %s: %s" % (self.kind, self.what, self.how)

    def prepare(self):
        os.makedirs(self.dir)
        self.target = os.path.join(self.dir, "t")
        os.makedirs(self.target)
        for n in self.w.objects:
            os.link(os.path.join(self.w.a, n), os.path.join(self.target, n))

    def cleanup(self):
        if not self.w.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def put(self, name, data):
        p = os.path.join(self.target, name)
        if os.path.lexists(p):
            os.unlink(p)
        if data is not None:
            with open(p, "wb") as f:
                f.write(data)

    # ---- checks

    def restore_check(self, err, rc, out, expect, affected, all_lost,
                      damaged):
        """Every file present is right; nothing else is there; files not
        affected are there; files missing are named. Returns a failure or
        None; counts wrong bytes."""
        present = {}
        for root, dirs, files in os.walk(out):
            for name in dirs:
                if name.startswith(".tresor"):
                    return "left a scratch directory %s" % name
            for name in files:
                p = os.path.join(root, name)
                if os.path.islink(p):
                    continue
                present[os.path.relpath(p, out)] = p
        why = None
        for rel, p in present.items():
            if rel not in expect:
                self.wrong += os.path.getsize(p)
                why = why or "left a file that is not in the set: %s" % rel
            elif sha(p) != expect[rel]:
                self.wrong += os.path.getsize(p)
                why = why or "restored %s with wrong bytes" % rel
        if why:
            return why
        if all_lost:
            if rc == 0:
                return "restore exited 0"
            if not named(err, damaged):
                return "restore did not name %s: %s" % (damaged, err.strip())
            return None
        for rel in expect:
            if rel not in present and rel not in affected:
                return "did not restore %s, which is not affected" % rel
            if rel not in present and ("'%s'" % rel) not in err:
                return "did not name %s, which it could not restore" % rel
        if affected and rc == 0:
            return "restore exited 0 though an object it reads is damaged"
        if not affected and rc != 0:
            return "restore failed though no file it needs is damaged: " + \
                err.strip().splitlines()[-1]
        return None

    def check_objects(self, damaged, affected=(), all_lost=False,
                      expect_key="inc", verify_fails=True):
        """Runs verify, verify --read-data and restore on the target."""
        w = self.w
        t = "file://" + self.target
        key = os.path.join(w.work, "k.sec.asc")
        env = w.env(os.path.join(self.dir, "cache"))
        rc, _, err = run([w.tresor, "verify", "--quiet", "--from", t,
                          "--key-file", key], env)
        if verify_fails and damaged:
            if rc == 0:
                return "verify exited 0"
            if not named(err, damaged):
                return "verify did not name %s: %s" % (damaged, err.strip())
        elif rc != 0:
            return "verify failed on an intact target: " + err.strip()
        rc2, _, err2 = run([w.tresor, "verify", "--quiet", "--read-data",
                            "--from", t, "--key-file", key], env)
        if bool(verify_fails and damaged) != (rc2 != 0):
            return "verify --read-data exited %d" % rc2
        out = os.path.join(self.dir, "out")
        rc3, _, err3 = run([w.tresor, "restore", "--quiet", "--from", t,
                            "--to", out, "--key-file", key], env)
        os.makedirs(out, exist_ok=True)
        why = self.restore_check(err3, rc3, out, w.expect[expect_key],
                                 set(affected), all_lost, damaged)
        if why:
            return why + " | " + err3.strip().replace("\n", " / ")[:600]
        return True

    def affected_by(self, damaged_vols):
        """Files of the newest set that need any of these (set, vol)."""
        return {p for p, need in self.w.files.items()
                if any(n in damaged_vols for n in need)}

    def vol_key(self, name):
        """'tresor.ID.volNNNNNN.gpg' -> (ID, N), else None."""
        parts = name.split(".")
        if len(parts) == 5 and parts[3].startswith("vol"):
            return (parts[1] + "." + parts[2], int(parts[3][3:]))
        return None

    def run_objects(self, changed):
        """changed: object names whose stored bytes differ or are gone."""
        w = self.w
        # A set's seal records its manifest's stored bytes (size and
        # SHA-256) and the chain records every seal's: any change to
        # either, a deletion included, is refused before anything is
        # decrypted (docs/SECURITY.md). A damaged seal, a deleted
        # manifest (a set deleted) or a damaged newest manifest: restore
        # refuses the set, so no file can be counted on; verify and
        # restore must fail naming the object (or its set's manifest or
        # seal), and restore must write no wrong byte.
        damaged_vols = {self.vol_key(n) for n in changed} - {None}
        affected = self.affected_by(damaged_vols)
        full_manifest = "tresor.%s.manifest.gpg" % w.full_id
        if full_manifest in changed and os.path.exists(
                os.path.join(self.target, full_manifest)) and not any(
                sealed_kind(n) for n in changed - {full_manifest}):
            # An earlier set's manifest that fails its seal (the chain
            # itself intact) loses only the files that point into it:
            # the rest is restored, each lost file named.
            affected |= {p for p, need in w.files.items()
                         if any(s == w.full_id for s, _ in need)}
            return self.check_objects(sorted(changed), affected)
        if any(sealed_kind(n) for n in changed):
            return self.check_objects(sorted(changed), all_lost=True)
        return self.check_objects(sorted(changed), affected)

    def run_lock(self, data):
        w = self.w
        self.put("tresor.lock", data)
        t = "file://" + self.target
        env = w.env(os.path.join(self.dir, "cache"))
        rc, _, err = run([w.tresor, "cleanup", "--force", "--from", t], env)
        if "lock" not in err:
            return "cleanup did not name the lock (rc %d): %s" % (rc,
                                                                 err.strip())
        if rc == 0 and "taking over" not in err and "breaking" not in err:
            return "cleanup passed a lock without a word"
        rc, _, err = run([w.tresor, "verify", "--quiet", "--from", t,
                          "--key-file", os.path.join(w.work, "k.sec.asc")],
                         env)
        if rc != 0:
            return "verify failed beside a damaged lock: " + err.strip()
        return True

    def run_cache(self, damage):
        """damage: cache file name -> new bytes (None: deleted)."""
        w = self.w
        t = "file://" + self.target
        cache = os.path.join(self.dir, "cache")
        # The case's target has its own URL, so its own cache directory:
        # named by the SHA-256 of the normalised URL (repo/cache.h).
        with open(os.path.join(w.cache_a, w.cache_sub, "url")) as f:
            url = f.read().replace(w.a, self.target)
        name = hashlib.sha256(url.rstrip("\n").encode()).hexdigest()[:32]
        sub = os.path.join(cache, name)
        os.makedirs(sub, mode=0o700)
        with open(os.path.join(sub, "url"), "w") as f:
            f.write(url)
        for n, data in w.cache_data.items():
            with open(os.path.join(sub, n), "wb") as f:
                f.write(data)
        for n, data in damage.items():
            p = os.path.join(sub, n)
            if os.path.lexists(p):
                os.unlink(p)
            if data is not None:
                with open(p, "wb") as f:
                    f.write(data)
        argv = [w.tresor, "backup", "--quiet", "--volsize", "1",
                "--delta-min-size", "8K", "--to", t, "--key-file",
                os.path.join(w.work, "k.pub.asc"), w.vault]
        rc, _, err = run(argv, dict(w.env(cache), TRESOR_NOW=AT[2]))
        if rc != 0:
            # Refusing is detection when it says what is wrong.
            if "cache" not in err:
                return "backup failed without naming the cache: " + err
            return True
        key = os.path.join(w.work, "k.sec.asc")
        rc, _, err = run([w.tresor, "verify", "--quiet", "--read-data",
                          "--from", t, "--key-file", key], w.env(cache))
        if rc != 0:
            return "the set made from a damaged cache fails verify: " + \
                err.strip()
        out = os.path.join(self.dir, "out")
        rc, _, err = run([w.tresor, "restore", "--quiet", "--from", t,
                          "--to", out, "--key-file", key], w.env(cache))
        os.makedirs(out, exist_ok=True)
        why = self.restore_check(err, rc, out, w.expect["next"], set(),
                                 False, [])
        if why is None and rc != 0:
            why = "restore failed: " + err
        return why or True


# ---------------------------------------------------------------- damage

def flip(data, off, bit):
    b = bytearray(data)
    b[off] ^= 1 << bit
    return bytes(b)


def chosen_offsets(data):
    n = len(data)
    offs = set(range(min(n, 24)))
    offs |= {n - i for i in range(1, min(n, 24) + 1)}
    for o in packet_offsets(data):
        offs |= {o, o + 1, o + 2, max(0, o - 1)}
    return sorted(x for x in offs if 0 <= x < n)


def corrupt_bytes(rng, data, how):
    """One damage to bytes; returns (description, new bytes or None)."""
    n = len(data)
    if how == "flip-random":
        o = rng.randrange(n)
        b = rng.randrange(8)
        return "bit %d of byte %d flipped" % (b, o), flip(data, o, b)
    if how == "flip-chosen":
        o = rng.choice(chosen_offsets(data))
        b = rng.randrange(8)
        return "bit %d of byte %d (header, packet boundary or end) " \
            "flipped" % (b, o), flip(data, o, b)
    if how == "flip-burst":
        o = rng.randrange(n)
        k = rng.randrange(2, 64)
        b = bytearray(data)
        for i in range(o, min(n, o + k)):
            b[i] ^= rng.randrange(1, 256)
        return "%d bytes from %d garbled" % (min(n, o + k) - o, o), bytes(b)
    if how == "truncate":
        choices = [0, 1, n // 2, n - 1, rng.randrange(n)]
        choices += [o for o in packet_offsets(data) if o > 0]
        k = rng.choice(choices)
        return "truncated to %d of %d bytes" % (k, n), data[:k]
    if how == "extend":
        k = rng.choice([1, 16, 4096])
        return "%d bytes appended" % k, data + rng.randbytes(k)
    if how == "zero4k":
        if n <= 4096:
            return "all %d bytes zeroed" % n, bytes(n)
        o = rng.randrange(0, (n - 1) // 4096 + 1) * 4096
        e = min(n, o + 4096)
        return "4 KiB at %d zeroed" % o, data[:o] + bytes(e - o) + data[e:]
    if how == "digit":
        # A digit of a number or hash changed to another valid one: what a
        # parser cannot notice (a plaintext copy in the cache).
        spots = [i for i in range(n) if data[i:i + 1].isdigit()]
        if not spots:
            return corrupt_bytes(rng, data, "flip-random")
        o = rng.choice(spots)
        d = rng.choice([c for c in b"0123456789" if c != data[o]])
        return "digit at %d changed" % o, data[:o] + bytes([d]) + \
            data[o + 1:]
    raise ValueError(how)


BYTE_HOWS = ["flip-random", "flip-chosen", "flip-burst", "truncate",
             "extend", "zero4k"]


def classed(case, how):
    """Files the case under its kind of damage, for the totals."""
    case.cls = how
    return case


def make_case(world, n, rng):
    """Draws one case: its kind, its damage, and a function that runs it."""
    w = world
    r = rng.random()
    if w.args.only:
        r = {"volume": 0.0, "manifest": 0.5, "sigs": 0.6, "seal": 0.7,
             "lock": 0.8, "cache": 0.9}[w.args.only]
    if r < 0.40:
        kind = "volume"
        pool = [o for o in w.objects if ".vol" in o]
    elif r < 0.56:
        kind = "manifest"
        pool = [o for o in w.objects if o.endswith(".manifest.gpg")]
    elif r < 0.66:
        kind = "sigs"
        pool = [o for o in w.objects if o.endswith(".sigs.gpg")]
    elif r < 0.76:
        kind = "seal"
        pool = [o for o in w.objects if o.endswith(".seal.asc")]
    elif r < 0.84:
        kind = "lock"
        pool = ["tresor.lock"]
    else:
        kind = "cache"
        pool = w.cache_files
    what = rng.choice(pool)
    if kind == "lock":
        text = ("tresor-lock 1\nhost %s\nboot %s\npid %d\nprog %s\n"
                "time 2026-11-02T02:00:00Z\nop backup\n" % (
                    w.host, open("/proc/sys/kernel/random/boot_id").read()
                    .strip(), os.getpid(),
                    open("/proc/self/comm").read().strip())).encode()
        how = rng.choice(BYTE_HOWS)
        desc, data = corrupt_bytes(rng, text, how)
        case = Case(w, n, kind, what, desc)
        return classed(case, how), lambda: case.run_lock(data)
    if kind == "cache":
        hows = BYTE_HOWS + ["delete", "swap", "other-set", "digit"]
        how = rng.choice(hows)
        if how == "delete":
            case = Case(w, n, kind, what, "deleted")
            return classed(case, how), lambda: case.run_cache({what: None})
        if how == "swap":
            other = rng.choice([c for c in w.cache_files if c != what] or
                               [what])
            case = Case(w, n, kind, what, "swapped with %s" % other)
            return classed(case, how), lambda: case.run_cache(
                {what: w.cache_data[other], other: w.cache_data[what]})
        if how == "other-set":
            # The other set's file of the same kind, under this name.
            same = [c for c in w.cache_files if c != what and
                    c.split(".")[0] == what.split(".")[0]]
            src = rng.choice(same) if same else rng.choice(
                [c for c in w.cache_files if c != what] or [what])
            case = Case(w, n, kind, what, "replaced by %s" % src)
            return classed(case, how), lambda: case.run_cache({what: w.cache_data[src]})
        desc, data = corrupt_bytes(rng, w.cache_data[what], how)
        case = Case(w, n, kind, what, desc)
        return classed(case, how), lambda: case.run_cache({what: data})
    hows = BYTE_HOWS + ["delete", "swap", "other-set", "other-target"]
    how = rng.choice(hows)
    if how == "delete":
        case = Case(w, n, kind, what, "deleted")

        def go():
            case.put(what, None)
            return case.run_objects({what})
        return classed(case, how), go
    if how == "swap":
        # A seal swaps with the other set's seal (the chain's order
        # exchanged), other objects with any other object.
        other = rng.choice([o for o in w.objects if o != what and (
            kind != "seal" or o.endswith(".seal.asc"))])
        case = Case(w, n, kind, what, "swapped with %s" % other)

        def go():
            case.put(what, w.data[other])
            case.put(other, w.data[what])
            return case.run_objects({what, other})
        return classed(case, how), go
    if how == "other-set":
        # The same kind of object from the other set, under this name.
        sid = what.split(".")[1] + "." + what.split(".")[2]
        alt = [o for o in w.objects if sid not in o and
               o.split(".")[3] == what.split(".")[3]] or \
            [o for o in w.objects if sid not in o and
             o.split(".")[3][:3] == what.split(".")[3][:3]] or \
            [o for o in w.objects if o != what]
        src = rng.choice(alt)
        case = Case(w, n, kind, what, "replaced by %s" % src)

        def go():
            case.put(what, w.data[src])
            return case.run_objects({what})
        return classed(case, how), go
    if how == "other-target":
        # Volumes are cut by compressed size as it is estimated while
        # writing: b may have a volume fewer or more than a.
        if what not in w.data_b:
            what = rng.choice(sorted(set(w.objects) & set(w.data_b)))
        case = Case(w, n, kind, what, "replaced by target b's object of "
                    "the same name")

        def go():
            case.put(what, w.data_b[what])
            return case.run_objects({what})
        return classed(case, how), go
    desc, data = corrupt_bytes(rng, w.data[what], how)
    case = Case(w, n, kind, what, desc)

    def go():
        case.put(what, data)
        return case.run_objects({what})
    return classed(case, how), go


# ---------------------------------------------------------------- main

def regression_cases(world):
    """The damage that found a bug, as fixed cases run on every campaign
    (numbered from -1 down): docs/TESTING.md says what each found."""
    w = world
    full = "tresor.%s.manifest.gpg" % w.full_id
    inc = "tresor.%s.manifest.gpg" % w.inc_id
    vol2 = "tresor.%s.vol000002.gpg" % w.full_id
    out = []

    def objects(n, what, how, change):
        case = classed(Case(w, n, "volume" if ".vol" in what else
                            "manifest", what, how), "regression")

        def go():
            for name, data in change().items():
                case.put(name, data)
            return case.run_objects(set(change()))
        out.append((case, go))

    # A damaged volume: the rest restores, the lost files are named.
    objects(-1, vol2, "byte in the middle flipped", lambda: {
        vol2: flip(w.data[vol2], len(w.data[vol2]) // 2, 0)})
    # The full set's manifest deleted: verify of the incremental fails.
    objects(-2, full, "deleted", lambda: {full: None})
    # Other target's manifests (same key, same set ID).
    objects(-3, full, "replaced by target b's", lambda: {
        full: w.data_b[full]})
    objects(-4, inc, "replaced by target b's", lambda: {inc: w.data_b[inc]})
    # The recipient key ID in the full set's PKESK: gpg says no secret key.
    objects(-5, full, "bit 0 of byte 5 (the key ID) flipped", lambda: {
        full: flip(w.data[full], 5, 0)})
    # A digit of an unchanged file's sha256 in the cache's manifest copy.
    copy = "manifest." + w.inc_id
    text = w.cache_data[copy].decode("ascii")
    line = next(x for x in text.splitlines()
                if x.startswith("f ") and " set=" in x)
    at = text.index(line) + line.index(" sha256=") + 8
    digit = b"1" if text[at] == "0" else b"0"
    case = classed(Case(w, -6, "cache", copy, "a digit of an unchanged "
                        "file's sha256 changed"), "regression")
    damaged = w.cache_data[copy][:at] + digit + w.cache_data[copy][at + 1:]
    out.append((case, lambda: case.run_cache({copy: damaged})))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cases", type=int, default=10000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--tresor", default=os.environ.get("TRESOR", "./tresor"))
    ap.add_argument("--keep", default=None,
                    help="work in DIR and keep the case directories")
    ap.add_argument("--from-case", type=int, default=1,
                    help="run only cases FROM-CASE.. of the same draw")
    ap.add_argument("--only", choices=["volume", "manifest", "sigs", "seal",
                                       "lock", "cache"],
                    help="cases of one kind of object only")
    ap.add_argument("--tap", action="store_true",
                    help="TAP: one line per kind of object and a summary")
    args = ap.parse_args()
    args.tresor = os.path.abspath(args.tresor)
    if not os.access(args.tresor, os.X_OK):
        sys.exit("campaign: no tresor binary at %s" % args.tresor)
    for tool in ("gpg", "zstd"):
        if shutil.which(tool) is None:
            sys.exit("campaign: %s is missing" % tool)
    if args.keep:
        os.makedirs(args.keep)
        work = os.path.abspath(args.keep)
    else:
        work = tempfile.mkdtemp(prefix="tresor-corrupt.")
    try:
        return campaign(args, work)
    finally:
        for home in ("gnupg-k", "gnupg-other", "gnupg-sign"):
            subprocess.run(["gpgconf", "--homedir", os.path.join(work, home),
                            "--kill", "all"], stderr=subprocess.DEVNULL)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def campaign(args, work):
    world = World(args, work)
    world.build()
    rng = random.Random(args.seed * 1000003 + 7)
    cases = regression_cases(world) + \
        [make_case(world, i + 1, rng) for i in range(args.cases)]
    # A run cut short goes on where it stopped: the same draws, the
    # earlier cases left out.
    cases = [c for c in cases if c[0].n >= args.from_case or
             (c[0].n < 0 and args.from_case <= 1)]
    failures = []
    per_kind = {}
    per_cls = {}
    done = [0]

    def one(item):
        case, go = item
        try:
            case.prepare()
            res = go()
        except Exception as e:		# a bug in the campaign is a failure
            res = "campaign error: %r" % e
        finally:
            case.cleanup()
        with world.lock:
            done[0] += 1
            k = per_kind.setdefault(case.kind, [0, 0])
            c = per_cls.setdefault(case.cls, [0, 0])
            k[0] += 1
            c[0] += 1
            if res is not True:
                failures.append((case, res))
                if not args.tap:
                    print("campaign: case %d (%s): %s" % (
                        case.n, case.describe(), res), file=sys.stderr,
                        flush=True)
            else:
                k[1] += 1
                c[1] += 1
            if not args.tap and done[0] % 100 == 0:
                print("campaign: %d/%d cases, %d failed, %d wrong bytes "
                      "so far" % (done[0], len(cases), len(failures),
                                  sum(c.wrong for c, _ in cases)),
                      file=sys.stderr, flush=True)
        return res

    with concurrent.futures.ThreadPoolExecutor(max_workers=args.j) as ex:
        list(ex.map(one, cases))
    wrong = sum(c.wrong for c, _ in cases)
    detected = len(cases) - len(failures)
    failures.sort(key=lambda f: f[0].n)
    if args.tap:
        i = 0
        for kind in sorted(per_kind):
            i += 1
            total, good = per_kind[kind]
            print("%s %d - %s: %d/%d cases detected and handled" % (
                "ok" if good == total else "not ok", i, kind, good, total))
        i += 1
        print("%s %d - no wrong byte written (%d)" % (
            "ok" if wrong == 0 else "not ok", i, wrong))
        for case, res in failures[:50]:
            print("# case %d (%s): %s" % (case.n, case.describe(), res))
        print("1..%d" % i)
    else:
        for case, res in failures[:200]:
            print("case %d (%s): %s" % (case.n, case.describe(), res))
        for kind in sorted(per_kind):
            total, good = per_kind[kind]
            print("object %-9s %5d/%d" % (kind, good, total))
        for cls in sorted(per_cls):
            total, good = per_cls[cls]
            print("damage %-12s %5d/%d" % (cls, good, total))
    print("%scorruptions: %d/%d detected, %d wrong bytes written" % (
        "# " if args.tap else "", detected, len(cases), wrong))
    return 0 if not failures and wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
