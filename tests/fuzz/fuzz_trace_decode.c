/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for the capture decoder (lib/trace): the first byte
 * picks the link type, the second how much of the frame was captured, the
 * rest is the frame. Build and run by hand with clang:
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Ilib/pkt -Ilib/trace tests/fuzz/fuzz_trace_decode.c \
 *     lib/trace/tg_decode.c -o /tmp/fuzz_trace_decode
 *   /tmp/fuzz_trace_decode -max_len=2048
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/dlt.h>

#include "tg_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int link_types[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, 101, DLT_IPV4,
	DLT_IPV6, DLT_NULL, DLT_LOOP, DLT_PPP, DLT_PPP_SERIAL, DLT_PPP_ETHER,
	DLT_PPP_WITH_DIR, DLT_C_HDLC, DLT_C_HDLC_WITH_DIR, DLT_PPI,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_trace_pkt pkt;

	if (size < 2 || size > 65535 + 2)
		return 0;
	int link = link_types[data[0] % (sizeof(link_types) /
					 sizeof(link_types[0]))];
	uint32_t wire = (uint32_t)(size - 2);
	/* a snaplen cut anywhere in the frame, or none */
	uint32_t cap = data[1] < 128 ? wire
				     : (uint32_t)(data[1] - 128) * wire / 127;
	/* an exact copy, so any read past cap is caught */
	uint8_t *frame = malloc(cap ? cap : 1);

	if (frame == NULL)
		return 0;
	memcpy(frame, data + 2, cap);
	enum tg_trace_reason r = tg_trace_decode(link, frame, cap, wire, &pkt);

	if ((unsigned)r >= TG_TRACE_REASONS)
		abort();
	if (r == TG_TRACE_OK &&
	    (pkt.payload_cap > pkt.payload_len ||
	     (pkt.payload_cap &&
	      (pkt.payload < frame || pkt.payload + pkt.payload_cap >
					      frame + cap))))
		abort();
	free(frame);
	return 0;
}
