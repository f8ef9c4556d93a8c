/* SPDX-License-Identifier: Apache-2.0 */
/* axvm's logging: to stderr, filtered by the -v level. */
#ifndef AXVM_LOG_H
#define AXVM_LOG_H

enum axvm_log_level {
	AXVM_LOG_ERROR = 0,
	AXVM_LOG_WARN,
	AXVM_LOG_INFO,
	AXVM_LOG_DEBUG,
};

/* Messages above this level are dropped; WARN by default, each -v adds one. */
extern int axvm_log_level;

void axvm_log(enum axvm_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define axvm_err(...)	axvm_log(AXVM_LOG_ERROR, __VA_ARGS__)
#define axvm_warn(...)	axvm_log(AXVM_LOG_WARN, __VA_ARGS__)
#define axvm_info(...)	axvm_log(AXVM_LOG_INFO, __VA_ARGS__)
#define axvm_debug(...) axvm_log(AXVM_LOG_DEBUG, __VA_ARGS__)

#endif
