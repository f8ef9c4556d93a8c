#!/usr/bin/env bash
# Can a guest's user mode enter its kernel on this host's KVM? Boots
# tools/probe_user_entry.S twice on axvm (SYSCALL, then INT $0x80 from CPL 3)
# and says what happened. On this project's kvm_pvm a non-PVM guest's
# SYSCALL reaches LSTAR with CS still the user segment, and INT $0x80 from
# CPL 3 shuts the VM down: no unmodified Linux user space can make a system
# call there (see the notes of issue 6). A diagnostic, not a test.
#   tools/probe-user-entry.sh          (from the top of the tree, after make)
set -u
# shellcheck source=tests/vm/lib.sh
. tests/vm/lib.sh
test_kernel_setup probe-user-entry
for entry in SYSCALL INT80; do
	test_kernel_build p tools/probe_user_entry.S "-DENTRY_$entry"
	test_kernel_config "$tmp/p.toml" "$tmp/p.bin" "$tmp/com1"
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
