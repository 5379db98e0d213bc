/* SPDX-License-Identifier: BSD-3-Clause
 * Payload-size buckets of the packet symbols of fitted models. The cuts
 * separate what flows are made of: empty segments (pure ACKs), small
 * control messages, requests, mid-sized records, segments a little under
 * and at a 1500-byte MTU, and anything larger (offloaded segments, jumbo
 * frames).
 */
#include "tg_model.h"

const uint32_t tg_size_bucket_lo[TG_SIZE_BUCKETS] = {
	0, 1, 100, 300, 700, 1200, 1500,
};

unsigned
tg_size_bucket(uint32_t payload_len)
{
	unsigned b = TG_SIZE_BUCKETS - 1;

	while (payload_len < tg_size_bucket_lo[b])
		b--;		/* bucket 0 starts at 0: always stops */
	return b;
}
