#!/bin/sh
# tests/lint/bats_negation.sh - flags negated commands that assert nothing.
# Under `set -e` (bats runs every test so, and the scripts in bench/ and
# examples/ set it) a pipeline negated with `!` never stops the shell: a
# line `! cmd` fails a test only when it is the last command of the test
# or function. This lint reports, as FILE:LINE: MESSAGE,
#   - a statement `! cmd` (or `A && ! cmd`) that is not the last command
#     of its @test or function body (closing `fi`, `esac` and `}` of an
#     enclosing block may follow it; an `else` branch is skipped),
#   - one inside a loop body (only the last iteration would count),
#   - `! cmd && more` (never fails on cmd) unless it is the last command,
#     whose status is the function's return value.
# `! A || B` is accepted (B's failure does stop the shell), as are
# `[ ! ... ]`, `[[ ! ... ]]`, `run ! cmd` and conditions of if, while and
# until. Comments, here-documents, quoted text spanning lines and
# continuation lines (`\`, a trailing `|`, `&&`, `||`, an open `(` or
# `$(`) are understood.
#
#   tests/lint/bats_negation.sh [--tap] [FILE...]
#
# Without FILE: the integration and self tests, tests/lib/*.bash, bench/*.sh
# and examples/demo.sh. Exit status 1 when anything is flagged, 2 on a
# missing file. --tap prints one TAP test per file (tests/run.sh). Only
# reads files; run from the repository root.
set -u

tap=0
if [ "${1:-}" = --tap ]; then
	tap=1
	shift
