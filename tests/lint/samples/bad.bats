#!/usr/bin/env bats
# A deliberately bad sample for tests/lint/bats_negation.sh: the lines it
# must report, and no other, are listed in bad.expected (those marked
# "flagged" here). Never run as a test.

check_report() {
	cat "$1" >&2
	! grep -q "Non-2xx" "$1" # flagged
	! grep -q "Socket errors" "$1"
}

@test "a negation in the middle" {
	run true
	! false # flagged
	[ "$status" -eq 0 ]
}

@test "a negation in a loop" {
	for n in a b c; do
		! ls -d /nonexistent/"$n" 2>/dev/null # flagged
	done
	true
}

@test "negations in lists" {
	! false && true # flagged
	true && ! false # flagged
	echo done
}

@test "a continued negation, then more" {
	! echo abc | # flagged
		grep -q x
	! echo abc \
		| grep -q y # (flagged at the line above)
	echo after
}

@test "a negation before an else branch, then more" {
	if true; then
		! false # flagged
	else
		echo no
	fi
	echo after
}

one_line() { ! false; true; } # flagged

@test "after a here-document and a quoted block" {
	cat <<SH
! not code
SH
	x="
! not code either"
	! false # flagged
	echo "$x"
}

@test "a negation before elif and a nested if, then more" {
	if false; then
		! false # flagged
	elif true; then
		if true; then
			echo nested
		fi
		echo still in elif
	fi
	echo after
}

@test "a negated [[ ]] with && inside, a comment, then more" {
	! [[ a == b && c == d ]] # flagged

	# a comment between
	echo after
}
