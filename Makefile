# libaxdevice: one non-recursive Makefile.
#
#   make              build/libaxdevice.a, build/libaxdevice.so, build/axdevice.pc, axvm,
#                     the x86 and Arm demo guests and their disks
#   make test         every test: unit (plain, ASan+UBSan), concurrency (TSan),
#                     freestanding link, cppcheck, clang-format check
#   make bench        benchmarks (release build)
#   make freestanding src/ built -ffreestanding -nostdinc, linked -nostdlib -static, run
#   make fuzz         every libFuzzer harness for FUZZ_SECONDS (30) seconds
#   make install PREFIX=/usr/local
#   make run          build axvm, the demo guest and its disk, boot the demo VM

# Quiet by default, kvmtool style; `make V=1` shows every command.
V        ?= 0
Q        := $(if $(filter 1,$(V)),,@)
CC       ?= gcc
AR       ?= ar
PREFIX   ?= /usr/local
VERSION  := 0.1.0
BUILD    := build

WARN     := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wno-missing-field-initializers
CFLAGS   ?= -O2 -g
BASE_CFLAGS := -std=c11 $(WARN) -Iinclude -fPIC
# Test, bench and host code may use POSIX.
HOST_CFLAGS := -D_GNU_SOURCE -Itests/support

LIB_SRCS   := $(sort $(wildcard src/core/*.c src/dev/*.c src/dev/virtio/*.c))
TEST_SRCS  := $(sort $(wildcard tests/test_*.c))
# every test runs under TSan too: the models have threaded tests of their own
TSAN_SRCS  := $(TEST_SRCS)
SUPPORT_SRCS := $(sort $(wildcard tests/support/*.c))
BENCH_SRCS := $(sort $(wildcard bench/*.c))
# axvm's layers are folders under vmm/ (docs/architecture.md); every .c is built
VMM_SRCS   := $(sort $(shell find vmm -name '*.c'))
VMM_LIB_SRCS := $(filter-out vmm/main.c,$(VMM_SRCS))
# Used in prerequisites below, so defined before any rule.
GUEST_ELF  := $(BUILD)/guest/demo-guest.elf
DEMO_DISK  := $(BUILD)/demo-disk.img
ARM_GUEST_IMG := $(BUILD)/guest/arm64/demo-guest.img
ARM_DEMO_DISKS := $(BUILD)/demo-disk-arm64.img $(BUILD)/demo-disk-arm64-gicv3.img
HEADERS    := $(wildcard include/axdevice/*.h)

SAN_ASAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
# -Wno-tsan: virtqueue fences order against guest memory, which TSan cannot see anyway
SAN_TSAN := -fsanitize=thread -fno-omit-frame-pointer -Wno-tsan

# libfdt: the arm64 device tree; gcc-aarch64-linux-gnu: the Arm demo guest; liburing: axvm's
# io_uring block engine (vmm/backends/uring.c)
BUILD_DEPS := gcc libc6-dev binutils pkg-config libunicorn-dev libfdt-dev gcc-aarch64-linux-gnu \
              liburing-dev
TEST_DEPS := $(BUILD_DEPS) libcmocka-dev pkg-config cppcheck clang-format valgrind strace \
             acpica-tools device-tree-compiler
CMOCKA_LIBS = $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
# the software CPU of axvm's TCG accelerator (vmm/accel/tcg/)
UNICORN_LIBS = $(shell pkg-config --libs unicorn 2>/dev/null || echo -lunicorn)
FDT_LIBS = -lfdt
URING_LIBS = $(shell pkg-config --libs liburing 2>/dev/null || echo -luring)

.PHONY: all test bench freestanding install run clean deps-test check-format format cppcheck \
        test-unit test-asan test-tsan test-configs test-vm test-linux test-linux-axvm guest \
        deps-run bench-peer fuzz guest-arm64 test-linux-arm64 test-linux-net
all: $(BUILD)/libaxdevice.a $(BUILD)/libaxdevice.so $(BUILD)/axdevice.pc
	@tools/install-deps.sh $(BUILD_DEPS)
	@$(MAKE) --no-print-directory $(BUILD)/axvm $(GUEST_ELF) $(DEMO_DISK) $(ARM_GUEST_IMG) \
	  $(ARM_DEMO_DISKS)

# --- one build variant: objects, static library, test binaries ---------------
# $(1) variant name, $(2) its directory, $(3) extra compiler/linker flags
define variant
$(1)_DIR   := $(2)
$(1)_FLAGS := $(3)
$(1)_OBJS  := $$(LIB_SRCS:%.c=$(2)/obj/%.o)
$(1)_SUPPORT := $$(SUPPORT_SRCS:%.c=$(2)/obj/%.o)
$(1)_VMM   := $$(VMM_LIB_SRCS:%.c=$(2)/obj/%.o)

$(2)/obj/src/%.o: src/%.c
	@mkdir -p $$(@D)
	@echo "  CC      $$@"
	$$(Q)$$(CC) $$(BASE_CFLAGS) $$(CFLAGS) $(3) -MMD -MP -c $$< -o $$@

$(2)/obj/tests/%.o: tests/%.c
	@mkdir -p $$(@D)
	@echo "  CC      $$@"
	$$(Q)$$(CC) $$(BASE_CFLAGS) $$(HOST_CFLAGS) $$(CFLAGS) $(3) -Isrc -Ivmm -MMD -MP -c $$< -o $$@

$(2)/obj/bench/%.o: bench/%.c
	@mkdir -p $$(@D)
	@echo "  CC      $$@"
	$$(Q)$$(CC) $$(BASE_CFLAGS) $$(HOST_CFLAGS) $$(CFLAGS) $(3) -Ibench -MMD -MP -c $$< -o $$@

$(2)/obj/vmm/%.o: vmm/%.c
	@mkdir -p $$(@D)
	@echo "  CC      $$@"
	$$(Q)$$(CC) $$(BASE_CFLAGS) -D_GNU_SOURCE $$(CFLAGS) $(3) -Ivmm -MMD -MP -c $$< -o $$@

$(2)/libaxdevice.a: $$($(1)_OBJS)
	@mkdir -p $$(@D)
	@echo "  AR      $$@"
	$$(Q)$$(AR) rcs $$@ $$^

# axvm minus its main(): linked into axvm and into the tests of vmm/ code. Rebuilt from
# scratch with full member names (P): two layers may hold files of the same name.
$(2)/libaxvm.a: $$($(1)_VMM)
	@mkdir -p $$(@D)
	@echo "  AR      $$@"
	$$(Q)rm -f $$@ && $$(AR) rcsP $$@ $$^

# axvm takes vmm/'s objects themselves, not the archive: everything under vmm/ is axvm
$(2)/axvm: $(2)/obj/vmm/main.o $$($(1)_VMM) $(2)/libaxdevice.a
	@echo "  LINK    $$@"
	$$(Q)$$(CC) $(3) -o $$@ $$^ $$(UNICORN_LIBS) $$(FDT_LIBS) $$(URING_LIBS) -pthread

$(2)/tests/%: $(2)/obj/tests/%.o $$($(1)_SUPPORT) $(2)/libaxvm.a $(2)/libaxdevice.a
	@mkdir -p $$(@D)
	@echo "  LINK    $$@"
	$$(Q)$$(CC) $(3) -o $$@ $$< $$($(1)_SUPPORT) $(2)/libaxvm.a $(2)/libaxdevice.a $$(CMOCKA_LIBS) \
		$$(UNICORN_LIBS) $$(FDT_LIBS) $$(URING_LIBS) -pthread

-include $$($(1)_OBJS:.o=.d) $$($(1)_SUPPORT:.o=.d) $$($(1)_VMM:.o=.d) $(2)/obj/vmm/main.d \
         $$(wildcard $(2)/obj/tests/*.d $(2)/obj/bench/*.d)
endef

$(eval $(call variant,plain,$(BUILD),))
$(eval $(call variant,asan,$(BUILD)/asan,$(SAN_ASAN)))
$(eval $(call variant,tsan,$(BUILD)/tsan,$(SAN_TSAN)))

# Keep objects that pattern rules chain through (bench, tests).
.SECONDARY:

TEST_NAMES := $(TEST_SRCS:tests/%.c=%)
TSAN_NAMES := $(TSAN_SRCS:tests/%.c=%)

$(BUILD)/libaxdevice.so: $(plain_OBJS)
	@echo "  LINK    $@"
	$(Q)$(CC) -shared -Wl,-soname,libaxdevice.so.0 -o $@ $^

$(BUILD)/axdevice.pc: Makefile
	@mkdir -p $(@D)
	$(Q)printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' 'libdir=$${prefix}/lib' '' \
	  'Name: axdevice' 'Description: Device emulation library for hypervisors' \
	  'Version: $(VERSION)' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -laxdevice' > $@

install: $(BUILD)/libaxdevice.a $(BUILD)/libaxdevice.so $(BUILD)/axdevice.pc
	install -d $(DESTDIR)$(PREFIX)/include/axdevice $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 644 $(HEADERS) $(DESTDIR)$(PREFIX)/include/axdevice/
	install -m 644 $(BUILD)/libaxdevice.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(BUILD)/libaxdevice.so $(DESTDIR)$(PREFIX)/lib/libaxdevice.so.$(VERSION)
	ln -sf libaxdevice.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/libaxdevice.so.0
	ln -sf libaxdevice.so.0 $(DESTDIR)$(PREFIX)/lib/libaxdevice.so
	install -m 644 $(BUILD)/axdevice.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/

# --- tests -------------------------------------------------------------------
deps-test:
	@tools/install-deps.sh $(TEST_DEPS)

test-unit: deps-test $(TEST_NAMES:%=$(BUILD)/tests/%)
	@tools/run-tests.sh "unit" $(TEST_NAMES:%=$(BUILD)/tests/%)

test-asan: deps-test $(TEST_NAMES:%=$(BUILD)/asan/tests/%)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  tools/run-tests.sh "asan+ubsan" $(TEST_NAMES:%=$(BUILD)/asan/tests/%)

test-tsan: deps-test $(TSAN_NAMES:%=$(BUILD)/tsan/tests/%)
	@TSAN_OPTIONS=halt_on_error=1 tools/run-tests.sh "tsan" $(TSAN_NAMES:%=$(BUILD)/tsan/tests/%)

# Every config file under tests/configs through `axvm check` (arm64 ones name the Arm demo
# guest as their kernel: its device tree is checked too): message and file:line:col,
# and once more under valgrind: no error, no leak.
test-configs: deps-test $(BUILD)/axvm $(ARM_GUEST_IMG)
	@AXVM=$(BUILD)/axvm VALGRIND=1 tests/check-configs.sh

# axvm + the demo guest and the 64-bit test kernels on every accelerator this
# machine has: TCG always, KVM where /dev/kvm works (ACCELS=tcg to pick one).
test-vm: deps-test $(BUILD)/axvm $(GUEST_ELF) $(DEMO_DISK) $(ARM_GUEST_IMG) $(ARM_DEMO_DISKS)
	@AXVM=$(BUILD)/axvm tests/vm/run.sh

# Unmodified Debian Linux (QEMU TCG) using our virtio-blk over vhost-user; first,
# axvm's bzImage loader on that kernel (test_bzimage KERNEL).
test-linux: $(BUILD)/axvm $(BUILD)/tests/test_bzimage
	@AXVM=$(BUILD)/axvm BZIMAGE_TEST=$(BUILD)/tests/test_bzimage tests/linux/run.sh

# The same Debian Linux's virtio_net (QEMU TCG) on our virtio-net over vhost-user, on a tap
# in a network namespace of its own: ping, 64 MiB each way, offloads, link down/up, reboot,
# counters (PEER=qemu: QEMU's own virtio-net on the same harness).
test-linux-net: $(BUILD)/axvm
	@AXVM=$(BUILD)/axvm tests/linux/net.sh

# Debian's unmodified arm64 Linux 6.1 on axvm's software CPU with our GICv2 / GICv3, generic
# timer and PL011, checked from the kernel's own log and --stats (fetched from Debian's
# archive by tools/fetch-linux-arm64.sh; about 15 s per boot here).
test-linux-arm64: $(BUILD)/axvm
	@AXVM=$(BUILD)/axvm tests/linux-arm64/run.sh

# The same Debian Linux booted directly on axvm (KVM; prints SKIP where /dev/kvm
# is unusable). Not in `make test`: on this nested KVM a boot takes ~25 minutes to /init.
test-linux-axvm: $(BUILD)/axvm
	@AXVM=$(BUILD)/axvm tests/linux/axvm.sh

test: test-unit test-asan test-tsan test-configs test-vm test-linux test-linux-net test-linux-arm64 \
      freestanding cppcheck check-format
	@echo "make test: all passed"

cppcheck: deps-test
	@echo "  CPPCHECK"
	$(Q)cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	  --inline-suppr --suppress=missingIncludeSystem -Iinclude -Isrc -Ivmm src tests bench \
	  $(wildcard vmm guest fuzz) -Itests/support -Ifuzz

FORMAT_FILES = $(shell find include src tests bench vmm guest fuzz -name '*.[ch]' 2>/dev/null)
check-format: deps-test
	@clang-format --dry-run --Werror $(FORMAT_FILES) && echo "clang-format: clean"

format:
	clang-format -i $(FORMAT_FILES)

# --- fuzzing (libFuzzer, clang, ASan+UBSan): each target FUZZ_SECONDS seconds ---
FUZZ_SECONDS ?= 30
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) tools/fuzz.sh

# --- freestanding proof ------------------------------------------------------
# src/ sees only the compiler's own headers (-nostdinc) and links with no libc.
FS_DIR   := $(BUILD)/freestanding
FS_FLAGS := -std=c11 $(WARN) -O2 -ffreestanding -nostdinc -isystem $(shell $(CC) -print-file-name=include) \
            -Iinclude -fno-stack-protector -fno-pic -mno-red-zone
FS_OBJS  := $(LIB_SRCS:%.c=$(FS_DIR)/%.o) $(FS_DIR)/tests/freestanding/shim.o

$(FS_DIR)/%.o: %.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(FS_FLAGS) -MMD -MP -c $< -o $@
-include $(FS_OBJS:.o=.d)

$(FS_DIR)/freestanding-demo: $(FS_OBJS)
	@echo "  LINK    $@"
	$(Q)$(CC) -nostdlib -static -no-pie -o $@ $^ -lgcc

freestanding: $(FS_DIR)/freestanding-demo
	@$(FS_DIR)/freestanding-demo && echo "freestanding: src/ links and runs with no libc"

# --- benchmarks --------------------------------------------------------------
# Every bench/bench_*.c is a program; the other bench/*.c and tests/support/*.c
# are linked into each. Built with the plain (optimised, unsanitised) library.
BENCH_MAINS := $(sort $(wildcard bench/bench_*.c))
BENCH_LIBS  := $(filter-out $(BENCH_MAINS),$(BENCH_SRCS))
BENCH_BINS  := $(BENCH_MAINS:bench/%.c=$(BUILD)/bench/%)

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.o $(BENCH_LIBS:%.c=$(BUILD)/obj/%.o) $(plain_SUPPORT) \
                  $(BUILD)/libaxdevice.a
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(CC) -o $@ $^ -pthread -lm

# The block engines' queue depth: axvm's backends (vmm/), so axvm's objects and libraries too.
$(BUILD)/obj/bench/bench_blk_depth.o: CFLAGS += -Ivmm
$(BUILD)/bench/bench_blk_depth: $(BUILD)/obj/bench/bench_blk_depth.o \
                  $(BENCH_LIBS:%.c=$(BUILD)/obj/%.o) $(BUILD)/libaxvm.a $(BUILD)/libaxdevice.a
	@mkdir -p $(@D)
	@echo "  LINK    $@"
	$(Q)$(CC) -o $@ $^ $(UNICORN_LIBS) $(FDT_LIBS) $(URING_LIBS) -pthread -lm

bench: $(BENCH_BINS) $(BUILD)/axvm $(GUEST_ELF) $(DEMO_DISK)
	@for b in $(BENCH_BINS); do echo "== $$b"; $$b || exit 1; done
	@echo "== bench/icount.sh"; BENCH_ICOUNT=$(BUILD)/bench/bench_icount bench/icount.sh
	@echo "== bench/vmexit.sh"; AXVM=$(BUILD)/axvm bench/vmexit.sh
	@echo "== bench/peer-tcg.sh"; AXVM=$(BUILD)/axvm bench/peer-tcg.sh

# Side by side with peers: qemu-storage-daemon (vhost-user-blk, fio in the Linux guest at
# queue depth 1 and 32; bench/peer-blk.sh, its busybox dd predecessor, still runs by hand),
# QEMU's exit path, QEMU's own virtio-net, and QEMU TCG booting the same arm64 Linux.
bench-peer: $(BUILD)/axvm $(GUEST_ELF) $(DEMO_DISK)
	@AXVM=$(BUILD)/axvm bench/peer-fio.sh
	@AXVM=$(BUILD)/axvm bench/peer-exit.sh
	@AXVM=$(BUILD)/axvm bench/peer-net.sh
	@AXVM=$(BUILD)/axvm bench/peer-linux-arm64.sh

# --- demo guest (guest/x86/): freestanding 32-bit x86, multiboot v1 --------
# Built with the host gcc (-m32, no libc, no libgcc: the guest avoids 64-bit division).
# guest/common/ (code both guests share, see its README) is compiled once per guest,
# into $(BUILD)/guest/x86/common/ here; its arch headers (cpu.h, deadline.h, div64.h)
# come from guest/x86/, which is searched first.
GUEST_COMMON_SRCS := $(sort $(wildcard guest/common/*.c))
GUEST_SRCS   := $(sort $(wildcard guest/x86/*.c guest/x86/*.S))
GUEST_OBJS   := $(patsubst guest/%,$(BUILD)/guest/%.o,$(GUEST_SRCS)) \
                $(patsubst guest/common/%,$(BUILD)/guest/x86/common/%.o,$(GUEST_COMMON_SRCS))
GUEST_CFLAGS := -m32 -march=i686 -std=gnu11 $(WARN) -O2 -g -ffreestanding -nostdinc \
                -isystem $(shell $(CC) -print-file-name=include) -Iguest/x86 -Iguest/common \
                -fno-pic -fno-pie -fno-stack-protector -fno-asynchronous-unwind-tables \
                -mgeneral-regs-only

$(BUILD)/guest/x86/common/%.c.o: guest/common/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guest/%.c.o: guest/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guest/%.S.o: guest/%.S
	@mkdir -p $(@D)
	@echo "  AS      $@"
	$(Q)$(CC) $(GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(GUEST_ELF): $(GUEST_OBJS) guest/x86/linker.ld
	@echo "  LD      $@"
	$(Q)$(LD) -m elf_i386 -nostdlib -T guest/x86/linker.ld -o $@ $(GUEST_OBJS)

-include $(GUEST_OBJS:.o=.d)

guest: $(GUEST_ELF)

# --- Arm demo guest (guest/arm64/): freestanding AArch64, an arm64 Image ------
# Built with Debian's cross compiler; objcopy makes the raw Image (its header is
# in entry.S), which axvm's Image loader places like a Linux kernel.
ARM_CROSS      ?= aarch64-linux-gnu-
# guest/common/ is compiled again here, into $(BUILD)/guest/arm64/common/.
ARM_GUEST_SRCS := $(sort $(wildcard guest/arm64/*.c guest/arm64/*.S))
ARM_GUEST_OBJS := $(patsubst guest/%,$(BUILD)/guest/%.o,$(ARM_GUEST_SRCS)) \
                  $(patsubst guest/common/%,$(BUILD)/guest/arm64/common/%.o,$(GUEST_COMMON_SRCS))
ARM_GUEST_ELF  := $(BUILD)/guest/arm64/demo-guest.elf
ARM_GUEST_CFLAGS = -std=gnu11 $(WARN) -O2 -g -ffreestanding -nostdinc \
                -isystem $(shell $(ARM_CROSS)gcc -print-file-name=include 2>/dev/null) \
                -Iguest/arm64 -Iguest/common -fno-pic -fno-pie -fno-stack-protector \
                -fno-asynchronous-unwind-tables -mgeneral-regs-only -mstrict-align \
                -mno-outline-atomics

$(BUILD)/guest/arm64/%.c.o: guest/arm64/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(ARM_CROSS)gcc $(ARM_GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guest/arm64/common/%.c.o: guest/common/%.c
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(ARM_CROSS)gcc $(ARM_GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/guest/arm64/%.S.o: guest/arm64/%.S
	@mkdir -p $(@D)
	@echo "  AS      $@"
	$(Q)$(ARM_CROSS)gcc $(ARM_GUEST_CFLAGS) -MMD -MP -c $< -o $@

$(ARM_GUEST_ELF): $(ARM_GUEST_OBJS) guest/arm64/linker.ld
	@echo "  LD      $@"
	$(Q)$(ARM_CROSS)ld -nostdlib -T guest/arm64/linker.ld -o $@ $(ARM_GUEST_OBJS)

$(ARM_GUEST_IMG): $(ARM_GUEST_ELF)
	@echo "  OBJCOPY $@"
	$(Q)$(ARM_CROSS)objcopy -O binary $< $@

-include $(ARM_GUEST_OBJS:.o=.d)

guest-arm64: $(ARM_GUEST_IMG)

# --- the demo VM -------------------------------------------------------------
$(DEMO_DISK) $(ARM_DEMO_DISKS): tools/make-demo-disk.sh
	@echo "  DISK    $@"
	$(Q)tools/make-demo-disk.sh $@

deps-run:
	@tools/install-deps.sh $(BUILD_DEPS)

run: deps-run
	@$(MAKE) --no-print-directory $(BUILD)/axvm $(GUEST_ELF) $(DEMO_DISK)
	$(BUILD)/axvm run configs/demo.toml

clean:
	rm -rf $(BUILD)
