#!/usr/bin/env bats
# tests/lint/bats_negation.sh on its samples: it reports exactly the lines
# listed in tests/lint/samples/bad.expected, accepts good.bats.in, and
# accepts the repository's own test files. No daemon, no port, no root.

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
LINT=$REPO/tests/lint/bats_negation.sh
S=$REPO/tests/lint/samples

@test "the bad sample: every dead negation reported, nothing else" {
	run sh "$LINT" "$S/bad.bats.in"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | cut -d: -f2)" = "$(cat "$S/bad.expected")" ]
	[[ "${lines[0]}" == "$S/bad.bats.in:8: \`! grep -q \"Non-2xx\" \"\$1\"\` is not the last command of its test or function"* ]]
	[[ "$output" == *"bad.bats.in:20: \`! ls -d /nonexistent/\"\$n\" 2>/dev/null\` ends a loop body"* ]]
	[[ "$output" == *"bad.bats.in:26: \`! false && true\` is not the last command"* ]]
	[[ "$output" == *"bad.bats.in:27: \`true && ! false\` is not the last command"* ]]
}

@test "the good sample passes" {
	run sh "$LINT" "$S/good.bats.in"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "TAP output: one test per file, the findings as comments" {
	run sh "$LINT" --tap "$S/good.bats.in" "$S/bad.bats.in"
	echo "$output"
	[ "$status" -eq 1 ]
	[ "${lines[0]}" = "ok 1 - $S/good.bats.in: every negated command can fail" ]
	[ "${lines[1]}" = "not ok 2 - $S/bad.bats.in: negated commands that assert nothing" ]
	[[ "${lines[2]}" == "#   $S/bad.bats.in:8: "* ]]
	[ "${lines[-1]}" = "1..2" ]
	run sh "$LINT" --tap "$S/no-such.bats"
	[ "$status" -eq 2 ]
	[ "${lines[0]}" = "not ok 1 - $S/no-such.bats: no such file" ]
}

@test "the repository's test files pass" {
	cd "$REPO"
	run sh "$LINT"
	echo "$output"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}
