#!/bin/sh
# tests/lint/layering.sh - lower layers never include upper ones. Every
# `#include "..."` of a C file is resolved as the compiler does (next to
# the file, else from the repository root), and the top folder it lands
# in must be the file's own or one LAYERS allows. A top folder holding C
# files that LAYERS does not list fails, so a new folder is one line here.
# One TAP test per file. Run from the repository root.
set -u

# FOLDER or FILE: the top folders its files may include besides their own
# (a file's line adds to its folder's). "*": anything.
#  orchestrator/main.c is the binary's entry: `berth up` or the CLI.
#  cli/cmd_apply.c: `berth validate` runs the daemon's own loader locally.
#  cli/cmd_export.c: writes the manifests as YAML with config's writer.
#  cli/cmd_pod.c: `berth exec` borrows the runtime's exec argv builder.
#  cli/manpage.c: berth.ini(5) is printed from the config key table.
#  config/config_analysis.c: a condition is parsed while loading (FILE:LINE
#  errors) by analysis/expr.c, which includes common/ only.
LAYERS='
common:
config: common
runtime: common config
probes: common config runtime
signals: common config
proxy: common config runtime
images: common config
analysis: common config runtime proxy
orchestrator: common config runtime probes signals proxy images analysis
kube: common config runtime probes signals proxy images analysis orchestrator
dashboard: common config runtime probes signals proxy images analysis orchestrator
cli: common
orchestrator/main.c: cli kube dashboard
cli/cmd_apply.c: config
cli/cmd_export.c: config
cli/cmd_pod.c: runtime
cli/manpage.c: config
config/config_analysis.c: analysis
tests: *
examples: *
bench: *
'

files=$(find . -path ./build -prune -o -path ./.git -prune -o \
	-name node_modules -prune -o \( -name '*.c' -o -name '*.h' \) -print |
	sed 's|^\./||' | sort)
{
	printf '%s\n' "$LAYERS" | sed -n 's/^\([^ :]*\):\(.*\)$/LAYER \1 \2/p'
	printf '%s\n' "$files" | sed 's/^/FILE /'
	# shellcheck disable=SC2086
	grep -Hn '^[ 	]*#[ 	]*include[ 	]*"' $files | sed 's/^/INC /'
} | awk '
function top(p) { return p ~ /\// ? substr(p, 1, index(p, "/") - 1) : "." }
# "a/b/../c/./d" -> "a/c/d"; a leading ".." stays (outside the repo).
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
$1 == "LAYER" {
	for (i = 3; i <= NF; i++)
		may[$2] = may[$2] " " $i
	listed[$2] = 1
	next
}
$1 == "FILE" { known[$2] = 1; files[++nfiles] = $2; next }
$1 == "INC" {
	# INC FILE:LINE:#include "x"
	rec = substr($0, 5)
	file = rec
	sub(/:[0-9]+:.*/, "", file)
	if (!match(rec, /"[^"]*"/))
		next
	inc = substr(rec, RSTART + 1, RLENGTH - 2)
	dir = file ~ /\// ? substr(file, 1, match(file, /\/[^\/]*$/) - 1) : "."
	target = normalize(dir == "." ? inc : dir "/" inc)
	if (!(target in known) && (normalize(inc) in known))
		target = normalize(inc) # found through -I.
	if (target ~ /^\.\.(\/|$)/) {
		bad[file] = bad[file] " " inc " (outside the repository)"
		next
	}
	if (!(target in known))
		next # not a project file: include_style.sh reports it
	t = top(target)
	f = top(file)
	if (t == f)
		next
	allowed = may[f] " " may[file] " "
	if (index(allowed, " * ") || index(allowed, " " t " "))
		next
	bad[file] = bad[file] " " inc
}
END {
	failed = 0
	for (i = 1; i <= nfiles; i++) {
		file = files[i]
		f = top(file)
		if (!(f in listed)) {
			printf "not ok %d - layering: %s: folder \"%s\" is not in the layering table of tests/lint/layering.sh\n", i, file, f
			failed++
		} else if (file in bad) {
			printf "not ok %d - layering: %s includes a higher layer:%s (\"%s\" may include:%s)\n", i, file, bad[file], f, may[f] == "" ? " nothing" : may[f]
			failed++
		} else
			printf "ok %d - layering: %s\n", i, file
	}
	printf "1..%d\n", nfiles
	exit (failed > 0)
}'
