#!/usr/bin/env bash
# Crash consistency of axvm's file block backend, on each of its engines
# (aio=sync; aio=uring, buffered and direct=on; the io_uring ones SKIP where
# io_uring cannot start; buffered, io_uring's fast path writes the guest's 8 KiB
# requests inside submit, as on ext4; with direct=on every write and the flush
# go through the ring), with the demo guest in
# mode=crash (guest/x86/crash_mode.h): the guest writes sectors 64..1087, flushes,
# prints "CRASH flushed ...", then rewrites sectors 2048..4095 pass after pass
# without flushing. Once a pass or two has gone by, axvm is killed with
# SIGKILL at a random moment and build/crash-check (tests/vm/crash_check.c,
# built here) checks the image: flushed sectors exact; rewritten sectors each
# whole (original or one pass of this run), in write order, none of the passes
# the guest reported done missing. A second run checks that the guest's FLUSH
# became a successful fdatasync of the image, after the flushed writes
# completed and before any later write: for aio=sync from strace (where
# installed: pwrite and fdatasync are system calls), for io_uring from axvm's
# own -vv trace of each request's submission and completion (the kernel does
# the writes and the fdatasync inside io_uring, out of strace's sight).
#
# What it cannot prove: a SIGKILL does not drop the host's page cache, so the
# data checks show what survives the death of the VMM process (no write held
# back or reordered in axvm, none torn or misplaced), not what survives a
# power cut; for that the strace check only shows that fdatasync was asked
# for and succeeded, and the file system and the disk must keep its promise.
#   AXVM=build/axvm tests/vm/crash.sh     (from the top of the tree)
set -u
AXVM=${AXVM:-build/axvm}
ACCEL=${ACCEL:-tcg}
CC=${CC:-cc}
CHECKER=build/crash-check
FLUSHED="sectors=64..1087"
TIMEOUT=60
tmp=$(mktemp -d)
pid=
job=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

fail() {
	echo "FAIL [$ACCEL] crash-consistency: $*"
	for f in "$tmp"/*.out "$tmp"/*.err; do
		[ -s "$f" ] && tail -n 15 "$f"
	done
	exit 1
}

if [ "$ACCEL" = kvm ] && [ ! -c /dev/kvm ]; then
	echo "SKIP [$ACCEL] crash-consistency: /dev/kvm not available"
	exit 0
fi

if [ ! -x "$CHECKER" ] || [ tests/vm/crash_check.c -nt "$CHECKER" ]; then
	mkdir -p "$(dirname "$CHECKER")"
	$CC -std=c11 -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
		-Wmissing-prototypes -o "$CHECKER" tests/vm/crash_check.c ||
		fail "cannot build $CHECKER"
fi

# start NAME SEED OPTIONS [command prefix...]: boots the guest in mode=crash in
# the background on a fresh copy of the demo disk, the backend "file:IMAGE" +
# OPTIONS (",aio=sync", ...); sets pid (axvm's own process, even under a
# prefix: the shell records its pid, then execs)
start() {
	local name=$1 seed=$2 opts=$3
	shift 3
	cp build/demo-disk.img "$tmp/$name.img"
	# shellcheck disable=SC2016 # $$ and $@ belong to the inner shell
	"$@" bash -c 'echo $$ >"$0"; exec "$@"' "$tmp/$name.pid" \
		"$AXVM" run --accel "$ACCEL" configs/demo.toml --backend "disk0=file:$tmp/$name.img$opts" \
		--backend uart1=null --cmdline "mode=crash seed=$seed" $VERBOSE \
		>"$tmp/$name.out" 2>"$tmp/$name.err" &
	job=$!
	local deadline=$((SECONDS + 5))
	until [ -s "$tmp/$name.pid" ]; do
		[ "$SECONDS" -ge "$deadline" ] && fail "$name: axvm did not start"
		sleep 0.05
	done
	pid=$(cat "$tmp/$name.pid")
}

# wait_for NAME TEXT: until TEXT is in NAME's output (bounded); fails if axvm ends first
wait_for() {
	local name=$1 text=$2 deadline=$((SECONDS + TIMEOUT))
	until grep -qF -- "$text" "$tmp/$name.out"; do
		kill -0 "$pid" 2>/dev/null || fail "$name: axvm ended before printing '$text'"
		[ "$SECONDS" -ge "$deadline" ] && fail "$name: no '$text' within $TIMEOUT s"
		sleep 0.05
	done
}

# kill_vm: SIGKILL, then reap the background job quietly (no "Killed" notice)
kill_vm() {
	kill -KILL "$pid" || fail "axvm was gone before the kill"
	pid=
	wait "$job" 2>/dev/null
}

# The highest N of a complete "CRASH pass N done" line, 0 if none.
passes_done() {
	grep -o 'CRASH pass [0-9]* done' "$1" | awk '$3 > n { n = $3 } END { print n + 0 }'
}

# data ENGINE OPTIONS: the kill and crash-check on that engine; appends to summary
data() {
	local engine=$1 opts=$2 seed done_passes status
	seed=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
	start "data-$engine" "$seed" "$opts"
	wait_for "data-$engine" "CRASH flushed seed=$seed $FLUSHED"
	# kill somewhere in a pass after the first one: 0 to 0.5 s in
	wait_for "data-$engine" "CRASH pass 1 done"
	sleep "0.$(printf '%03d' $((RANDOM % 500)))"
	kill_vm
	done_passes=$(passes_done "$tmp/data-$engine.out")
	"$CHECKER" "$tmp/original.img" "$tmp/data-$engine.img" "$seed" "$done_passes" \
		>"$tmp/check.out" 2>&1
	status=$?
	[ "$status" -eq 0 ] || fail "$engine: seed $seed: crash-check said (status $status):
$(cat "$tmp/check.out")"
	# direct=on: the -v line saying O_DIRECT is in use (else why not)
	case $opts in
	*direct=on*)
		grep -q "disk0: direct=on: O_DIRECT for requests aligned" "$tmp/data-$engine.err" ||
			summary="$summary$engine without O_DIRECT ($(grep -o 'direct=on: .*' \
				"$tmp/data-$engine.err" | head -n 1)), "
		;;
	esac
	summary="$summary$engine seed $seed: $(sed -n 's/^crash-check: //p' "$tmp/check.out" |
		paste -sd '|' - | sed 's/|/; /g'); "
}

# FLUSH -> fdatasync, seen from the outside: every write of the flushed region,
# then a successful fdatasync of the same file descriptor, then the rest.
strace_check() {
	local seed verdict
	seed=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
	start sync "$seed" ",aio=sync" strace -f -qq -e trace=pwrite64,pwritev,fdatasync,fsync \
		-e signal=none -o "$tmp/sync.trace"
	wait_for sync "CRASH flushed seed=$seed $FLUSHED"
	kill_vm
	verdict=$(awk -v lo=$((64 * 512)) -v hi=$((1088 * 512)) '
		/pwrite/ && match($0, /, [0-9]+\) += [0-9]+$/) {
			split(substr($0, RSTART + 2), a, ")")
			off = a[1] + 0
			fd = $0; sub(/^[^(]*\(/, "", fd); sub(/,.*/, "", fd)
			if (off >= lo && off < hi) {
				if (synced) { bad = "flushed-region write after the fdatasync"; exit }
				flushed++; disk = fd
			} else if (flushed && !synced) {
				bad = "a write after the flushed region came before any fdatasync"; exit
			}
		}
		/(fdatasync|fsync)\([0-9]+\) += 0/ && flushed && !synced {
			fd = $0; sub(/^[^(]*\(/, "", fd); sub(/\).*/, "", fd)
			if (fd == disk) synced = 1
		}
		END { if (bad) print bad
		      else if (!flushed) print "no write of the flushed region traced"
		      else if (!synced) print "no successful fdatasync of the image after them"
		      else print "ok " flushed }' "$tmp/sync.trace")
	case $verdict in
	"ok "*) summary="${summary}sync: fdatasync after all ${verdict#ok } flushed writes (strace); " ;;
	*) fail "strace: $verdict" ;;
	esac
}

