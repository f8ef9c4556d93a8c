/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the virtio fuzz harnesses: a model of the device status state
 * machine of a virtio-mmio device, from the spec (virtio 1.2 §2.1 Device
 * Status Field, §3.1.1 Driver Requirements: Device Initialization, §4.2.2
 * MMIO Device Register Layout) plus what libaxdevice documents for writes
 * the spec leaves to the device (src/dev/virtio/mmio.c, "Status"). Written
 * from those texts, not from the device's code: the oracle predicts, for each
 * write, whether the device takes it and what Status reads back afterwards.
 *
 *   - Writing 0 resets: Status reads 0 (NEEDS_RESET included), and the
 *     driver's feature bits and selector are forgotten.
 *   - Otherwise a write takes effect only if it clears no bit the driver set,
 *     sets only driver bits (ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK,
 *     FAILED; not DEVICE_NEEDS_RESET, not reserved ones), keeps the order
 *     ACKNOWLEDGE -> DRIVER -> FEATURES_OK -> DRIVER_OK (each added bit's
 *     predecessor set in the same value), and, once FAILED or
 *     DEVICE_NEEDS_RESET is set, adds nothing but FAILED. Refused: BadState,
 *     nothing changes. The same value again is accepted and changes nothing.
 *   - FEATURES_OK sticks only if the driver's features are ones the device
 *     offered, include VERSION_1 and have nothing beyond bit 63; otherwise it
 *     reads back clear (with DRIVER_OK, if written together): §2.2.2.
 *   - DriverFeatures and DriverFeaturesSel are writable before FEATURES_OK
 *     only (BadState after).
 *   - DEVICE_NEEDS_RESET is the device's own: it may appear only after a
 *     guest protocol error (the harness says when one was possible), and then
 *     stays until the driver writes 0.
 */
#ifndef VIRTIO_STATUS_MODEL_H
#define VIRTIO_STATUS_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include <axdevice/axdevice.h>

#include "fuzz_input.h"
#include "virtio_driver.h"

#define VSM_DRIVER_BITS                                                                            \
	(VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK | VD_S_DRIVER_OK | VD_S_FAILED)

struct vstatus {
	uint32_t status;       /* what Status must read, DEVICE_NEEDS_RESET aside */
	bool needs_reset;      /* the device reported DEVICE_NEEDS_RESET */
	uint64_t offered;      /* the device's features (fixed) */
	uint64_t drv_features; /* DriverFeatures as the driver wrote them, sel 0 and 1 */
	uint32_t drv_sel;      /* DriverFeaturesSel */
	bool drv_beyond;       /* a non-zero DriverFeatures write with DriverFeaturesSel > 1 */
};

/* After a reset, or on a new device. */
static inline void vstatus_reset(struct vstatus *m)
{
	m->status = 0;
	m->needs_reset = false;
	m->drv_features = 0;
	m->drv_sel = 0;
	m->drv_beyond = false;
}

static inline void vstatus_init(struct vstatus *m, uint64_t offered)
{
	vstatus_reset(m);
	m->offered = offered;
}

/* After the test driver's vdrv_init succeeded (it resets first). */
static inline void vstatus_driver_ready(struct vstatus *m, uint64_t features)
{
	vstatus_reset(m);
	m->drv_features = features;
	m->drv_sel = 1;
	m->status = VD_S_ACKNOWLEDGE | VD_S_DRIVER | VD_S_FEATURES_OK | VD_S_DRIVER_OK;
}

/*
 * Checks a Status read against the model. `may_need_reset`: a guest protocol
 * error was possible since the last reset, so DEVICE_NEEDS_RESET may show.
 */
static inline void vstatus_check(struct vstatus *m, uint32_t status, bool may_need_reset)
{
	if (getenv("FUZZ_DEBUG") && (status & ~VD_S_NEEDS_RESET) != m->status)
		fprintf(stderr, "status model: read 0x%x, expected 0x%x (needs_reset %d)\n", status,
			m->status, m->needs_reset);
	FUZZ_CHECK((status & ~VD_S_NEEDS_RESET) == m->status);
	if (status & VD_S_NEEDS_RESET) {
		FUZZ_CHECK(may_need_reset);
		m->needs_reset = true;
	} else {
		FUZZ_CHECK(!m->needs_reset); /* only a reset clears it */
	}
}

