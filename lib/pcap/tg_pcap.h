/* SPDX-License-Identifier: BSD-3-Clause
 * tg_pcap: pcap file output with nanosecond timestamps. No DPDK here.
 *
 * Records are gathered in a large buffer and written with one write(2) per
 * buffer, so the file system sees big sequential writes. The buffer only
 * ever holds whole records: after any failure (disk full, file size limit)
 * the file is cut back to the last whole record, so what is on disk is
 * always a valid capture.
 *
 * A writer opened with tg_pcap_open_async has n buffers and a thread of
 * its own that does the write(2) calls, so a slow write (page cache
 * throttling, a busy disk) stalls tg_pcap_write only when every buffer
 * is full; the file is the same. When the disk falls behind, that thread
 * writes the buffers queued by then together, up to 8 in one writev(2).
 * Where the file system allows, that thread writes with O_DIRECT
 * (buffers cut at page multiples, the few bytes after the cut carried to
 * the next buffer; the last ones of the file go through the page cache),
 * so no core spends its time copying the capture into the page cache.
 */
#ifndef TG_PCAP_H
#define TG_PCAP_H

#include <stddef.h>
#include <stdint.h>

#define TG_PCAP_LINKTYPE_ETHERNET 1
#define TG_PCAP_SNAPLEN 65535
#define TG_PCAP_DEFAULT_BUFFER (4u << 20)

struct tg_pcap_writer;

/* Create (truncate) `path` and write the file header. `buffer_size` 0 picks
 * the default. Returns NULL with a message in err on failure. */
struct tg_pcap_writer *tg_pcap_open(const char *path, size_t buffer_size,
				    char *err, size_t errlen);

/* The same with n_buffers buffers of buffer_size written by the writer's
 * own thread (n_buffers < 2: as tg_pcap_open). Errors show in a later
 * tg_pcap_write, tg_pcap_flush or tg_pcap_close; tg_pcap_frames and
 * tg_pcap_file_bytes are up to date after tg_pcap_flush. */
struct tg_pcap_writer *tg_pcap_open_async(const char *path,
					  size_t buffer_size,
					  unsigned n_buffers, char *err,
					  size_t errlen);

/* Append one frame captured at ts_ns (nanoseconds since the Unix epoch).
 * Returns 0, or -1 with errno set when the file cannot be written. */
int tg_pcap_write(struct tg_pcap_writer *w, uint64_t ts_ns,
		  const void *frame, uint32_t len);

/* The same for a frame in two pieces: head_len bytes, then tail_len. */
int tg_pcap_write_split(struct tg_pcap_writer *w, uint64_t ts_ns,
			const void *head, uint32_t head_len, const void *tail,
			uint32_t tail_len);

/* Write out whatever is buffered. Returns 0 or -1 with errno set. */
int tg_pcap_flush(struct tg_pcap_writer *w);

/* Flush, close and free. Returns 0, or -1 if anything was lost (errno set).
 * A NULL writer is allowed and returns 0. */
int tg_pcap_close(struct tg_pcap_writer *w);

/* Frames and bytes (file size) written to disk so far. */
uint64_t tg_pcap_frames(const struct tg_pcap_writer *w);
uint64_t tg_pcap_file_bytes(const struct tg_pcap_writer *w);

/* Seconds spent in write(2) so far (for throughput figures), and the
 * write(2) or writev(2) calls it took: the I/O thread gathers up to 8
 * queued buffers into one when the disk is behind. */
double tg_pcap_write_seconds(const struct tg_pcap_writer *w);
uint64_t tg_pcap_write_calls(const struct tg_pcap_writer *w);

/* Of tg_pcap_file_bytes, those written past the page cache (O_DIRECT). */
uint64_t tg_pcap_direct_bytes(const struct tg_pcap_writer *w);

#endif /* TG_PCAP_H */
