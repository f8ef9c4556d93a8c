/* SPDX-License-Identifier: Apache-2.0 */
/* AArch64 system-register numbers: packing, and the ESR_EL2 ISS layout (EC 0x18). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <axdevice/axdevice.h>

#include "host_posix.h"
#include "probe_device.h"

/*
 * The ISS of an EC 0x18 trap written out field by field from the Arm ARM's
 * table (Op0 [21:20], Op2 [19:17], Op1 [16:14], CRn [13:10], Rt [9:5],
 * CRm [4:1], Direction [0]), independently of the library's shifts.
 */
static uint32_t iss_of(unsigned op0, unsigned op1, unsigned crn, unsigned crm, unsigned op2,
		       unsigned rt, bool read)
{
	return (uint32_t)op0 * 0x100000u + (uint32_t)op2 * 0x20000u + (uint32_t)op1 * 0x4000u +
	       (uint32_t)crn * 0x400u + (uint32_t)rt * 0x20u + (uint32_t)crm * 2u +
	       (read ? 1u : 0u);
}

static void test_known_axvisor_numbers(void **state)
{
	ax_sysreg_t reg = 0;
	uint32_t iss = 0;
	bool rd = true;
	unsigned rt = 99;

	(void)state;
	/* ICC_SGI1R_EL1: op0 3, op1 0, CRn 12, CRm 11, op2 5 */
	assert_int_equal(iss_of(3, 0, 12, 11, 5, 0, false), 0x3a3016);
	assert_int_equal(ax_sysreg_to_esr_iss(AX_SYSREG_ARM64(3, 0, 12, 11, 5), &iss), AX_OK);
	assert_int_equal(iss, 0x3a3016);
	assert_int_equal(ax_sysreg_from_esr_iss(0x3a3016, &reg, &rd, &rt), AX_OK);
	assert_int_equal(reg, AX_SYSREG_ARM64(3, 0, 12, 11, 5));
	assert_int_equal(reg, 0xc65d);
	assert_false(rd);
	assert_int_equal(rt, 0);

	/* CNTP_CTL_EL0: op0 3, op1 3, CRn 14, CRm 2, op2 1 */
	assert_int_equal(iss_of(3, 3, 14, 2, 1, 0, false), 0x32f804);
	assert_int_equal(ax_sysreg_to_esr_iss(AX_SYSREG_ARM64(3, 3, 14, 2, 1), &iss), AX_OK);
	assert_int_equal(iss, 0x32f804);
	assert_int_equal(ax_sysreg_from_esr_iss(0x32f804, &reg, NULL, NULL), AX_OK);
	assert_int_equal(reg, AX_SYSREG_ARM64(3, 3, 14, 2, 1));
	assert_int_equal(reg, 0xdf11);
}

/* Every op0/op1/CRn/CRm/op2 combination: pack, unpack, to ISS and back. */
static void test_round_trip_every_encoding(void **state)
{
	unsigned seen = 0;

	(void)state;
	for (unsigned op0 = 0; op0 < 4; op0++)
		for (unsigned op1 = 0; op1 < 8; op1++)
			for (unsigned crn = 0; crn < 16; crn++)
				for (unsigned crm = 0; crm < 16; crm++)
					for (unsigned op2 = 0; op2 < 8; op2++) {
						struct ax_sysreg_arm64 f = {
							(uint8_t)op0, (uint8_t)op1, (uint8_t)crn,
							(uint8_t)crm, (uint8_t)op2
						};
						struct ax_sysreg_arm64 g = { 0 };
						ax_sysreg_t reg = 0, back = 0;
						uint32_t iss = 0;
						bool rd = false;
						unsigned rt = 0;

						assert_int_equal(ax_sysreg_arm64_pack(&f, &reg),
								 AX_OK);
						assert_int_equal(reg, AX_SYSREG_ARM64(op0, op1, crn,
										      crm, op2));
						assert_true(reg <= AX_SYSREG_ARM64_MAX);
						assert_int_equal(ax_sysreg_arm64_unpack(reg, &g),
								 AX_OK);
						assert_memory_equal(&f, &g, sizeof(f));
						assert_int_equal(ax_sysreg_to_esr_iss(reg, &iss),
								 AX_OK);
						assert_int_equal(iss, iss_of(op0, op1, crn, crm,
									     op2, 0, false));
						assert_int_equal(ax_sysreg_from_esr_iss(iss, &back,
											&rd, &rt),
								 AX_OK);
						assert_int_equal(back, reg);
						assert_false(rd);
						assert_int_equal(rt, 0);
						/* a real trap: some Rt, either direction */
						unsigned t = (reg * 7u) & 31u;
						bool r = (reg & 1u) != 0;
						assert_int_equal(ax_sysreg_from_esr_iss(
									 iss_of(op0, op1, crn, crm,
										op2, t, r),
									 &back, &rd, &rt),
								 AX_OK);
						assert_int_equal(back, reg);
						assert_int_equal(rd, r);
						assert_int_equal(rt, t);
						seen++;
					}
	assert_int_equal(seen, 65536);
}

