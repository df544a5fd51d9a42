# tests/lib/wrk.sh - the one reader of wrk reports: whether a load run
# failed any request, and its totals. Sourced (POSIX sh) by
# tests/lib/helpers.bash, examples/demo.sh and bench/lib.sh; it defines
# WRK_STATUS and two functions and runs nothing. It must not start wrk or
# know what a test or benchmark loads: callers run wrk themselves, with
# `-s "$WRK_STATUS"` so that the report has a line "Status NNN: COUNT" per
# HTTP status (wrk alone counts only statuses >= 400, on its line
# "Non-2xx or 3xx responses", so a 3xx answer would pass unseen).
#
#   wrk_check FILE [--allow-3xx] [--without-status]
#       Returns 0 when the report FILE shows at least one request, no
#       socket error (connect, read, write, timeout) and only 2xx answers
#       (or 2xx and 3xx with --allow-3xx). Otherwise prints each cause and
#       the report on stderr and returns 1. A report without the per-status
#       lines fails too (3xx and 1xx answers could not be seen), unless
#       --without-status says wrk ran without the script on purpose (a
#       throughput benchmark the script would slow down).
#   wrk_summary FILE
#       Prints "REQUESTS FAILED": requests made, and socket errors plus
#       answers that are not 2xx (counted from the per-status lines when
#       there are any, else from wrk's own count). Never fails.

WRK_STATUS=${WRK_STATUS:-${REPO:-.}/tests/lib/wrk_status.lua}

# _wrk_read MODE ALLOW3XX NOSTATUS FILE: the awk program behind both
# functions.
_wrk_read() {
	awk -v mode="$1" -v allow3="$2" -v nostatus="$3" -v file="$4" '
	$2 == "requests" && $3 == "in" { req = $1 + 0; seen = 1 }
	/^[ \t]*Socket errors:/ {
		line = $0
		gsub(/,/, " ", line)
		n = split(line, w, " ")
		for (i = 1; i < n; i++)
			if (w[i] ~ /^(connect|read|write|timeout)$/) {
				sock[w[i]] = w[i + 1] + 0
				socks += w[i + 1]
			}
	}
	/^[ \t]*Non-2xx or 3xx responses:/ { wrkbad += $NF }
	$1 == "Status" && $2 ~ /^[0-9][0-9][0-9]:$/ && $3 ~ /^[0-9]+$/ {
		st[substr($2, 1, 3)] += $3
		nst += $3
		have = 1
	}
	/^unable to connect/ { unable = $0 }
	END {
		list = ""
		for (c = 100; c < 1000; c++) {
			k = c ""
			if (!(k in st) || c < 100 || (c >= 200 && c < 300))
				continue
			if (allow3 && c >= 300 && c < 400)
				continue
			bad += st[k]
			list = list sprintf("%s %s x%d", list == "" ? "" : ",", k, st[k])
		}
		if (mode == "summary") {
			print req + 0, socks + (have ? bad : wrkbad)
			exit 0
		}
		fails = 0
		if (!seen || req == 0) {
			printf "%s: no request was made%s\n", file,
			    unable == "" ? "" : " (" unable ")"
			fails++
		}
		if (socks > 0) {
			printf "%s: %d socket errors (connect %d, read %d, write %d, timeout %d)\n",
			    file, socks, sock["connect"], sock["read"],
			    sock["write"], sock["timeout"]
			fails++
		}
		if (wrkbad > 0) {
			printf "%s: wrk counted %d answers with a status of 400 or more\n",
			    file, wrkbad
			fails++
		}
		if (bad > 0) {
			printf "%s: %d answers not %s:%s\n", file, bad,
			    allow3 ? "2xx or 3xx" : "2xx", list
			fails++
		}
		if (seen && req > 0 && !have && !nostatus) {
			printf "%s: no per-status counts (run wrk with -s tests/lib/wrk_status.lua): 1xx and 3xx answers cannot be seen\n", file
			fails++
		} else if (have && nst != req) {
			printf "%s: the per-status counts add up to %d, not to the %d requests\n",
			    file, nst, req
			fails++
		}
		exit fails > 0
	}' "$4"
}

wrk_check() {
	_wrk_file=$1 _wrk_3xx=0 _wrk_nostatus=0
	shift
	while [ $# -gt 0 ]; do
		case $1 in
		--allow-3xx) _wrk_3xx=1 ;;
		--without-status) _wrk_nostatus=1 ;;
		*)
			echo "wrk_check: unknown option $1" >&2
			return 2
			;;
		esac
		shift
	done
	if [ ! -r "$_wrk_file" ]; then
		echo "wrk_check: no report $_wrk_file" >&2
		return 1
	fi
	if _wrk_read check "$_wrk_3xx" "$_wrk_nostatus" "$_wrk_file" >&2; then
		return 0
	fi
	sed 's/^/# wrk: /' "$_wrk_file" >&2
	return 1
}

wrk_summary() {
	if [ -r "$1" ]; then
		_wrk_read summary 0 0 "$1"
	else
		echo "0 0"
	fi
}
