/* SPDX-License-Identifier: Apache-2.0 */
/* axvm: command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accel/accel.h"
#include "axvm.h"
#include "log.h"
#include "timers.h"
#include "vhost_user/vhost_user_blk.h"
#include "vhost_user/vhost_user_net.h"
#include "vm_arm64.h"

static const char usage[] =
	"usage: axvm run CONFIG.toml [options]    boot the VM the config describes\n"
	"       axvm check CONFIG.toml [options]  validate the config and build its devices\n"
	"       axvm vhost-user-blk --socket PATH --disk IMAGE[,ro]\n"
	"                                         serve our virtio-blk to a vhost-user front end\n"
	"       axvm vhost-user-net --socket PATH --tap NAME [--mac MAC]\n"
	"                                         serve our virtio-net over a tap to a vhost-user\n"
	"                                         front end\n"
	"       axvm --help\n"
	"\n"
	"options:\n"
	"  --accel NAME         run the vCPUs on auto (the default: KVM where /dev/kvm\n"
	"                       works, else TCG), kvm or tcg; replaces [base] accel\n"
	"  --backend NAME=SPEC  bind a backend to device NAME, replacing the config's\n"
	"                       (SPEC: file:PATH, file:PATH,ro, stdio, null; for a\n"
	"                       virtio-net device tap:NAME or tap:NAME,mac=XX:XX:XX:XX:XX:XX)\n"
	"  --cmdline STRING     replace [kernel] cmdline\n"
	"  --stats              print device, VM-exit and accelerator counters at exit\n"
	"  --profile FILE       sample guest PCs (1 kHz per vCPU) into FILE\n"
	"  -v                   more log (repeat for debug)\n"
	"\n"
	"exit status: the guest's (the byte it writes to the exit device), or\n"
	"  120 bad command line or config (or an unknown accelerator), 121 the accelerator\n"
	"  asked for cannot run here (--accel kvm without a usable /dev/kvm), 122\n"
	"  accelerator or vCPU error,\n"
	"  123 guest stopped without the exit device, 128+N stopped by signal N\n";

struct options {
	const char *command;
	const char *config;
	const char *cmdline;
	const char *backends[AXVM_MAX_BACKENDS];
	unsigned nr_backends;
	bool stats;
	const char *profile;
	const char *accel;
};

static int parse_args(int argc, char **argv, struct options *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage, stdout);
			exit(0);
		} else if (strcmp(a, "-v") == 0 || strcmp(a, "-vv") == 0) {
			axvm_log_level += (int)strlen(a) - 1;
		} else if (strcmp(a, "--stats") == 0) {
			o->stats = true;
		} else if (strcmp(a, "--profile") == 0 && i + 1 < argc) {
			o->profile = argv[++i];
		} else if (strcmp(a, "--accel") == 0 && i + 1 < argc) {
			o->accel = argv[++i];
			if (!axvm_accel_name_valid(o->accel)) {
				fprintf(stderr,
					"axvm: --accel: unknown accelerator \"%s\" (expected auto, "
					"kvm "
					"or tcg)\n",
					o->accel);
				return -1;
			}
		} else if (strcmp(a, "--cmdline") == 0 && i + 1 < argc) {
			o->cmdline = argv[++i];
		} else if (strcmp(a, "--backend") == 0 && i + 1 < argc) {
			if (o->nr_backends == AXVM_MAX_BACKENDS) {
				fprintf(stderr, "axvm: too many --backend options\n");
				return -1;
			}
			o->backends[o->nr_backends++] = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "axvm: unknown option '%s' (or missing value)\n%s", a,
				usage);
			return -1;
		} else if (!o->command) {
			o->command = a;
		} else if (!o->config) {
			o->config = a;
		} else {
			fprintf(stderr, "axvm: unexpected argument '%s'\n%s", a, usage);
			return -1;
		}
	}
	if (!o->command || !o->config ||
	    (strcmp(o->command, "run") != 0 && strcmp(o->command, "check") != 0)) {
		fprintf(stderr, "%s", usage);
		return -1;
	}
	return 0;
}

/*
 * Config, overrides, the accelerator (`run` only), backends and the device
 * set: everything `check` validates. Returns 0, or the exit status.
 */
