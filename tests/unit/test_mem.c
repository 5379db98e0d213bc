/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of lib/mem: tables small and large come zeroed and aligned
 * (a reel's arena needs whole cache lines, a huge page 2 MiB), can be
 * written end to end and are given back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "tg_mem.h"

static void
check_table(size_t size, uintptr_t align)
{
	uint8_t *p = tg_mem_alloc(size);

	assert_non_null(p);
	assert_int_equal((uintptr_t)p % align, 0);
	for (size_t i = 0; i < size; i += 4093)
		assert_int_equal(p[i], 0);
	if (size > 0) {
		assert_int_equal(p[size - 1], 0);
		memset(p, 0xa5, size);	/* all of it is ours */
	}
	tg_mem_free(p, size);
}

static void
test_small_tables(void **state)
{
	(void)state;
	check_table(0, TG_MEM_LINE);
	check_table(1, TG_MEM_LINE);
	check_table(100, TG_MEM_LINE);
	check_table(TG_MEM_HUGE - 1, TG_MEM_LINE);
}

static void
test_large_tables(void **state)
{
	(void)state;
	check_table(TG_MEM_HUGE, TG_MEM_HUGE);
	check_table(3 * TG_MEM_HUGE + 12345, TG_MEM_HUGE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_tables),
		cmocka_unit_test(test_large_tables),
	};

	tg_mem_free(NULL, 123);	/* nothing to give back */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
