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

#define TG_MEM_HUGE (2u << 20)	/* a huge page */
#define TG_MEM_LINE 64u		/* the least alignment */

/* `size` bytes, zeroed, TG_MEM_LINE aligned at least; NULL if there is
 * no memory. */
void *tg_mem_alloc(size_t size);

/* Give back what tg_mem_alloc(size) returned (NULL: nothing). */
void tg_mem_free(void *p, size_t size);

#endif /* TG_MEM_H */