static int prepare(struct axvm *vm, struct axvm_config *cfg, const struct options *o)
{
	char err[AXVM_ERR_MAX];
	int status = AXVM_STATUS_CONFIG;

	if (axvm_config_load(o->config, cfg, err, sizeof(err)) != 0)
		goto fail;
	for (unsigned i = 0; i < o->nr_backends; i++)
		if (axvm_config_override_backend(cfg, o->backends[i], err, sizeof(err)) != 0)
			goto fail;
	if (o->cmdline) {
		if (strlen(o->cmdline) >= sizeof(cfg->cmdline)) {
			snprintf(err, sizeof(err), "--cmdline: longer than %zu characters",
				 sizeof(cfg->cmdline) - 1);
			goto fail;
		}
		strcpy(cfg->cmdline, o->cmdline);
	}
	vm->cfg = cfg;
	vm->nr_vcpus = cfg->cpu_num;
	vm->arch = AXVM_ARCH_X86_64;
	/* `check` needs no accelerator: it builds every device, interrupt controllers too */
	if (strcmp(o->command, "run") == 0) {
		const char *name = o->accel ? o->accel : cfg->accel[0] ? cfg->accel : "auto";

		/* a kernel that cannot be read is x86-64 here: loading it reports the error (120),
		 * after the accelerator's own check (121) as before arm64 guests existed */
		if (axvm_guest_arch(cfg, &vm->arch, err, sizeof(err)) != 0)
			vm->arch = AXVM_ARCH_X86_64;
		vm->accel = axvm_accel_select(name, vm->arch, err, sizeof(err), &status);
		if (!vm->accel)
			goto fail;
		status = AXVM_STATUS_CONFIG;
	}
	vm->timers = axvm_timers_create();
	if (!vm->timers) {
		snprintf(err, sizeof(err), "cannot start the timer thread: %s", strerror(errno));
		status = AXVM_STATUS_VCPU;
		goto fail;
	}
	axvm_hooks_init(vm);
	/* backends, the devices over them, then the bind step: the backends' I/O threads
	 * (taps) start towards their devices (stopped again by axvm_destroy) */
	if (axvm_backends_open(&vm->backends, cfg, err, sizeof(err)) != 0 ||
	    axvm_build_devices(vm, err, sizeof(err)) != 0 ||
	    axvm_backends_bind(&vm->backends, vm->devices, err, sizeof(err)) != 0)
		goto fail;
	/* `check` of an arm64 guest's config: what its device tree would say, too (a kernel
	 * that cannot be read yet is no error for `check`) */
	if (strcmp(o->command, "check") == 0 &&
	    axvm_guest_arch(cfg, &vm->arch, err, sizeof(err)) == 0 && vm->arch == AXVM_ARCH_ARM64 &&
	    axvm_arm64_check_config(vm, err, sizeof(err)) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "axvm: %s\n", err);
	return status;
}

int main(int argc, char **argv)
{
	static struct axvm_config cfg; /* large: keep it off the stack */
	static struct axvm vm;
	struct options o = { 0 };
	char err[AXVM_ERR_MAX];
	int status;

	if (argc > 1 && strcmp(argv[1], "vhost-user-blk") == 0)
		return vhost_user_blk_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "vhost-user-net") == 0)
		return vhost_user_net_main(argc - 1, argv + 1);
	if (parse_args(argc, argv, &o) != 0)
		return AXVM_STATUS_CONFIG;
	axvm_init(&vm);
	status = prepare(&vm, &cfg, &o);
	if (status != 0) {
		axvm_destroy(&vm);
		return status;
	}
	if (strcmp(o.command, "check") == 0) {
		printf("axvm: %s: ok (%u devices, %u vCPUs)\n", o.config, cfg.nr_emu, cfg.cpu_num);
		axvm_destroy(&vm);
		return 0;
	}
	if (guest_ram_map(&vm.ram, &cfg) != 0) {
		fprintf(stderr, "axvm: cannot map guest RAM: %m\n");
		axvm_destroy(&vm);
		return AXVM_STATUS_CONFIG;
	}
	if (axvm_create(&vm, err, sizeof(err), &status) != 0) {
		fprintf(stderr, "axvm: %s\n", err);
		axvm_destroy(&vm);
		return status;
	}
	if (o.profile && !(vm.profile = axvm_profile_open(o.profile, err, sizeof(err)))) {
		fprintf(stderr, "axvm: %s\n", err);
		axvm_destroy(&vm);
		return AXVM_STATUS_CONFIG;
	}
	status = axvm_run(&vm);
	fprintf(stderr, "axvm: %s\n", vm.stop_reason);
	if (o.stats)
		axvm_print_stats(&vm, vm.run_seconds);
	if (vm.profile && axvm_profile_close(vm.profile, err, sizeof(err)) != 0)
		fprintf(stderr, "axvm: %s\n", err);
	axvm_destroy(&vm);
	return status;
}
