# write-order.awk: check the order of storage operations in a record log
# (TRESOR_TEST_RECORD, common/storageop.h; lines "SEQ WHO KIND NAME", or
# "- WHO KIND NAME" for reads; WHO names one process). Each process is
# checked on its own:
#
# 1. A manifest is published only after every other object of its set that
#    the process wrote was published, and, where the engine reads objects
#    back ("open readback=1"), read back after that; no object of the set
#    is written after its manifest.
# 2. Purge and cleanup delete a set's objects only after its manifest.
# 3. The cache's copy of a manifest or signatures (manifest.<SET>,
#    sigs.<SET>) is written only once the target has the set: the process
#    published, read or saw its manifest (or read those signatures).
# 4. A set's seal (tresor.<SET>.seal.asc, docs/FORMAT.md) is published
#    only once its manifest is there: published by the process, or seen
#    (a seal made after a run whose manifest was stored but whose end
#    failed). A purge's seal (tresor.<TIME>.purge.seal.asc) belongs to no
#    set.
#
# Prints one line per violation and, at the end,
# "write-order violations: V in N ops"; exits 1 if V > 0.

# The set id of an object name tresor.<TIME>.<TYPE>.<rest>, else "".
function set_of(name,	f) {
	if (split(name, f, ".") < 4 || f[1] != "tresor")
		return ""
	return f[2] "." f[3]
}
function is_manifest(name) {
	return name ~ /^tresor\.[^.]+\.[^.]+\.manifest\.gpg$/
}
function is_seal(name) {
	return name ~ /^tresor\.[^.]+\.[^.]+\.seal\.asc$/
}
function bad(what) {
	violations++
	printf "write-order violation: %s (%s line %d: %s)\n", what,
	    FILENAME, FNR, $0
}

{
	pid = $2; kind = $3; name = $4
	if ($1 != "-")
		ops++
	key = pid SUBSEP name
	set = set_of(name)
}

kind == "open" { readback[pid] = (name == "readback=1") }

kind == "put" && set != "" && !is_manifest(name) && !is_seal(name) {
	if ((pid SUBSEP set) in manifest_published)
		bad("object " name " written after its set's manifest")
	written[key] = 1
	members[pid SUBSEP set] = members[pid SUBSEP set] " " name
}
kind == "publish" { published[key] = 1 }
kind == "get" { got_after_publish[key] = (key in published) }
kind == "get" || (kind == "stat" && is_manifest(name)) {
	if (is_manifest(name))
		seen_manifest[pid SUBSEP set] = 1
}
kind == "get" && name ~ /\.sigs\.gpg$/ { seen_sigs[pid SUBSEP set] = 1 }

kind == "publish" && is_manifest(name) {
	n = split(members[pid SUBSEP set], m, " ")
	for (i = 1; i <= n; i++) {
		if (!((pid SUBSEP m[i]) in published))
			bad("manifest of " set " published before " m[i])
		else if (readback[pid] && !got_after_publish[pid SUBSEP m[i]])
			bad("manifest of " set " published before " m[i] \
			    " was read back")
	}
	manifest_published[pid SUBSEP set] = 1
	seen_manifest[pid SUBSEP set] = 1
}

kind == "publish" && is_seal(name) && name !~ /\.purge\.seal\.asc$/ &&
    !((pid SUBSEP set) in seen_manifest) {
	bad("seal " name " published before its set's manifest")
}

kind == "delete" && is_manifest(name) { manifest_deleted[pid SUBSEP set] = 1 }
kind == "delete" && set != "" && !is_manifest(name) {
	if (!((pid SUBSEP set) in manifest_deleted))
		bad("object " name " deleted before its set's manifest")
}

kind == "cache-write" && name ~ /^(manifest|sigs)\.[^.]+\.[^.]+$/ {
	split(name, c, ".")
	cset = c[2] "." c[3]
	if (!((pid SUBSEP cset) in seen_manifest) &&
	    !(c[1] == "sigs" && (pid SUBSEP cset) in seen_sigs))
		bad("cache copy " name " written before the target had set " \
		    cset)
}

END {
	printf "write-order violations: %d in %d ops\n", violations, ops
	exit violations > 0
}
