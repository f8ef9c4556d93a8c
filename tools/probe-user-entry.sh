#!/usr/bin/env bash
# Can a guest's user mode enter its kernel on this host's KVM? Boots
# tools/probe_user_entry.S twice on axvm (SYSCALL, then INT $0x80 from CPL 3)
# and says what happened. On this project's kvm_pvm a non-PVM guest's
# SYSCALL reaches LSTAR with CS still the user segment, and INT $0x80 from
# CPL 3 shuts the VM down: no unmodified Linux user space can make a system
# call there (see the notes of issue 6). A diagnostic, not a test.
#   tools/probe-user-entry.sh          (from the top of the tree, after make)
set -u
AXVM=${AXVM:-build/axvm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ -c /dev/kvm ] || { echo "probe-user-entry: /dev/kvm not available"; exit 0; }
for entry in SYSCALL INT80; do
	cc -c -DENTRY_$entry -o "$tmp/p.o" tools/probe_user_entry.S &&
		objcopy -O binary -j .text "$tmp/p.o" "$tmp/p.bin" || exit 1
	cat >"$tmp/p.toml" <<-TOML
	[base]
	cpu_num = 1
	[kernel]
	kernel_path = "$tmp/p.bin"
	memory_regions = [[0x0, 0x400_0000, 0x7, 0]]
	[devices]
	emu_devices = [["com1", 0x3f8, 8, 4, "console", [1, 0]], ["exit", 0x501, 1, 0, "exit", []]]
	[backends]
	com1 = "file:$tmp/com1"
	TOML
	: >"$tmp/com1"
	timeout 20 "$AXVM" run "$tmp/p.toml" >/dev/null 2>"$tmp/err"
	st=$?
	out=$(cat "$tmp/com1")
	case "$st:$out" in
	0:K) what="enters the kernel at CPL 0" ;;
	64:G33) what="reaches the kernel's entry still at CPL 3 (CS 0x33): #GP at its first port write" ;;
	123:*) what="the VM shut down: $(grep -o 'guest shut down.*' "$tmp/err")" ;;
	*) what="status $st, COM1 '$out': $(tail -n 1 "$tmp/err")" ;;
	esac
	echo "probe-user-entry: $entry from CPL 3: $what"
done
