#!/usr/bin/env bats
# A sample tests/lint/bats_negation.sh must accept: every negation in it
# can fail its test. Never run as a test.

last_in_function() {
	cat "$1" >&2
	# a comment between
	! grep -q "Non-2xx" "$1"

	# and after
}

@test "forms that are not negated commands" {
	[ ! -f /nonexistent ]
	[[ ! "abc" =~ x ]]
	run ! false
	if ! false; then echo yes; fi
	while ! true; do break; done
	until ! false; do break; done
	sh -c "! kill -0 99999999" || true
	wait_for 20 sh -c "! kill -0 $$"
	echo '! quoted'
	x="a
! inside a string"
	cat <<'SH'
! in a here-document
	! indented in it
SH
	cat <<-SH
		! in a tab-stripped here-document
	SH
	# ! in a comment
	echo "$x" # ! in a trailing comment
	! false || true
	! false || [ 1 -eq 1 ]
}

@test "the last command may be negated" {
	run true
	! false
}

@test "the last command of the last branch" {
	if true; then
		! false
	else
		! true
	fi
}

@test "a negated pipeline over two lines, last" {
	echo abc |
		grep -q b
	! echo abc |
		grep -q x
}

@test "a negated case branch, last" {
	case x in
	x)
		! false
		;;
	esac
}

one_line() { true; ! false; }
grouped() { { echo a; ! false; }; }

@test "the last command of an if with elif and a nested if" {
	if false; then
		! false
	elif true; then
		if true; then
			echo nested
		fi
		! false
	else
		true
	fi
}

# a predicate: its last command is its return value
neither() {
	! grep -q "$1" "$2" && ! grep -q "$1" "$3"
}

@test "a condition over lines, with a comment and [[ && ]] in it" {
	if [ -n "$BATS_TEST_NAME" ] &&
		# a comment inside the condition
		! [[ "$BATS_TEST_NAME" == x && -n y ]]; then
		echo yes
	fi
	[[ -n a && -n b ]] && echo both
	! false
}
