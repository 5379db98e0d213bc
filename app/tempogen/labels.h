/* SPDX-License-Identifier: BSD-3-Clause
 * labels: a port's ground truth file, one JSON object per line and flow
 * (docs/config.md, `labels`). Each worker serving the port has its own
 * writer: it formats the labels its synth hands over into a private
 * buffer and appends whole lines to the file with one write(2) on an
 * O_APPEND descriptor, so the workers of a device port share the file
 * without a lock and lines never mix. On a full disk or at the file size
 * limit the file keeps whole lines only. No DPDK here.
 *
 * Device ports are written from the worker too, not through the control
 * lcore: a label is a few hundred bytes formatted in about a microsecond,
 * once per flow rather than per packet, and the 1 MiB buffer makes the one
 * system call it costs land every few thousand flows, which the TX ring
 * absorbs. A hand-over to the control lcore would need a ring per worker
 * and could lose labels when it fills.
 */
#ifndef TG_LABELS_H
#define TG_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include "tg_model.h"
#include "tg_synth.h"

struct tg_label_writer {
	int fd;
	char *buf;		/* NULL: not open */
	size_t len;
	size_t cap;
	const char *path;
	const char *port;	/* port name, in every line */
	const struct tg_model *model;	/* service names */
	unsigned lcore;
	uint64_t epoch_ns;	/* added to model times (pcap: its clock) */
	uint64_t lines;		/* labels in buf */
	uint64_t written;	/* labels on disk, whole lines */
};

/* Open the port's labels file for appending (`truncate`: empty it first;
 * the first worker of the port does). Returns 0 or -1 with a message. */
int tg_labels_open(struct tg_label_writer *lw, const char *path,
		   const char *port, const struct tg_model *model,
		   unsigned lcore, uint64_t epoch_ns, int truncate,
		   char *err, size_t errlen);

/* Add one label. Returns 0, or -1 with errno if the file cannot take it. */
int tg_labels_add(struct tg_label_writer *lw, const struct tg_flow_label *l);

/* Write out what is buffered. Returns 0 or -1 with errno; the file then
 * ends with the last whole line that reached it (see labels.c). */
int tg_labels_flush(struct tg_label_writer *lw);

/* Flush and close; harmless on a closed writer. Returns 0 or -1 with
 * errno. */
int tg_labels_close(struct tg_label_writer *lw);

#endif /* TG_LABELS_H */