fi
if [ $# -eq 0 ]; then
	set -- tests/integration/*.bats tests/self/*.bats tests/lib/*.bash \
		bench/*.sh examples/demo.sh
fi

# lint_one FILE: the findings for FILE on stdout, one per line.
lint_one() {
	awk '
	# scan(s): reads physical line s with the nesting of quotes and
	# parentheses carried over from the previous line in st (a stack:
	# s single quote, q double quote, p parenthesis or $( ); sets code
	# (s without its comment), open (1 when something is still open) and
	# notes a here-document that starts after this line.
	function scan(s,    i, c, n, prev, t, rest, d) {
		code = ""
		n = length(s)
		prev = " "
		for (i = 1; i <= n; i++) {
			c = substr(s, i, 1)
			t = substr(st, length(st))
			if (t == "s") {
				if (c == "\047")
					st = substr(st, 1, length(st) - 1)
				code = code c
				prev = c
				continue
			}
			if (c == "\\") {
				code = code substr(s, i, 2)
				i++
				prev = "x"
				continue
			}
			if (t == "q") {
				if (c == "\"")
					st = substr(st, 1, length(st) - 1)
				else if (c == "$" && substr(s, i + 1, 1) == "(") {
					st = st "p"
					code = code "$("
					i++
					prev = "("
					continue
				}
				code = code c
				prev = c
				continue
			}
			if (c == "#" && t != "b" && (prev == " " || prev == "\t" ||
			    prev == ";" || prev == "&" || prev == "|" ||
			    prev == "("))
				break
			if (c == "\047")
				st = st "s"
			else if (c == "\"")
				st = st "q"
			else if (c == "(")
				st = st "p"
			else if (c == ")") {
				if (t == "p")
					st = substr(st, 1, length(st) - 1)
			} else if (c == "[" && substr(s, i, 3) ~ /^\[\[[ \t]/ &&
			    (prev == " " || prev == "\t" || prev == ";" ||
			    prev == "&" || prev == "|" || prev == "(" || prev == "!")) {
				st = st "b"
				code = code "[["
				i++
				prev = "["
				continue
			} else if (t == "b" && substr(s, i, 2) == "]]" &&
			    (prev == " " || prev == "\t")) {
				st = substr(st, 1, length(st) - 1)
				code = code "]]"
				i++
				prev = "]"
				continue
			} else if (c == "<" && substr(s, i, 2) == "<<" &&
			    substr(s, i, 3) != "<<<") {
				rest = substr(s, i + 2)
				d = 0
				if (substr(rest, 1, 1) == "-") {
					d = 1
					rest = substr(rest, 2)
				}
				sub(/^[ \t]*/, "", rest)
				if (match(rest, /^["\047]?[A-Za-z_][A-Za-z0-9_]*["\047]?/)) {
					hd_word = substr(rest, RSTART, RLENGTH)
					gsub(/["\047]/, "", hd_word)
					hd_dash = d
					hd_pending = 1
				}
			}
			code = code c
			prev = c
		}
		open = (st != "")
	}

	function trim(s) {
		sub(/^[ \t]+/, "", s)
		sub(/[ \t]+$/, "", s)
		return s
	}

	function squeeze(s) {
		gsub(/[ \t]+/, " ", s)
		return trim(s)
	}

	function report(line, msg) {
		printf "%s:%d: %s\n", FILENAME, line, msg
		found++
	}

	# split_top(s, parts, ops): splits s at ;, ;;, &, &&, || outside
	# quotes and parentheses; parts[1..n], ops[i] the operator after
	# parts[i] ("" at the end). Returns n.
	function split_top(s, parts, ops,    i, c, n, cur, k, t, two, b, a) {
		n = 0
		cur = ""
		k = ""
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			two = substr(s, i, 2)
			t = substr(k, length(k))
			if (t == "s") {
				if (c == "\047")
					k = substr(k, 1, length(k) - 1)
				cur = cur c
				continue
			}
			if (c == "\\") {
				cur = cur two
				i++
				continue
			}
			if (t == "q") {
				if (c == "\"")
					k = substr(k, 1, length(k) - 1)
				else if (two == "$(") {
					k = k "p"
					cur = cur two
					i++
					continue
				}
				cur = cur c
				continue
			}
			b = substr(s, i - 1, 1)
			if (c == "\047")
				k = k "s"
			else if (c == "\"")
				k = k "q"
			else if (c == "(")
				k = k "p"
			else if (c == ")") {
				if (t == "p")
					k = substr(k, 1, length(k) - 1)
			} else if (two == "[[" && substr(s, i + 2, 1) ~ /[ \t]/ &&
			    (i == 1 || b ~ /[ \t;&|(!]/)) {
				k = k "b"
				cur = cur two
				i++
				continue
			} else if (t == "b" && two == "]]" && b ~ /[ \t]/) {
				k = substr(k, 1, length(k) - 1)
				cur = cur two
				i++
				continue
			} else if (k == "" && (two == "&&" || two == "||" || two == ";;")) {
				parts[++n] = cur
				ops[n] = two
				cur = ""
				i++
				continue
			} else if (k == "" && c == ";") {
				parts[++n] = cur
				ops[n] = c
				cur = ""
				continue
			} else if (k == "" && c == "&") {
				a = substr(s, i + 1, 1)
				if (b != ">" && b != "<" && a != ">") {
					parts[++n] = cur
					ops[n] = c
					cur = ""
					continue
				}
			}
			cur = cur c
		}
		parts[++n] = cur
		ops[n] = ""
		return n
	}

	# strip_lead(s): s without leading then/do/else/{ words.
	function strip_lead(s,    changed) {
		s = trim(s)
		changed = 1
		while (changed) {
			changed = 0
			if (s ~ /^(then|do|else)([ \t]|$)/ || s ~ /^\{([ \t]|$)/) {
				sub(/^(then|do|else|\{)/, "", s)
				s = trim(s)
				changed = 1
			}
		}
		return s
	}

	function negated(s) {
		return s ~ /^!([ \t]|$)/
	}

	# A statement arrives for the innermost body: settles a pending
	# negation first.
	function settle(kind, line) {
		if (!(top in pend) || pend[top] == 0)
			return
		if (skip[top]) {
			if (kind == "if")
				skipdepth[top]++
			else if (kind == "fi") {
				if (skipdepth[top] == 0)
					skip[top] = 0
				else
					skipdepth[top]--
			}
			return
		}
		if (kind == "fi" || kind == "esac" || kind == ";;" || kind == "}")
			return
		if (kind == "else") {
			skip[top] = 1
			skipdepth[top] = 0
			return
		}
		if (kind == "done")
			report(pend[top], "`" ptext[top] "` ends a loop body: only the last iteration would count, and set -e ignores it (use `run ! cmd` or `if cmd; then false; fi`)")
		else
			report(pend[top], "`" ptext[top] "` is not the last command of its test or function: set -e ignores it, so it asserts nothing (use `run ! cmd` or `if cmd; then false; fi`)")
		pend[top] = 0
	}

	function open_body(indent, inline, line) {
		top++
		bindent[top] = indent
		binline[top] = inline
		pend[top] = 0
		skip[top] = 0
	}

	function close_body() {
		pend[top] = 0
		top--
	}

	# statement(s, line, indent): one logical line.
	function statement(s, line, indent,    n, parts, ops, i, p, kind, body, t, j, neg) {
		s = trim(s)
		if (s == "")
			return
		# a body closer
		if (top > 0 && !binline[top] && s ~ /^\}([ \t;]|[<>0-9&|]|$)/ && indent == bindent[top]) {
			close_body()
			return
		}
		# a test or function opener
		if (s ~ /^@test[ \t].*\{$/ || s ~ /^(function[ \t]+)?[A-Za-z_][A-Za-z0-9_:.-]*[ \t]*\(\)[ \t]*\{$/ || s ~ /^function[ \t]+[A-Za-z_][A-Za-z0-9_:.-]*[ \t]*\{$/) {
			settle("stmt", line)
			open_body(indent, 0, line)
			return
		}
		if (s ~ /^(function[ \t]+)?[A-Za-z_][A-Za-z0-9_:.-]*[ \t]*\(\)[ \t]*\{[ \t]/ && s ~ /\}[ \t]*$/) {
			settle("stmt", line)
			body = s
			sub(/^[^{]*\{/, "", body)
			sub(/\}[ \t]*$/, "", body)
			open_body(indent, 1, line)
			statement_list(body, line)
			close_body()
			return
		}
		statement_list(s, line)
	}

	# check_list(parts, ops, from, to, line): parts[from..to] joined by
	# && and || are one statement. A negated element that ends it, or is
	# followed by &&, asserts nothing unless the statement is the last
	# command (then it is the return value); `! A || B` is fine.
	function check_list(parts, ops, from, to, line,    j, text) {
		text = ""
		for (j = from; j <= to; j++)
			text = text (j > from ? " " ops[j - 1] " " : "") squeeze(parts[j])
		for (j = from; j <= to; j++) {
			if (!negated(strip_lead(parts[j])))
				continue
			if (j == to || ops[j] == "&&") {
				pend[top] = line
				ptext[top] = text
				skip[top] = 0
				return
			}
		}
	}

	function statement_list(s, line,    n, parts, ops, i, p, kind, j, m) {
		n = split_top(s, parts, ops)
		for (i = 1; i <= n; i++) {
			if (parts[i] ~ /^[ \t]*(else|elif)([ \t]|$)/)
				settle("else", line)
			p = strip_lead(parts[i])
			if (p == "" && ops[i] == ";;") {
				settle(";;", line)
				continue
			}
			if (p == "")
				continue
			kind = "stmt"
			if (p ~ /^fi([ \t;|&<>)]|$)/)
				kind = "fi"
			else if (p ~ /^done([ \t;|&<>)]|$)/)
				kind = "done"
			else if (p ~ /^esac([ \t;|&<>)]|$)/)
				kind = "esac"
			else if (p ~ /^\}([ \t;|&<>]|$)/)
				kind = "}"
			else if (p ~ /^if([ \t]|$)/)
				kind = "if"
			else if (p ~ /^elif([ \t]|$)/)
				kind = "elif"
			settle(kind, line)
			if (ops[i] == ";;")
				settle(";;", line)
			# conditions are not assertions
			if (p ~ /^(if|elif|while|until)([ \t]|$)/) {
				# skip the rest of the condition list
				while (i < n && (ops[i] == "&&" || ops[i] == "||"))
					i++
				continue
			}
			if (!negated(p)) {
				# A && ! B ...: the list is one statement
				m = i
				while (m < n && (ops[m] == "&&" || ops[m] == "||"))
					m++
				if (m == i)
					continue
				check_list(parts, ops, i, m, line)
				i = m
				continue
			}
			# a list led by a negation
			m = i
			while (m < n && (ops[m] == "&&" || ops[m] == "||"))
				m++
			check_list(parts, ops, i, m, line)
			i = m
		}
	}

	BEGIN {
		top = 0
		pend[0] = 0
		skip[0] = 0
		binline[0] = 0
		bindent[0] = ""
		found = 0
		st = ""
	}

	{
		raw = $0
		if (in_hd) {
			t = raw
			if (hd_dash_now)
				sub(/^\t+/, "", t)
			if (t == hd_end)
				in_hd = 0
			next
		}
		scan(raw)
		t = code
		sub(/[ \t]+$/, "", t)
		if (buf != "" && cont && t ~ /^[ \t]*$/)
			next # a comment or blank line inside a continued command
		if (buf == "") {
			start = FNR
			ind = raw
			sub(/[^ \t].*$/, "", ind)
			buf = code
		} else
			buf = buf "\n" code
		if (hd_pending) {
			in_hd = 1
			hd_end = hd_word
			hd_dash_now = hd_dash
			hd_pending = 0
		}
		if (open || t ~ /\\$/ || t ~ /(\||&&)$/) {
			if (t ~ /\\$/)
				sub(/\\[ \t]*$/, "", buf)
			cont = !open
			next
		}
		cont = 0
		gsub(/\n/, " ", buf)
		statement(buf, start, ind)
		buf = ""
	}

	END {
		if (buf != "")
			statement(buf, start, ind)
		exit found > 0
	}' "$1"
}

n=0
bad=0
for f in "$@"; do
	n=$((n + 1))
	if [ ! -r "$f" ]; then
		if [ "$tap" -eq 1 ]; then
			echo "not ok $n - $f: no such file"
		else
			echo "$f: no such file" >&2
		fi
		bad=2
		continue
	fi
	out=$(lint_one "$f")
	rc=$?
	if [ "$tap" -eq 1 ]; then
		if [ "$rc" -eq 0 ]; then
			echo "ok $n - $f: every negated command can fail"
		else
			echo "not ok $n - $f: negated commands that assert nothing"
			printf '%s\n' "$out" | sed 's/^/#   /'
		fi
	elif [ -n "$out" ]; then
		printf '%s\n' "$out"
	fi
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		bad=1
	fi
done
[ "$tap" -eq 1 ] && echo "1..$n"
exit "$bad"