/* Direction and Rt are decoded for every value and never leak into the number. */
static void test_direction_and_rt(void **state)
{
	const ax_sysreg_t icc_sgi1r = AX_SYSREG_ARM64(3, 0, 12, 11, 5);

	(void)state;
	for (unsigned t = 0; t < 32; t++)
		for (unsigned d = 0; d < 2; d++) {
			ax_sysreg_t reg = 0;
			bool rd = d == 0;
			unsigned rt = 99;

			assert_int_equal(
				ax_sysreg_from_esr_iss(0x3a3016u | (t << 5) | d, &reg, &rd, &rt),
				AX_OK);
			assert_int_equal(reg, icc_sgi1r);
			assert_int_equal(rd, d == 1);
			assert_int_equal(rt, t);
		}
	/* MRS x3, CNTP_CTL_EL0 */
	ax_sysreg_t reg = 0;
	bool rd = false;
	unsigned rt = 0;
	assert_int_equal(ax_sysreg_from_esr_iss(0x32f804u | (3u << 5) | 1u, &reg, &rd, &rt), AX_OK);
	assert_int_equal(reg, AX_SYSREG_ARM64(3, 3, 14, 2, 1));
	assert_true(rd);
	assert_int_equal(rt, 3);
	/* MSR ICC_SGI1R_EL1, xzr */
	assert_int_equal(ax_sysreg_from_esr_iss(0x3a3016u | (31u << 5), &reg, &rd, &rt), AX_OK);
	assert_int_equal(reg, icc_sgi1r);
	assert_false(rd);
	assert_int_equal(rt, 31);
}

