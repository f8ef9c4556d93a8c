/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fuzz target: axvm's TOML config loader. Any byte string goes to
 * axvm_config_parse. Invariants: no crash, no leak; the error string is
 * NUL-terminated and names the path; on success the parsed structure is
 * self-consistent (counts within their arrays, names and cfg_list pointers
 * into the structure, non-empty non-wrapping memory regions and ranges).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fuzz_input.h"
#include "config/vm_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct axvm_config cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[AXVM_ERR_MAX];
	/* Copy so that ASan catches any read past `size` (no NUL terminator). */
	char *text = malloc(size ? size : 1);
	int rc;

	FUZZ_CHECK(text != NULL);
	if (size)
		memcpy(text, data, size);
	memset(err, 0x5a, sizeof(err));
	rc = axvm_config_parse("fuzz.toml", text, size, &cfg, err, sizeof(err));
	free(text);
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc != 0) {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(strncmp(err, "fuzz.toml", 9) == 0);
		return 0;
	}
	FUZZ_CHECK(cfg.cpu_num >= 1 && cfg.cpu_num <= 64);
	FUZZ_CHECK(cfg.nr_mem >= 1 && cfg.nr_mem <= AXVM_MAX_MEM_REGIONS);
	FUZZ_CHECK(cfg.nr_emu <= AXVM_MAX_DEVICES);
	FUZZ_CHECK(cfg.nr_backends <= AXVM_MAX_BACKENDS);
	FUZZ_CHECK(memchr(cfg.kernel_path, '\0', sizeof(cfg.kernel_path)) != NULL);
	FUZZ_CHECK(memchr(cfg.cmdline, '\0', sizeof(cfg.cmdline)) != NULL);
	FUZZ_CHECK(memchr(cfg.name, '\0', sizeof(cfg.name)) != NULL);
	for (unsigned i = 0; i < cfg.nr_mem; i++) {
		const struct axvm_mem_region *m = &cfg.mem[i];

		FUZZ_CHECK(m->size != 0);
		FUZZ_CHECK(m->gpa + m->size - 1 >= m->gpa);
	}
	for (unsigned i = 0; i < cfg.nr_emu; i++) {
		const struct ax_emu_config *e = &cfg.emu[i];

		FUZZ_CHECK(e->name == cfg.emu_name[i]);
		FUZZ_CHECK(memchr(cfg.emu_name[i], '\0', AX_NAME_MAX) != NULL);
		FUZZ_CHECK(e->cfg_len <= AX_CFG_LIST_MAX);
		FUZZ_CHECK(e->cfg_len == 0 || e->cfg_list == cfg.emu_cfg[i]);
		FUZZ_CHECK(e->length != 0);
		FUZZ_CHECK(e->base_gpa + e->length - 1 >= e->base_gpa);
		FUZZ_CHECK(ax_emu_config_check(e, NULL) == AX_OK);
		for (unsigned j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(cfg.emu_name[i], cfg.emu_name[j]) != 0);
	}
	for (unsigned i = 0; i < cfg.nr_backends; i++) {
		FUZZ_CHECK(memchr(cfg.backends[i].device, '\0', AX_NAME_MAX) != NULL);
		FUZZ_CHECK(memchr(cfg.backends[i].spec, '\0', AXVM_SPEC_MAX) != NULL);
		FUZZ_CHECK(axvm_config_backend(&cfg, cfg.backends[i].device) != NULL);
	}
	return 0;
}
