/* SPDX-License-Identifier: Apache-2.0 */
/* axvm --profile's sample table and its output (vmm/profile.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile.h"

static char path[64];

static int make_path(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/axvm-profile-test.%d", (int)getpid());
	return 0;
}

static int remove_path(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* The written file, whole. */
static char *slurp(void)
{
	static char buf[1 << 21];
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_counts_sorted_by_frequency(void **state)
{
	char err[128];
	struct axvm_profile *p = axvm_profile_open(path, err, sizeof(err));

	(void)state;
	assert_non_null(p);
	axvm_profile_sample(p, 0xffffffff81000010ull);
	for (int i = 0; i < 3; i++)
		axvm_profile_sample(p, 0x1000);
	axvm_profile_sample(p, 0xffffffff81000010ull);
	axvm_profile_sample(p, 0x2000);
	assert_int_equal(axvm_profile_close(p, err, sizeof(err)), 0);
	assert_string_equal(slurp(), "# samples 6 (0 not counted by address: table full)\n"
				     "3 0x1000\n"
				     "2 0xffffffff81000010\n"
				     "1 0x2000\n");
}

static void test_full_table_counts_the_rest_as_other(void **state)
{
	char err[128];
	struct axvm_profile *p = axvm_profile_open(path, err, sizeof(err));
	unsigned lines = 0;

	(void)state;
	assert_non_null(p);
	for (uint64_t rip = 0; rip < 40000; rip++)
		axvm_profile_sample(p, rip * 16);
	axvm_profile_sample(p, 0); /* already in the table: still counted by address */
	assert_int_equal(axvm_profile_close(p, err, sizeof(err)), 0);

	char *text = slurp();

	assert_non_null(
		strstr(text, "# samples 40001 (7232 not counted by address: table full)\n"));
	assert_non_null(strstr(text, "\n2 0x0\n"));
	for (char *c = text; *c; c++)
		lines += *c == '\n';
	assert_int_equal(lines, 1 + 32768);
}

static void *sampler(void *arg)
{
	struct axvm_profile *p = arg;

	for (int i = 0; i < 20000; i++)
		axvm_profile_sample(p, 0x100 + (uint64_t)(i % 7));
	return NULL;
}

/* vCPU threads sample concurrently (TSan checks the locking). */
static void test_concurrent_samples(void **state)
{
	char err[128];
	struct axvm_profile *p = axvm_profile_open(path, err, sizeof(err));
	pthread_t t[2];

	(void)state;
	assert_non_null(p);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, sampler, p), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(axvm_profile_close(p, err, sizeof(err)), 0);
	assert_non_null(strstr(slurp(), "# samples 40000 (0 not counted"));
}

/* A snapshot rewrites the file with the counts so far; sampling goes on. */
static void test_snapshot(void **state)
{
	char err[128];
	struct axvm_profile *p = axvm_profile_open(path, err, sizeof(err));

	(void)state;
	assert_non_null(p);
	axvm_profile_sample(p, 0x10);
	assert_int_equal(axvm_profile_snapshot(p, err, sizeof(err)), 0);
	assert_string_equal(slurp(), "# samples 1 (0 not counted by address: table full)\n"
				     "1 0x10\n");
	axvm_profile_sample(p, 0x20);
	axvm_profile_sample(p, 0x20);
	assert_int_equal(axvm_profile_snapshot(p, err, sizeof(err)), 0);
	assert_string_equal(slurp(), "# samples 3 (0 not counted by address: table full)\n"
				     "2 0x20\n"
				     "1 0x10\n");
	axvm_profile_sample(p, 0x10);
	axvm_profile_sample(p, 0x10);
	assert_int_equal(axvm_profile_close(p, err, sizeof(err)), 0);
	assert_string_equal(slurp(), "# samples 5 (0 not counted by address: table full)\n"
				     "3 0x10\n"
				     "2 0x20\n");
}

static void test_unwritable_path(void **state)
{
	char err[128];

	(void)state;
	assert_null(axvm_profile_open("/nonexistent-dir/prof", err, sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent-dir/prof"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_counts_sorted_by_frequency, make_path,
						remove_path),
		cmocka_unit_test_setup_teardown(test_full_table_counts_the_rest_as_other, make_path,
						remove_path),
		cmocka_unit_test_setup_teardown(test_concurrent_samples, make_path, remove_path),
		cmocka_unit_test_setup_teardown(test_snapshot, make_path, remove_path),
		cmocka_unit_test(test_unwritable_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
