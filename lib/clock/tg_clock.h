/* SPDX-License-Identifier: BSD-3-Clause
 * tg_clock: the one place the system clocks are read, in nanoseconds.
 * CLOCK_MONOTONIC times what took how long (progress, I/O, deadlines);
 * CLOCK_REALTIME dates what was captured. The workers' fast path keeps
 * to the TSC and never calls this.
 */
#ifndef TG_CLOCK_H
#define TG_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline uint64_t
tg_clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif /* TG_CLOCK_H */
