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

const struct axvm_accel *axvm_accel_select(const char *name, char *err, size_t err_len, int *status)
{
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
	if (strcmp(name, "kvm") == 0) {
		if (axvm_accel_kvm.available(why, sizeof(why))) {
			axvm_info("accelerator: kvm");
			return &axvm_accel_kvm;
		}
		snprintf(err, err_len, "accelerator kvm: KVM is not available on this machine: %s",
			 why);
		return NULL;
	}
	if (strcmp(name, "tcg") == 0) {
		if (axvm_accel_tcg.available(why, sizeof(why))) {
			axvm_info("accelerator: tcg");
			return &axvm_accel_tcg;
		}
		snprintf(err, err_len, "accelerator tcg: not available: %s", why);
		return NULL;
	}
	/* auto */
	if (axvm_accel_kvm.available(why, sizeof(why))) {
		axvm_info("accelerator: kvm");
		return &axvm_accel_kvm;
	}

	char tcg_why[256];

	if (axvm_accel_tcg.available(tcg_why, sizeof(tcg_why))) {
		axvm_info("accelerator: tcg (no KVM: %s)", why);
		return &axvm_accel_tcg;
	}
	snprintf(err, err_len, "no accelerator can run here: kvm: %s; tcg: %s", why, tcg_why);
	return NULL;
}
