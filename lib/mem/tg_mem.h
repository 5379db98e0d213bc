/* SPDX-License-Identifier: BSD-3-Clause
 * tg_mem: memory for a worker's large tables (the flow table, the timer
 * wheel's nodes, sessions, a reel's frames and slots), zeroed. From
 * TG_MEM_HUGE bytes on it is 2 MiB aligned and advised for transparent
 * huge pages: the tables are read at random, and with 4 KiB pages nearly
 * every read of a table of gigabytes also misses the TLB. Pages are
 * still only touched as they are used. Smaller tables come from the
 * heap, cache-line aligned.
 */
#ifndef TG_MEM_H
#define TG_MEM_H

#include <stddef.h>
#include <stdint.h>

#define TG_MEM_HUGE (2u << 20)	/* a huge page */
#define TG_MEM_LINE 64u		/* the least alignment */

/* n rounded up to a multiple of `to`, a power of two. */
static inline uint64_t
tg_mem_round_up(uint64_t n, uint64_t to)
{
	return (n + to - 1) & ~(to - 1);
}

/* `size` bytes, zeroed, TG_MEM_LINE aligned at least; NULL if there is
 * no memory. */
void *tg_mem_alloc(size_t size);

/* Give back what tg_mem_alloc(size) returned (NULL: nothing). */
void tg_mem_free(void *p, size_t size);

/* Fetch the cache line of p ahead of its use: to be read, or to be
 * written (PREFETCHW: owned at once, so a store or an atomic on a line
 * another core wrote does not wait twice). Statements the compiler keeps:
 * GCC 12 drops __builtin_prefetch calls at times (every fetch of
 * tg_reel_play's loop went once one more was added, a third of the
 * reel's rate), and emits PREFETCHW only when told the CPU has it (CPUs
 * without it take it as a no-op). */
static inline void
tg_prefetch(const void *p)
{
#if defined(__x86_64__)
	__asm__ volatile("prefetcht0 %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 0);
#endif
}

static inline void
tg_prefetch_w(const void *p)
{
#if defined(__x86_64__)
	__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
#else
	__builtin_prefetch(p, 1);
#endif
}

#endif /* TG_MEM_H */
