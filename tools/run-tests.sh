#!/usr/bin/env bash
# Runs test binaries, prints a one-line verdict per binary, fails if any fails.
set -u
label=$1; shift
fail=0
for t in "$@"; do
	if out=$("$t" 2>&1); then
		echo "PASS [$label] $(basename "$t")"
	else
		echo "$out"
		echo "FAIL [$label] $(basename "$t")"
		fail=1
	fi
done
exit $fail
