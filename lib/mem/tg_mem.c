/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "tg_mem.h"

void *
tg_mem_alloc(size_t size)
{
	size_t len = tg_mem_round_up(size, TG_MEM_HUGE), head;
	uint8_t *map, *p;

	if (size < TG_MEM_HUGE) {
		size_t lines = tg_mem_round_up(size ? size : 1, TG_MEM_LINE);

		p = aligned_alloc(TG_MEM_LINE, lines);
		if (p != NULL)
			memset(p, 0, lines);
		return p;
	}
	map = mmap(NULL, len + TG_MEM_HUGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return NULL;
	/* Keep the 2 MiB-aligned part: a huge page needs the alignment. */
	p = (uint8_t *)(((uintptr_t)map + TG_MEM_HUGE - 1) &
			~(uintptr_t)(TG_MEM_HUGE - 1));
	head = (size_t)(p - map);
	if (head)
		munmap(map, head);
	munmap(p + len, TG_MEM_HUGE - head);
#ifdef MADV_HUGEPAGE
	madvise(p, len, MADV_HUGEPAGE);	/* advice: no harm if refused */
#endif
	return p;
}

void
tg_mem_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	if (size < TG_MEM_HUGE)
		free(p);
	else
		munmap(p, tg_mem_round_up(size, TG_MEM_HUGE));
}
