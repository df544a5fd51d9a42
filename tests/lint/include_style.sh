#!/bin/sh
# tests/lint/include_style.sh - one include style. A project header is
# included with quotes by its shortest path relative to the including file
# ("pod.h", "../common/err.h", "../../config/config.h", "../lib/tap.h"),
# never through the compiler's -I. ("common/err.h"); a system header with
# <...>, and never a project header that way. One TAP test per file.
# Run from the repository root.
set -u

files=$(find . -path ./build -prune -o -path ./.git -prune -o \
	-name node_modules -prune -o \( -name '*.c' -o -name '*.h' \) -print |
	sed 's|^\./||' | sort)
{
	printf '%s\n' "$files" | sed 's/^/FILE /'
	# shellcheck disable=SC2086
	grep -Hn '^[ 	]*#[ 	]*include' $files | sed 's/^/INC /'
} | awk '
# "a/b/../c/./d" -> "a/c/d"; a leading ".." stays.
function normalize(p,    parts, n, i, out, k, r) {
	n = split(p, parts, "/")
	k = 0
	for (i = 1; i <= n; i++) {
		if (parts[i] == "" || parts[i] == ".")
			continue
		if (parts[i] == ".." && k > 0 && out[k] != "..") {
			k--
			continue
		}
		out[++k] = parts[i]
	}
	r = ""
	for (i = 1; i <= k; i++)
		r = r (i > 1 ? "/" : "") out[i]
	return r
}
# the shortest relative path from folder dir to repository path target
function relative(dir, target,    d, t, nd, nt, i, j, r) {
	if (dir == ".")
		return target
	nd = split(dir, d, "/")
	nt = split(target, t, "/")
	for (i = 1; i <= nd && i < nt && d[i] == t[i]; i++)
		;
	r = ""
	for (j = i; j <= nd; j++)
		r = r "../"
	for (j = i; j <= nt; j++)
		r = r t[j] (j < nt ? "/" : "")
	return r
}
$1 == "FILE" { known[$2] = 1; files[++nfiles] = $2; next }
$1 == "INC" {
	rec = substr($0, 5)
	file = rec
	sub(/:[0-9]+:.*/, "", file)
	dir = file ~ /\// ? substr(file, 1, match(file, /\/[^\/]*$/) - 1) : "."
	if (match(rec, /"[^"]*"/)) {
		inc = substr(rec, RSTART + 1, RLENGTH - 2)
		target = normalize(dir == "." ? inc : dir "/" inc)
		if (!(target in known)) {
			if (normalize(inc) in known)
				bad[file] = bad[file] " \"" inc "\" (write \"" relative(dir, normalize(inc)) "\")"
			else
				bad[file] = bad[file] " \"" inc "\" (not a file of the repository: a system header takes <...>)"
		} else if (relative(dir, target) != inc)
			bad[file] = bad[file] " \"" inc "\" (write \"" relative(dir, target) "\")"
	} else if (match(rec, /<[^>]*>/)) {
		inc = substr(rec, RSTART + 1, RLENGTH - 2)
		target = normalize(dir == "." ? inc : dir "/" inc)
		if ((target in known) || (normalize(inc) in known))
			bad[file] = bad[file] " <" inc "> (a project header: quotes and a relative path)"
	}
}
END {
	failed = 0
	for (i = 1; i <= nfiles; i++) {
		file = files[i]
		if (file in bad) {
			printf "not ok %d - include style: %s:%s\n", i, file, bad[file]
			failed++
		} else
			printf "ok %d - include style: %s\n", i, file
	}
	printf "1..%d\n", nfiles
	exit (failed > 0)
}'