static inline bool vstatus_features_acceptable(const struct vstatus *m)
{
	return !m->drv_beyond && !(m->drv_features & ~m->offered) &&
	       (m->drv_features & VD_F(VD_F_VERSION_1));
}

/* A Status write of `val` (4 bytes): the model's new state and the expected result. */
static inline enum ax_err vstatus_write_status(struct vstatus *m, uint32_t val)
{
	static const struct {
		uint32_t bit, needs;
	} order[] = {
		{ VD_S_DRIVER, VD_S_ACKNOWLEDGE },
		{ VD_S_FEATURES_OK, VD_S_DRIVER },
		{ VD_S_DRIVER_OK, VD_S_FEATURES_OK },
	};
	uint32_t now = m->status | (m->needs_reset ? VD_S_NEEDS_RESET : 0);
	uint32_t added = val & ~now, cleared = m->status & ~val;

	if (val == 0) {
		vstatus_reset(m);
		return AX_OK;
	}
	if (cleared || (added & ~VSM_DRIVER_BITS))
		return AX_ERR_BAD_STATE;
	for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if ((added & order[i].bit) && !(val & order[i].needs))
			return AX_ERR_BAD_STATE;
	if ((m->needs_reset || (m->status & VD_S_FAILED)) && (added & ~VD_S_FAILED))
		return AX_ERR_BAD_STATE;
	m->status = val & VSM_DRIVER_BITS;
	if ((added & VD_S_FEATURES_OK) && !vstatus_features_acceptable(m))
		m->status &= ~(VD_S_FEATURES_OK | VD_S_DRIVER_OK);
	return AX_OK;
}

/*
 * A register write the harness is about to make. True, with the result the
 * device must return in *want, for the registers the model covers (Status,
 * DriverFeatures, DriverFeaturesSel), whose effect it applies; false for the
 * others. Anything but an aligned 4-byte access changes none of them.
 */
static inline bool vstatus_write(struct vstatus *m, uint32_t off, unsigned width, uint64_t val,
				 enum ax_err *want)
{
	uint32_t v = (uint32_t)val;

	if (width != 4 || (off & 3))
		return false;
	switch (off) {
	case VD_STATUS:
		*want = vstatus_write_status(m, v);
		return true;
	case VD_DRIVER_FEAT_SEL:
		*want = (m->status & VD_S_FEATURES_OK) ? AX_ERR_BAD_STATE : AX_OK;
		if (*want == AX_OK)
			m->drv_sel = v;
		return true;
	case VD_DRIVER_FEATURES:
		*want = (m->status & VD_S_FEATURES_OK) ? AX_ERR_BAD_STATE : AX_OK;
		if (*want != AX_OK)
			return true;
		if (m->drv_sel > 1) {
			m->drv_beyond |= v != 0;
		} else {
			unsigned shift = 32 * m->drv_sel;

			m->drv_features &= ~((uint64_t)0xffffffffu << shift);
			m->drv_features |= (uint64_t)v << shift;
		}
		return true;
	default:
		return false;
	}
}

/* The device's features, as a driver reads them (leaves DeviceFeaturesSel at 0). */
static inline uint64_t vstatus_read_offered(struct ax_devices *set, uint64_t base)
{
	uint64_t lo = 0, hi = 0;

	FUZZ_CHECK(ax_devices_handle_mmio_write(set, 0, base + VD_DEVICE_FEAT_SEL, 4, 1) == AX_OK);
	FUZZ_CHECK(ax_devices_handle_mmio_read(set, 0, base + VD_DEVICE_FEATURES, 4, &hi) == AX_OK);
	FUZZ_CHECK(ax_devices_handle_mmio_write(set, 0, base + VD_DEVICE_FEAT_SEL, 4, 0) == AX_OK);
	FUZZ_CHECK(ax_devices_handle_mmio_read(set, 0, base + VD_DEVICE_FEATURES, 4, &lo) == AX_OK);
	return lo | hi << 32;
}

#endif