# The same order on io_uring, from axvm -vv's trace ("disk0: uring: submit|done OP at byte
# N, L bytes[: ok|error]"): the flush is submitted once every flushed-region write has
# completed, succeeds, and only then does a later write come.
uring_check() {
	local seed verdict
	seed=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
	VERBOSE="-v -v" start trace "$seed" ",aio=uring"
	wait_for trace "CRASH flushed seed=$seed $FLUSHED"
	kill_vm
	verdict=$(awk -v lo=$((64 * 512)) -v hi=$((1088 * 512)) '
		/ disk0: uring: / {
			off = $0; sub(/.* at byte /, "", off); sub(/,.*/, "", off); off += 0
			inside = off >= lo && off < hi
		}
		/ disk0: uring: submit write / {
			if (inside) {
				if (fsub) { bad = "flushed-region write after the flush"; exit }
				pending++
			} else if (flushed && !synced) {
				bad = "a write after the flushed region came before the flush completed"; exit
			}
		}
		/ disk0: uring: done write .*: ok$/ && inside && !fsub { pending--; flushed++ }
		/ disk0: uring: submit flush / && flushed && !fsub {
			if (pending) { bad = pending " flushed-region writes still in flight at the flush"; exit }
			fsub = 1
		}
		/ disk0: uring: done flush .*: ok$/ && fsub { synced = 1 }
		END { if (bad) print bad
		      else if (!flushed) print "no write of the flushed region traced"
		      else if (!synced) print "no successful flush after them"
		      else print "ok " flushed }' "$tmp/trace.err")
	case $verdict in
	"ok "*) summary="${summary}uring: fdatasync after all ${verdict#ok } flushed writes completed (-vv trace); " ;;
	*) fail "io_uring trace: $verdict" ;;
	esac
}

VERBOSE=
summary=
cp build/demo-disk.img "$tmp/original.img"
data sync ",aio=sync"
# io_uring where it starts here: `axvm check` opens the backends (aio=uring: an error without it)
if "$AXVM" check configs/demo.toml --backend "disk0=file:$tmp/original.img,aio=uring" \
	>"$tmp/probe.out" 2>&1; then
	data uring ",aio=uring"
	VERBOSE=-v data uring+direct ",aio=uring,direct=on"
	uring_check
else
	echo "SKIP [$ACCEL] crash-consistency on io_uring: $(tail -n 1 "$tmp/probe.out")"
fi
if command -v strace >/dev/null 2>&1; then
	strace_check
else
	summary="${summary}sync: fdatasync not traced (no strace); "
fi
echo "PASS [$ACCEL] crash-consistency (${summary%; })"