static void test_invalid_input(void **state)
{
	ax_sysreg_t reg = 0x1234;
	uint32_t iss = 0x5678;
	bool rd = true;
	unsigned rt = 7;

	(void)state;
	/* RES0 [24:22] and anything above the 25-bit ISS: refused, nothing written */
	for (unsigned bit = 22; bit < 32; bit++) {
		assert_int_equal(
			ax_sysreg_from_esr_iss(0x3a3016u | (UINT32_C(1) << bit), &reg, &rd, &rt),
			AX_ERR_INVALID_INPUT);
		assert_int_equal(reg, 0x1234);
		assert_true(rd);
		assert_int_equal(rt, 7);
	}
	assert_int_equal(ax_sysreg_from_esr_iss(UINT32_MAX, &reg, &rd, &rt), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_sysreg_from_esr_iss(0x3a3016, NULL, &rd, &rt), AX_ERR_INVALID_INPUT);
	assert_true(rd);
	/* the highest valid ISS still decodes */
	assert_int_equal(ax_sysreg_from_esr_iss(0x3fffff, &reg, &rd, &rt), AX_OK);
	assert_int_equal(reg, AX_SYSREG_ARM64_MAX);
	assert_true(rd);
	assert_int_equal(rt, 31);

	/* numbers above 16 bits are not AArch64 encodings */
	const ax_sysreg_t too_big[] = { AX_SYSREG_ARM64_MAX + 1, 0x3a3016, UINT32_MAX };
	for (size_t i = 0; i < sizeof(too_big) / sizeof(too_big[0]); i++) {
		struct ax_sysreg_arm64 f = { 1, 2, 3, 4, 5 };

		iss = 0x5678;
		assert_int_equal(ax_sysreg_to_esr_iss(too_big[i], &iss), AX_ERR_INVALID_INPUT);
		assert_int_equal(iss, 0x5678);
		assert_int_equal(ax_sysreg_arm64_unpack(too_big[i], &f), AX_ERR_INVALID_INPUT);
		assert_int_equal(f.op0, 1);
		assert_int_equal(f.op2, 5);
	}
	assert_int_equal(ax_sysreg_to_esr_iss(0, NULL), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_sysreg_arm64_unpack(0, NULL), AX_ERR_INVALID_INPUT);

	/* a field wider than its slot */
	const struct ax_sysreg_arm64 bad[] = {
		{ 4, 0, 0, 0, 0 },  { 0, 8, 0, 0, 0 }, { 0, 0, 16, 0, 0 },
		{ 0, 0, 0, 16, 0 }, { 0, 0, 0, 0, 8 }, { 255, 255, 255, 255, 255 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		reg = 0x1234;
		assert_int_equal(ax_sysreg_arm64_pack(&bad[i], &reg), AX_ERR_INVALID_INPUT);
		assert_int_equal(reg, 0x1234);
	}
	const struct ax_sysreg_arm64 ok = { 3, 7, 15, 15, 7 };
	assert_int_equal(ax_sysreg_arm64_pack(NULL, &reg), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_sysreg_arm64_pack(&ok, NULL), AX_ERR_INVALID_INPUT);
	assert_int_equal(ax_sysreg_arm64_pack(&ok, &reg), AX_OK);
	assert_int_equal(reg, AX_SYSREG_ARM64_MAX);
}

/*
 * What a bare-metal host does on an EC 0x18 trap: decode the ISS, dispatch on
 * the sysreg bus, move the value to or from the guest's Rt (31 = XZR).
 */
static enum ax_err trap(struct ax_devices *set, uint32_t iss, uint64_t x[32])
{
	ax_sysreg_t reg;
	bool is_read;
	unsigned rt;
	uint64_t v = 0;
	enum ax_err err = ax_sysreg_from_esr_iss(iss, &reg, &is_read, &rt);

	if (err)
		return err;
	if (!is_read)
		return ax_devices_handle_sysreg_write(set, 1, reg, 8, rt == 31 ? 0 : x[rt]);
	err = ax_devices_handle_sysreg_read(set, 1, reg, 8, &v);
	if (err == AX_OK && rt != 31)
		x[rt] = v;
	return err;
}

static void test_trap_dispatches_directly(void **state)
{
	struct test_host host;
	struct ax_devices_params params = { 0 };
	struct ax_devices *set = NULL;
	struct probe sgi = { 0 }, ctl = { .read_value = 5 };
	struct ax_device_desc d;
	uint64_t x[32] = { 0 };

	(void)state;
	test_host_init(&host, false);
	params.hooks = &host.hooks;
	params.max_vcpus = 2;
	assert_int_equal(ax_devices_create(&params, NULL, &set, NULL), AX_OK);
	d = probe_desc("sgi1r", &sgi, AX_BUS_SYSREG, AX_SYSREG_ARM64(3, 0, 12, 11, 5), 1);
	assert_int_equal(ax_devices_add(set, &d, NULL, NULL), AX_OK);
	d = probe_desc("cntp-ctl", &ctl, AX_BUS_SYSREG, AX_SYSREG_ARM64(3, 3, 14, 2, 1), 1);
	assert_int_equal(ax_devices_add(set, &d, NULL, NULL), AX_OK);

	/* MSR ICC_SGI1R_EL1, x2 */
	x[2] = 0x1000001;
	assert_int_equal(trap(set, 0x3a3016u | (2u << 5), x), AX_OK);
	assert_int_equal(sgi.writes, 1);
	assert_int_equal(sgi.last_write, 0x1000001);
	assert_int_equal(sgi.last.bus, AX_BUS_SYSREG);
	assert_int_equal(sgi.last.vcpu, 1);
	/* MSR ICC_SGI1R_EL1, xzr */
	assert_int_equal(trap(set, 0x3a3016u | (31u << 5), x), AX_OK);
	assert_int_equal(sgi.last_write, 0);
	/* MRS x5, CNTP_CTL_EL0 */
	assert_int_equal(trap(set, 0x32f804u | (5u << 5) | 1u, x), AX_OK);
	assert_int_equal(ctl.reads, 1);
	assert_int_equal(x[5], 5);
	assert_int_equal(ctl.writes, 0);
	/* ICC_SRE_EL1 has no device here; a RES0 bit is not a register */
	assert_int_equal(trap(set, 0x3a3018u | 1u, x), AX_ERR_NOT_FOUND);
	assert_int_equal(trap(set, 0x3a3016u | (1u << 22), x), AX_ERR_INVALID_INPUT);
	assert_int_equal(sgi.writes + sgi.reads + ctl.writes + ctl.reads, 3);

	ax_devices_destroy(set);
	test_host_fini(&host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_axvisor_numbers),
		cmocka_unit_test(test_round_trip_every_encoding),
		cmocka_unit_test(test_direction_and_rt),
		cmocka_unit_test(test_invalid_input),
		cmocka_unit_test(test_trap_dispatches_directly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
