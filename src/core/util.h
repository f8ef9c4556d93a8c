/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal helpers shared by the core and the device models. Freestanding:
 * memory functions are compiler builtins, allocation and logging go through
 * the host hooks.
 */
#ifndef AXDEVICE_SRC_UTIL_H
#define AXDEVICE_SRC_UTIL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <axdevice/error.h>
#include <axdevice/host.h>

#define ax_memcpy __builtin_memcpy
#define ax_memset __builtin_memset
#define ax_memcmp __builtin_memcmp
#define ax_strlen __builtin_strlen

#define AX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define AX_CACHELINE	 64

#define ax_likely(x)   __builtin_expect(!!(x), 1)
#define ax_unlikely(x) __builtin_expect(!!(x), 0)

#define AX_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))

/*
 * The spinlock of the control path and of device state: a host thread and
 * vCPU threads may meet on it; a waiter spins with the host's relax hook.
 */
struct ax_spinlock {
	atomic_flag flag;
};

void ax_spin_init(struct ax_spinlock *l);
void ax_spin_lock_contended(struct ax_spinlock *l, const struct ax_host_hooks *hooks);

/* Inline: uncontended, a lock is one exchange and an unlock one store, no call. */
static inline void ax_spin_lock(struct ax_spinlock *l, const struct ax_host_hooks *hooks)
{
	if (ax_unlikely(atomic_flag_test_and_set_explicit(&l->flag, memory_order_acquire)))
		ax_spin_lock_contended(l, hooks);
}

static inline void ax_spin_unlock(struct ax_spinlock *l)
{
	atomic_flag_clear_explicit(&l->flag, memory_order_release);
}

/* Zeroed, cache-line aligned memory from the host; NULL on failure. */
void *ax_zalloc(const struct ax_host_hooks *hooks, size_t size);
void ax_free(const struct ax_host_hooks *hooks, void *ptr);

/*
 * snprintf subset: %s %c %d %u %x %p, with length modifiers l, ll, z, and
 * '#', '0' and a field width. Always NUL-terminates (cap > 0); returns the
 * number of characters written.
 */
size_t ax_vformat(char *buf, size_t cap, const char *fmt, va_list ap);
size_t ax_format(char *buf, size_t cap, const char *fmt, ...) AX_PRINTF(3, 4);

/* Fills diag (if non-NULL) and returns err: `return ax_fail(diag, AX_ERR_..., "...")`. */
enum ax_err ax_fail(struct ax_diag *diag, enum ax_err err, const char *fmt, ...) AX_PRINTF(3, 4);

/* Puts formatted text in front of diag's message (no-op when diag is NULL). */
void ax_diag_prefix(struct ax_diag *diag, const char *fmt, ...) AX_PRINTF(2, 3);

/* Logs through the host's hook, if it has one. */
void ax_log(const struct ax_host_hooks *hooks, enum ax_log_level level, const char *fmt, ...)
	AX_PRINTF(3, 4);

/* Bounded copy that always NUL-terminates (cap > 0). */
void ax_strlcpy(char *dst, const char *src, size_t cap);

/* Number of chars before the NUL, looking at most `max` chars. */
size_t ax_strnlen(const char *s, size_t max);

static inline bool ax_streq(const char *a, const char *b)
{
	return __builtin_strcmp(a, b) == 0;
}

#endif
