/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tg_clock.h"
#include "tg_pcap.h"

#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_FILE_HDR_LEN 24
#define PCAP_REC_HDR_LEN 16
#define BUF_ALIGN 4096

/* The part of a writer that touches the file: the caller's, or the I/O
 * thread's when the writer has one. */
struct disk {
	int fd;
	int error;		/* first errno seen; writes stop after it */
	uint64_t frames;	/* records known to be on disk */
	uint64_t bytes;		/* bytes known to be on disk */
	uint64_t write_ns;	/* time spent in write(2) */
};

/* Buffers handed to the I/O thread, written in the order they were
 * filled. A slot with len 0 is free to fill. */
struct io_queue {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* a buffer queued or written, or stop */
	unsigned n;
	uint8_t **bufs;
	size_t *len;
	uint64_t *frames;
	unsigned head;		/* the next buffer to write */
	unsigned queued;	/* full buffers not yet written */
	int error;		/* disk.error as of the last buffer written */
	bool stop;
};

struct tg_pcap_writer {
	struct disk disk;	/* with an I/O thread: its own until a flush */
	int error;		/* the caller's view of disk.error */
	uint8_t *buf;		/* the buffer being filled */
	size_t cap;
	size_t used;		/* bytes of whole records in buf */
	uint64_t frames_buffered;
	struct io_queue *io;	/* NULL: write(2) in the caller */
	unsigned cur;		/* with io: the slot of buf */
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
write_all(struct disk *d, const uint8_t *buf, size_t len, uint64_t frames)
{
	size_t done = 0, keep;
	uint64_t kept = 0, t0 = tg_clock_ns(CLOCK_MONOTONIC);
	ssize_t n = 0;

	while (done < len) {
		n = write(d->fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto failed;
		done += (size_t)n;
	}
	d->write_ns += tg_clock_ns(CLOCK_MONOTONIC) - t0;
	d->bytes += len;
	d->frames += frames;
	return 0;
failed:
	d->error = n < 0 ? errno : ENOSPC;	/* 0 bytes: no room */
	keep = frames ? whole_records(buf, done, &kept) : 0;
	if (ftruncate(d->fd, (off_t)(d->bytes + keep)) == 0) {
		d->bytes += keep;
		d->frames += kept;
	}
	/* else nothing more can be done: the first error is kept. */
	errno = d->error;
	return -1;
}

static uint8_t *
alloc_buffer(size_t size)
{
	void *p;

	/* Page-aligned, so each write(2) copies from whole pages. */
	return posix_memalign(&p, BUF_ALIGN, size) == 0 ? p : NULL;
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
	w->buf = alloc_buffer(w->cap);
	w->disk.fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			  0644);
	if (w->buf == NULL || w->disk.fd < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 w->buf == NULL ? "out of memory" : strerror(errno));
		if (w->disk.fd >= 0)
			close(w->disk.fd);
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
	if (write_all(&w->disk, hdr, sizeof(hdr), 0) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(w->disk.error));
		close(w->disk.fd);
		free(w->buf);
		free(w);
		return NULL;
	}
	return w;
}

/* --- the I/O thread ------------------------------------------------------ */

static void *
io_main(void *arg)
{
	struct tg_pcap_writer *w = arg;
	struct io_queue *io = w->io;

	pthread_mutex_lock(&io->lock);
	for (;;) {
		unsigned i = io->head;

		while (io->queued == 0 && !io->stop)
			pthread_cond_wait(&io->cond, &io->lock);
		if (io->queued == 0)
			break;
		pthread_mutex_unlock(&io->lock);
		/* After an error nothing more is written, as without a
		 * thread: the file ends at its last whole record. */
		if (w->disk.error == 0)
			write_all(&w->disk, io->bufs[i], io->len[i],
				  io->frames[i]);
		pthread_mutex_lock(&io->lock);
		io->error = w->disk.error;
		io->len[i] = 0;
		io->head = (i + 1) % io->n;
		io->queued--;
		pthread_cond_broadcast(&io->cond);
	}
	pthread_mutex_unlock(&io->lock);
	return NULL;
}

/* Hand the filled buffer to the I/O thread and go on with the next one,
 * waiting only while every buffer is queued. */
