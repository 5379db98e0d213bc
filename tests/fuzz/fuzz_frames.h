/* SPDX-License-Identifier: BSD-3-Clause
 * What the capture fuzzers (fuzz_trace_decode.c, fuzz_eval_packet.c) share:
 * an input is either a whole capture file, read by lib/trace's reader
 * through libpcap, or a sequence of frames for the decoder:
 *
 *   capture  the input starts with a pcap or pcapng magic number: it is
 *            the file, given to tg_trace_open as /proc/self/fd/N of a
 *            memfd (no disk, nothing left behind)
 *   frames   byte 0 picks the link type; then records of
 *              byte  time step: bit 7 starts a new file, bits 0..6 the
 *                    gap since the previous frame (fuzz_gap_ns)
 *              byte  snaplen: below 128 the whole frame is captured,
 *                    else (b - 128) / 127 of it
 *              2     frame length, big-endian (cut to what is left)
 *              ...   the frame
 *
 * Each frame is copied to a buffer of exactly its captured length, so any
 * read past it is caught.
 */
#ifndef FUZZ_FRAMES_H
#define FUZZ_FRAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pcap/dlt.h>

#include "tg_trace.h"

static const int fuzz_link_types[] = {
	DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2, DLT_RAW, 101, DLT_IPV4,
	DLT_IPV6, DLT_NULL, DLT_LOOP, DLT_PPP, DLT_PPP_SERIAL, DLT_PPP_ETHER,
	DLT_PPP_WITH_DIR, DLT_C_HDLC, DLT_C_HDLC_WITH_DIR, DLT_PPI,
};

/* Gaps from microseconds to minutes, so that flows time out, close after
 * their grace period and span empty seconds; 127 steps the clock back. */
static inline uint64_t
fuzz_gap_ns(uint8_t step)
{
	step &= 0x7f;
	if (step < 64)
		return (uint64_t)step * 1000;		/* 0..63 us */
	if (step < 96)
		return (uint64_t)(step - 63) * 50000000;	/* 50 ms..1.6 s */
	return (uint64_t)(step - 95) * 7000000000ull;	/* 7 s..3.7 min */
}

static inline bool
fuzz_is_capture(const uint8_t *data, size_t size)
{
	static const uint8_t magic[][4] = {
		{ 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xc3, 0xd4 },
		{ 0x4d, 0x3c, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d },
		{ 0x0a, 0x0d, 0x0d, 0x0a },
	};

	for (size_t i = 0; size >= 4 && i < sizeof(magic) / 4; i++)
		if (memcmp(data, magic[i], 4) == 0)
			return true;
	return false;
}

/* The capture in a memfd; its path goes to path. -1 if that fails. */
static inline int
fuzz_capture_fd(const uint8_t *data, size_t size, char *path, size_t len)
{
	int fd = memfd_create("fuzz.pcap", MFD_CLOEXEC);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	snprintf(path, len, "/proc/self/fd/%d", fd);
	return fd;
}

/* A decoded packet keeps to its frame. */
static inline void
fuzz_check_pkt(const struct tg_trace_pkt *pkt, const uint8_t *frame,
	       uint32_t cap)
{
	if (pkt->payload_cap > pkt->payload_len ||
	    (pkt->payload_cap &&
	     (pkt->payload < frame ||
	      pkt->payload + pkt->payload_cap > frame + cap)) ||
	    pkt->l3_off > cap || pkt->l4_off > cap ||
	    (pkt->ip_version != 4 && pkt->ip_version != 6) ||
	    pkt->ip_cksum > TG_TRACE_CKSUM_CUT ||
	    pkt->l4_cksum > TG_TRACE_CKSUM_CUT ||
	    memchr(pkt->tcp_opts.layout, '\0', TG_TRACE_OPT_LAYOUT_LEN) == NULL)
		abort();
}

/* Calls on_pkt for every frame the decoder keeps (verified), in order;
 * counts every frame's fate in stats. on_pkt returns 0 or -1 to stop. */
typedef int (*fuzz_pkt_fn)(const struct tg_trace_pkt *pkt, void *arg);

static inline void
fuzz_frames(const uint8_t *data, size_t size, struct tg_trace_stats *stats,
	    fuzz_pkt_fn on_pkt, void *arg)
{
	uint64_t ts = 1700000000ull * 1000000000ull;
	uint32_t file = 0;
	size_t at = 1;

	memset(stats, 0, sizeof(*stats));
	if (size < 1)
		return;
	int link = fuzz_link_types[data[0] % (sizeof(fuzz_link_types) /
					      sizeof(fuzz_link_types[0]))];
	while (size - at >= 4) {
		uint8_t step = data[at], snap = data[at + 1];
		uint32_t wire = (uint32_t)data[at + 2] << 8 | data[at + 3];
		struct tg_trace_pkt pkt;

		at += 4;
		if (wire > size - at)
			wire = (uint32_t)(size - at);
		uint32_t cap = snap < 128 ? wire
					  : (uint32_t)(snap - 128) * wire / 127;
		uint8_t *frame = malloc(cap ? cap : 1);

		if (frame == NULL)
			return;
		memcpy(frame, data + at, cap);
		at += wire;
		if (step & 0x80)
			file++;
		if ((step & 0x7f) == 127)
			ts -= 1000000;		/* a clock that goes back */
		else
			ts += fuzz_gap_ns(step);

		enum tg_trace_reason r = tg_trace_decode(link, frame, cap,
							 wire, &pkt);
		if ((unsigned)r >= TG_TRACE_REASONS)
			abort();
		stats->packets_read++;
		stats->reasons[r]++;
		if (r == TG_TRACE_OK) {
			stats->packets_kept++;
			tg_trace_verify(frame, &pkt);
			fuzz_check_pkt(&pkt, frame, cap);
			pkt.ts_ns = ts;
			pkt.file = file;
			if (on_pkt(&pkt, arg) != 0) {
				free(frame);
				return;
			}
		}
		free(frame);
	}
}

#endif /* FUZZ_FRAMES_H */
