/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Choosing the accelerator: `--accel auto|kvm|tcg` or [base] accel. auto
 * takes KVM where its device opens and creates a VM, TCG otherwise; a
 * named accelerator that cannot run here is an error (AXVM_STATUS_NO_ACCEL),
 * an unknown name a usage error (AXVM_STATUS_CONFIG).
 */
#include <stdio.h>
#include <string.h>

#include "accel/accel.h"
#include "axvm.h"
#include "log.h"

bool axvm_accel_name_valid(const char *name)
{
	return strcmp(name, "auto") == 0 || strcmp(name, "kvm") == 0 || strcmp(name, "tcg") == 0;
}

const char *axvm_arch_name(enum axvm_arch arch)
{
	return arch == AXVM_ARCH_ARM64 ? "arm64" : "x86-64";
}

/* Can `a` run a guest of `arch` on this machine? If not, why says so. */
static bool usable(const struct axvm_accel *a, enum axvm_arch arch, char *why, size_t why_len)
{
	if (!(a->arches & arch)) {
		snprintf(why, why_len, "it runs no %s guest on this %s host", axvm_arch_name(arch),
			 axvm_arch_name(AXVM_ARCH_X86_64));
		return false;
	}
	return a->available(why, why_len);
}

const struct axvm_accel *axvm_accel_select(const char *name, enum axvm_arch arch, char *err,
					   size_t err_len, int *status)
{
	static const struct axvm_accel *const by_name[] = { &axvm_accel_kvm, &axvm_accel_tcg };
	char why[256];

	*status = AXVM_STATUS_CONFIG;
	if (!name)
		name = "auto";
	if (!axvm_accel_name_valid(name)) {
		snprintf(err, err_len, "unknown accelerator \"%s\" (expected auto, kvm or tcg)",
			 name);
		return NULL;
	}
	*status = AXVM_STATUS_NO_ACCEL;
	for (size_t i = 0; i < sizeof(by_name) / sizeof(by_name[0]); i++) {
		const struct axvm_accel *a = by_name[i];

		if (strcmp(name, a->name) != 0)
			continue;
		if (usable(a, arch, why, sizeof(why))) {
			axvm_info("accelerator: %s", a->name);
			return a;
		}
		snprintf(err, err_len, "accelerator %s: %s: %s", a->name,
			 a == &axvm_accel_kvm ? "KVM is not available on this machine"
					      : "not available",
			 why);
		return NULL;
	}
	/* auto */
	if (usable(&axvm_accel_kvm, arch, why, sizeof(why))) {
		axvm_info("accelerator: kvm");
		return &axvm_accel_kvm;
	}

	char tcg_why[256];

	if (usable(&axvm_accel_tcg, arch, tcg_why, sizeof(tcg_why))) {
		axvm_info("accelerator: tcg (not KVM: %s)", why);
		return &axvm_accel_tcg;
	}
	snprintf(err, err_len, "no accelerator can run here: kvm: %s; tcg: %s", why, tcg_why);
	return NULL;
}
