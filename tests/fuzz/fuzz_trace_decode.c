/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for the capture decoder: the first byte picks the link
 * type, the rest is the frame. Build by hand with clang:
 *   clang -g -fsanitize=fuzzer,address -D_GNU_SOURCE -Ilib/pkt -Ilib/trace \
 *     tests/fuzz/fuzz_trace_decode.c lib/trace/tg_decode.c -o fuzz_decode
 */
#include <pcap/dlt.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int links[] = {
		DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, DLT_NULL,
		DLT_LOOP, DLT_PPP, DLT_PPP_SERIAL, DLT_C_HDLC, DLT_PPI,
		DLT_IPV4, DLT_IPV6, DLT_PPP_ETHER,
	};
	struct tg_trace_pkt pkt = { 0 };

	if (size < 1 || size > UINT32_MAX)
		return 0;
	int link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	tg_trace_decode(link, data + 1, (uint32_t)(size - 1),
			(uint32_t)(size - 1), &pkt);
	return 0;
}
