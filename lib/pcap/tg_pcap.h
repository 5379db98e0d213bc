/* SPDX-License-Identifier: BSD-3-Clause
 * tg_pcap: pcap file output with nanosecond timestamps. No DPDK here.
 *
 * Records are gathered in a large buffer and written with one write(2) per
 * buffer, so the file system sees big sequential writes. The buffer only
 * ever holds whole records: after any failure (disk full, file size limit)
 * the file is cut back to the last whole record, so what is on disk is
 * always a valid capture.
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

/* Append one frame captured at ts_ns (nanoseconds since the Unix epoch).
 * Returns 0, or -1 with errno set when the file cannot be written. */
int tg_pcap_write(struct tg_pcap_writer *w, uint64_t ts_ns,
		  const void *frame, uint32_t len);

/* Write out whatever is buffered. Returns 0 or -1 with errno set. */
int tg_pcap_flush(struct tg_pcap_writer *w);

/* Flush, close and free. Returns 0, or -1 if anything was lost (errno set).
 * A NULL writer is allowed and returns 0. */
int tg_pcap_close(struct tg_pcap_writer *w);

/* Frames and bytes (file size) written to disk so far. */
uint64_t tg_pcap_frames(const struct tg_pcap_writer *w);
uint64_t tg_pcap_file_bytes(const struct tg_pcap_writer *w);

#endif /* TG_PCAP_H */
