/* SPDX-License-Identifier: Apache-2.0 */
/* Umbrella header: the whole public API of libaxdevice. */
#ifndef AXDEVICE_AXDEVICE_H
#define AXDEVICE_AXDEVICE_H

#include "backend.h"
#include "config.h"
#include "device.h"
#include "devices.h"
#include "emu_type.h"
#include "error.h"
#include "host.h"
#include "irq.h"
#include "kind.h"
#include "range.h"
#include "sysreg.h"

#endif
