/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for reading captures (lib/trace): the decoder, the
 * checksum verifier, the pcap/pcapng reader and flow assembly (tg_flows).
 * An input is a capture file or a sequence of frames (fuzz_frames.h);
 * every kept packet goes through a small flow table (few stored packets,
 * few open flows, short timeouts) so that eviction, timeouts and close
 * grace periods all happen. Build and run with scripts/fuzz:
 *   scripts/fuzz trace 60        # 60 s, ASan + UBSan
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_frames.h"
#include "tg_flows.h"
#include "tg_trace.h"

#define MAX_PKTS 4
#define MAX_OPEN 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* reads of every stored packet, for ASan to see */
static volatile uint64_t sink;

struct seen {
	uint64_t flows;
};

static void
on_flow(const struct tg_flow_rec *f, void *arg)
{
	struct seen *seen = arg;
	uint64_t packets = f->side[0].packets + f->side[1].packets;

	seen->flows++;
	if (f->service == NULL || f->first_ns > f->last_ns ||
	    f->end >= TG_END_KINDS || f->start >= TG_START_KINDS ||
	    f->role_rule >= TG_ROLE_RULES || f->n_pkts > MAX_PKTS ||
	    f->n_pkts > packets || packets == 0 ||
	    (f->pkts_truncated != (packets > f->n_pkts)) ||
	    (f->ip_version != 4 && f->ip_version != 6))
		abort();
	/* every stored packet is there to read */
	for (uint32_t i = 0; i < f->n_pkts; i++) {
		if (f->pkts[i].dir > 1)
			abort();
		sink += f->pkts[i].iat_ns + f->pkts[i].wire_len;
	}
	(void)strlen(f->service);
}

static int
add(const struct tg_trace_pkt *pkt, void *arg)
{
	struct tg_flows *flows = arg;

	return tg_flows_add(flows, pkt);
}

static struct tg_flows *
make_flows(struct seen *seen)
{
	struct tg_flows_conf conf = {
		.tcp_idle_ns = 30000000000ull,
		.udp_idle_ns = 10000000000ull,
		.other_idle_ns = 5000000000ull,
		.close_grace_ns = 1000000000ull,
		.max_pkts = MAX_PKTS,
		.max_open = MAX_OPEN,
		.on_flow = on_flow,
		.arg = seen,
	};

	return tg_flows_create(&conf);
}

static void
read_capture(const uint8_t *data, size_t size, struct tg_flows *flows)
{
	char path[64], err[512];
	const char *paths[1] = { path };
	struct tg_trace_conf conf = { .flags = TG_TRACE_CHECKSUMS };
	struct tg_trace *t;
	struct tg_trace_pkt pkt;
	int fd = fuzz_capture_fd(data, size, path, sizeof(path)), rc;

	if (fd < 0)
		return;
	if (tg_trace_open(paths, 1, &conf, &t, err, sizeof(err)) != 0) {
		close(fd);
		return;
	}
	while ((rc = tg_trace_next(t, &pkt)) != 0) {
		if (rc < 0)
			abort();	/* not strict: never an error */
		if (tg_flows_add(flows, &pkt) != 0)
			break;
	}
	const struct tg_trace_stats *st = tg_trace_stats(t);
	uint64_t sum = 0;

	for (unsigned r = 0; r < TG_TRACE_REASONS; r++)
		sum += st->reasons[r];
	if (sum != st->packets_read || st->reasons[TG_TRACE_OK] !=
	    st->packets_kept)
		abort();
	tg_trace_close(t);
	close(fd);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen seen = { 0 };
	struct tg_flows *flows;
	struct tg_trace_stats st;

	if (size > 65536 * 4)
		return 0;
	flows = make_flows(&seen);
	if (flows == NULL)
		abort();
	if (fuzz_is_capture(data, size))
		read_capture(data, size, flows);
	else
		fuzz_frames(data, size, &st, add, flows);
	tg_flows_flush(flows);
	if (tg_flows_open_count(flows) != 0 ||
	    tg_flows_stats(flows)->flows != seen.flows)
		abort();
	tg_flows_free(flows);
	return 0;
}
