#!/usr/bin/env bash
# Runs `axvm check` on every sample config in tests/configs:
#   good/*.toml         must be accepted (exit 0);
#   bad/*.toml          must be rejected (non-zero exit) with an error on stderr
#   bad-devices/*.toml  containing the text of every leading "# expect: TEXT" line.
# One PASS/FAIL line per file, then a summary; exits non-zero on any failure.
#
#   AXVM=build/asan/axvm tests/check-configs.sh   another axvm build (default build/axvm)
#   VALGRIND=1 tests/check-configs.sh             every case under valgrind as well
set -u
cd "$(dirname "$0")/.." || exit 1

AXVM=${AXVM:-build/axvm}
VALGRIND=${VALGRIND:-0}
VALGRIND_STATUS=99

if [ ! -x "$AXVM" ]; then
	echo "check-configs: $AXVM not found (build it with: make $AXVM)" >&2
	exit 2
fi
if [ "$VALGRIND" = 1 ] && ! command -v valgrind >/dev/null; then
	echo "check-configs: VALGRIND=1 but valgrind is not installed" >&2
	exit 2
fi

# good/ configs bind a virtio-blk device to this scratch image (it must hold one sector).
mkdir -p build/check-configs
head -c 4096 /dev/zero >build/check-configs/disk.img

pass=0
fail=0
stderr_file=$(mktemp)
trap 'rm -f "$stderr_file"' EXIT

# The texts of the "# expect: " lines at the top of a file, one per line.
expectations() {
	sed -n '/^# expect: /!q; s/^# expect: //p' "$1"
}

# Runs one case; prints why it failed (nothing when it passed). $1 file, $2 good|bad.
check_one() {
	local file=$1 kind=$2 status text

	"${runner[@]}" "$AXVM" check "$file" >/dev/null 2>"$stderr_file"
	status=$?
	if [ "$status" = "$VALGRIND_STATUS" ] && [ ${#runner[@]} -gt 0 ]; then
		echo "valgrind found errors:"
		cat "$stderr_file"
		return
	fi
	if [ "$kind" = good ]; then
		[ "$status" = 0 ] || echo "exit status $status, expected 0: $(cat "$stderr_file")"
		return
	fi
	if [ "$status" = 0 ]; then
		echo "accepted, expected an error"
		return
	fi
	if [ -z "$(expectations "$file")" ]; then
		echo "no \"# expect: \" line at the top of the file"
		return
	fi
	while IFS= read -r text; do
		grep -qF -- "$text" "$stderr_file" ||
			echo "stderr lacks \"$text\": $(cat "$stderr_file")"
	done < <(expectations "$file")
}

run_all() {
	local label=$1 file kind why
	for file in tests/configs/good/*.toml tests/configs/bad/*.toml \
		tests/configs/bad-devices/*.toml; do
		[ -e "$file" ] || continue
		case $file in
		*/good/*) kind=good ;;
		*) kind=bad ;;
		esac
		why=$(check_one "$file" "$kind")
		if [ -z "$why" ]; then
			pass=$((pass + 1))
			echo "PASS [$label] $file"
		else
			fail=$((fail + 1))
			echo "FAIL [$label] $file: $why"
		fi
	done
}

runner=()
run_all "$(basename "$AXVM")"
if [ "$VALGRIND" = 1 ]; then
	runner=(valgrind -q --leak-check=full "--error-exitcode=$VALGRIND_STATUS")
	run_all valgrind
fi

echo "check-configs: $pass passed, $fail failed"
[ "$fail" = 0 ]
