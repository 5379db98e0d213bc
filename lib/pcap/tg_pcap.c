/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tg_pcap.h"

#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_FILE_HDR_LEN 24
#define PCAP_REC_HDR_LEN 16

struct tg_pcap_writer {
	int fd;
	int error;		/* first errno seen; writes stop after it */
	uint8_t *buf;
	size_t cap;
	size_t used;		/* bytes of whole records in buf */
	uint64_t frames_on_disk;
	uint64_t frames_buffered;
	uint64_t file_bytes;	/* bytes known to be on disk */
};

/* pcap headers are written in host byte order; readers detect it from
 * the magic number. */
static void
put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void
put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

/* Bytes of the whole records at the start of buf[0..len), and how many
 * records they are. */
static size_t
whole_records(const uint8_t *buf, size_t len, uint64_t *frames)
{
	size_t off = 0;

	*frames = 0;
	while (off + PCAP_REC_HDR_LEN <= len) {
		uint32_t caplen;

		memcpy(&caplen, buf + off + 8, 4);
		if (caplen > len - off - PCAP_REC_HDR_LEN)
			break;
		off += PCAP_REC_HDR_LEN + caplen;
		(*frames)++;
	}
	return off;
}

/* Write all of buf, holding `frames` records (0: the file header). A
 * short write (disk full, file size limit) may leave part of buf on disk:
 * the file keeps the whole records of that part and is cut back after the
 * last of them, so it never ends in half a record. */
static int
write_all(struct tg_pcap_writer *w, const uint8_t *buf, size_t len,
	  uint64_t frames)
{
	size_t done = 0, keep;
	uint64_t kept = 0;
	ssize_t n = 0;

	while (done < len) {
		n = write(w->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto failed;
		done += (size_t)n;
	}
	w->file_bytes += len;
	w->frames_on_disk += frames;
	return 0;
failed:
	w->error = n < 0 ? errno : ENOSPC;	/* 0 bytes: no room */
	keep = frames ? whole_records(buf, done, &kept) : 0;
	if (ftruncate(w->fd, (off_t)(w->file_bytes + keep)) == 0) {
		w->file_bytes += keep;
		w->frames_on_disk += kept;
	}
	/* else nothing more can be done: the first error is kept. */
	errno = w->error;
	return -1;
}

struct tg_pcap_writer *
tg_pcap_open(const char *path, size_t buffer_size, char *err, size_t errlen)
{
	struct tg_pcap_writer *w = calloc(1, sizeof(*w));
	uint8_t hdr[PCAP_FILE_HDR_LEN];

	if (w == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	w->cap = buffer_size ? buffer_size : TG_PCAP_DEFAULT_BUFFER;
	if (w->cap < PCAP_REC_HDR_LEN + TG_PCAP_SNAPLEN)
		w->cap = PCAP_REC_HDR_LEN + TG_PCAP_SNAPLEN;
	w->buf = malloc(w->cap);
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (w->buf == NULL || w->fd < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 w->buf == NULL ? "out of memory" : strerror(errno));
		if (w->fd >= 0)
			close(w->fd);
		free(w->buf);
		free(w);
		return NULL;
	}

	put32(hdr, PCAP_MAGIC_NSEC);
	put16(hdr + 4, 2);	/* version 2.4 */
	put16(hdr + 6, 4);
	put32(hdr + 8, 0);	/* thiszone */
	put32(hdr + 12, 0);	/* sigfigs */
	put32(hdr + 16, TG_PCAP_SNAPLEN);
	put32(hdr + 20, TG_PCAP_LINKTYPE_ETHERNET);
	if (write_all(w, hdr, sizeof(hdr), 0) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(w->error));
		close(w->fd);
		free(w->buf);
		free(w);
		return NULL;
	}
	return w;
}

int
tg_pcap_flush(struct tg_pcap_writer *w)
{
	int rc;

	if (w->error) {
		errno = w->error;
		return -1;
	}
	if (w->used == 0)
		return 0;
	rc = write_all(w, w->buf, w->used, w->frames_buffered);
	/* Whatever did not reach the disk is lost, not retried. */
	w->used = 0;
	w->frames_buffered = 0;
	return rc;
}

int
tg_pcap_write(struct tg_pcap_writer *w, uint64_t ts_ns, const void *frame,
	      uint32_t len)
{
	uint32_t caplen = len < TG_PCAP_SNAPLEN ? len : TG_PCAP_SNAPLEN;
	uint8_t *rec;

	if (w->error) {
		errno = w->error;
		return -1;
	}
	if (w->used + PCAP_REC_HDR_LEN + caplen > w->cap &&
	    tg_pcap_flush(w) != 0)
		return -1;

	rec = w->buf + w->used;
	put32(rec, (uint32_t)(ts_ns / 1000000000u));
	put32(rec + 4, (uint32_t)(ts_ns % 1000000000u));
	put32(rec + 8, caplen);
	put32(rec + 12, len);
	memcpy(rec + PCAP_REC_HDR_LEN, frame, caplen);
	w->used += PCAP_REC_HDR_LEN + caplen;
	w->frames_buffered++;
	return 0;
}

int
tg_pcap_close(struct tg_pcap_writer *w)
{
	int rc, saved;

	if (w == NULL)
		return 0;
	rc = tg_pcap_flush(w);
	saved = errno;
	if (close(w->fd) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	free(w->buf);
	free(w);
	errno = saved;
	return rc;
}

uint64_t
tg_pcap_frames(const struct tg_pcap_writer *w)
{
	return w->frames_on_disk;
}

uint64_t
tg_pcap_file_bytes(const struct tg_pcap_writer *w)
{
	return w->file_bytes;
}
