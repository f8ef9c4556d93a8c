#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
#
# Builds the libFuzzer harnesses in fuzz/ with clang into build/fuzz/ and runs
# each for FUZZ_SECONDS (default 30) on a copy of its seed corpus
# (fuzz/corpus/<target>/), so runs never grow the repository.
#
#   tools/fuzz.sh [target...]        default: every fuzz/fuzz_*.c
#   FUZZ_SECONDS=600 tools/fuzz.sh uart gicd
#   FUZZ_BUILD_ONLY=1 tools/fuzz.sh  build, do not run
#
# Prints one line per target:
#   fuzz target=<name> execs=<n> crashes=<n>
# (crashes = crash-/leak-/timeout-/oom- artifacts written; they are kept in
# build/fuzz/artifacts/<target>/) and exits non-zero if any target crashed.
set -eu

cd "$(dirname "$0")/.."
SECONDS_PER_TARGET=${FUZZ_SECONDS:-30}
OUT=build/fuzz
CC=${FUZZ_CC:-clang}

if ! command -v "$CC" >/dev/null 2>&1 ||
	! ls /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
	echo "fuzz: installing clang and libclang-rt-14-dev" >&2
	apt-get update >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y clang libclang-rt-14-dev >&2
fi

FLAGS="-std=c11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
-g -O1 -Iinclude -Isrc -Itests/support -Ivmm -Ifuzz -D_GNU_SOURCE"
LIB_SRCS=$(ls src/core/*.c src/dev/*.c src/dev/virtio/*.c)
SUPPORT_SRCS=$(ls tests/support/*.c)
VMM_SRCS="vmm/config/toml.c vmm/config/vm_config.c vmm/config/disk_spec.c vmm/log.c"

if [ $# -gt 0 ]; then
	TARGETS="$*"
else
	TARGETS=$(ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_||; s|\.c$||')
fi

mkdir -p "$OUT"
for t in $TARGETS; do
	extra=$SUPPORT_SRCS
	[ "$t" = config ] && extra=$VMM_SRCS
	[ "$t" = arm64_image ] && extra="vmm/boot/arm64_image.c vmm/guest_ram.c"
	echo "  CLANG   $OUT/fuzz_$t" >&2
	# shellcheck disable=SC2086
	$CC $FLAGS -o "$OUT/fuzz_$t" "fuzz/fuzz_$t.c" $LIB_SRCS $extra -pthread
done
[ -n "${FUZZ_BUILD_ONLY:-}" ] && exit 0

failed=0
for t in $TARGETS; do
	work=$OUT/corpus/$t
	art=$OUT/artifacts/$t
	log=$OUT/fuzz_$t.log
	rm -rf "$work" "$art"
	mkdir -p "$work" "$art"
	if [ -d "fuzz/corpus/$t" ]; then
		cp -r "fuzz/corpus/$t/." "$work/"
	fi
	# libFuzzer exits non-zero on a finding; the artifact count tells.
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		"$OUT/fuzz_$t" -max_total_time="$SECONDS_PER_TARGET" -print_final_stats=1 \
		-timeout=10 -rss_limit_mb=2048 -artifact_prefix="$art/" "$work" >"$log" 2>&1 ||
		true
	execs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
	crashes=$(find "$art" -maxdepth 1 -type f \
		\( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) |
		wc -l)
	echo "fuzz target=$t execs=${execs:-0} crashes=$crashes"
	if [ "$crashes" -ne 0 ] || [ -z "$execs" ]; then
		failed=1
		echo "fuzz: $t: see $log and $art/" >&2
	fi
done
exit $failed