static int
queue_buffer(struct tg_pcap_writer *w)
{
	struct io_queue *io = w->io;
	unsigned next = (w->cur + 1) % io->n;

	pthread_mutex_lock(&io->lock);
	io->len[w->cur] = w->used;
	io->frames[w->cur] = w->frames_buffered;
	io->queued++;
	pthread_cond_broadcast(&io->cond);
	while (io->len[next] != 0)
		pthread_cond_wait(&io->cond, &io->lock);
	w->error = io->error;
	pthread_mutex_unlock(&io->lock);
	w->cur = next;
	w->buf = io->bufs[next];
	w->used = 0;
	w->frames_buffered = 0;
	if (w->error) {
		errno = w->error;
		return -1;
	}
	return 0;
}

/* Wait until the I/O thread has written everything queued. */
static int
drain_queue(struct tg_pcap_writer *w)
{
	struct io_queue *io = w->io;

	pthread_mutex_lock(&io->lock);
	while (io->queued > 0)
		pthread_cond_wait(&io->cond, &io->lock);
	w->error = io->error;
	pthread_mutex_unlock(&io->lock);
	if (w->error) {
		errno = w->error;
		return -1;
	}
	return 0;
}

static void
free_io(struct io_queue *io, const uint8_t *keep)
{
	for (unsigned i = 0; i < io->n; i++)
		if (io->bufs[i] != keep)
			free(io->bufs[i]);
	free(io->bufs);
	free(io->len);
	free(io->frames);
	free(io);
}

static int
start_io(struct tg_pcap_writer *w, unsigned n_buffers)
{
	struct io_queue *io = calloc(1, sizeof(*io));

	if (io == NULL)
		return -1;
	io->n = n_buffers;
	io->bufs = calloc(n_buffers, sizeof(*io->bufs));
	io->len = calloc(n_buffers, sizeof(*io->len));
	io->frames = calloc(n_buffers, sizeof(*io->frames));
	if (io->bufs == NULL || io->len == NULL || io->frames == NULL)
		goto fail;
	io->bufs[0] = w->buf;
	for (unsigned i = 1; i < n_buffers; i++)
		if ((io->bufs[i] = alloc_buffer(w->cap)) == NULL)
			goto fail;
	pthread_mutex_init(&io->lock, NULL);
	pthread_cond_init(&io->cond, NULL);
	w->io = io;
	if (pthread_create(&io->thread, NULL, io_main, w) == 0)
		return 0;
	pthread_mutex_destroy(&io->lock);
	pthread_cond_destroy(&io->cond);
	w->io = NULL;
fail:
	free_io(io, w->buf);
	return -1;
}

struct tg_pcap_writer *
tg_pcap_open_async(const char *path, size_t buffer_size, unsigned n_buffers,
		   char *err, size_t errlen)
{
	struct tg_pcap_writer *w = tg_pcap_open(path, buffer_size, err,
						errlen);

	if (w == NULL || n_buffers < 2)
		return w;
	if (start_io(w, n_buffers) != 0) {
		snprintf(err, errlen, "%s: cannot start its writer thread",
			 path);
		tg_pcap_close(w);
		return NULL;
	}
	return w;
}

/* --- the caller's side ---------------------------------------------------- */

int
tg_pcap_flush(struct tg_pcap_writer *w)
{
	int rc;

	if (w->error) {
		errno = w->error;
		return -1;
	}
	if (w->io != NULL) {
		if (w->used > 0 && queue_buffer(w) != 0)
			return -1;
		return drain_queue(w);
	}
	if (w->used == 0)
		return 0;
	rc = write_all(&w->disk, w->buf, w->used, w->frames_buffered);
	w->error = w->disk.error;
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
	    (w->io ? queue_buffer(w) : tg_pcap_flush(w)) != 0)
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
	if (w->io != NULL) {
		/* Flushed: the queue is empty, even after an error. */
		if (rc != 0)
			drain_queue(w);
		pthread_mutex_lock(&w->io->lock);
		w->io->stop = true;
		pthread_cond_broadcast(&w->io->cond);
		pthread_mutex_unlock(&w->io->lock);
		pthread_join(w->io->thread, NULL);
		pthread_mutex_destroy(&w->io->lock);
		pthread_cond_destroy(&w->io->cond);
		free_io(w->io, NULL);
		w->buf = NULL;
	}
	if (close(w->disk.fd) != 0 && rc == 0) {
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
	return w->disk.frames;
}

uint64_t
tg_pcap_file_bytes(const struct tg_pcap_writer *w)
{
	return w->disk.bytes;
}

double
tg_pcap_write_seconds(const struct tg_pcap_writer *w)
{
	return (double)w->disk.write_ns * 1e-9;
}
