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
#include <sys/uio.h>

#include "tg_clock.h"
#include "tg_pcap.h"

#define PCAP_MAGIC_NSEC 0xa1b23c4du
#define PCAP_FILE_HDR_LEN 24
#define PCAP_REC_HDR_LEN 16
/* Buffers, and with direct I/O every write(2)'s length and file offset,
 * are multiples of this (a page: at least any device's logical block). */
#define BUF_ALIGN 4096
/* The I/O thread writes up to this many queued buffers with one
 * writev(2): a disk slower than the capture then gets large writes, whose
 * parts the kernel sends to the device together, and the thread wakes
 * once for all of them. */
#define IO_BATCH 8

/* The part of a writer that touches the file: the caller's, or the I/O
 * thread's when the writer has one. */
struct disk {
	int fd;
	int error;		/* first errno seen; writes stop after it */
	bool direct;		/* O_DIRECT: writes bypass the page cache */
	uint64_t frames;	/* records known to be on disk */
	uint64_t bytes;		/* bytes known to be on disk */
	uint64_t whole_end;	/* file offset after the last whole record */
	uint64_t direct_bytes;	/* bytes written with O_DIRECT */
	uint64_t write_ns;	/* time spent in write(2) */
	uint64_t writes;	/* write(2) and writev(2) calls that wrote */
};

/* One write(2)'s worth of a buffer: buf[0, len). Records may run across
 * chunks (direct I/O cuts buffers at BUF_ALIGN): the chunk's first record
 * starts at `first`, and the bytes before it end a record begun in the
 * previous chunk if `tail` (else they are the file header, or none). */
struct chunk {
	size_t len;
	size_t first;
	size_t last;		/* where the chunk's last whole record ends */
	uint64_t frames;	/* records that end in this chunk */
	bool tail;
};

/* Buffers handed to the I/O thread, written in the order they were
 * filled. A slot with len 0 is free to fill. */
struct io_queue {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* a buffer queued or written, or stop */
	unsigned n;
	uint8_t **bufs;
	struct chunk *chunks;
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
	size_t used;		/* bytes in buf, up to the end of a record */
	size_t first;		/* where buf's first record starts */
	bool tail;		/* buf[0, first) ends a record */
	size_t cut;		/* queued chunks are multiples of this */
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

static uint32_t
caplen_at(const uint8_t *rec)
{
	uint32_t caplen;

	memcpy(&caplen, rec + 8, 4);
	return caplen;
}

/* Bytes of the whole records at the start of buf[0..len), and how many
 * records they are. */
static size_t
whole_records(const uint8_t *buf, size_t len, uint64_t *frames)
{
	size_t off = 0;

	*frames = 0;
	while (off + PCAP_REC_HDR_LEN <= len) {
		uint32_t caplen = caplen_at(buf + off);

		if (caplen > len - off - PCAP_REC_HDR_LEN)
			break;
		off += PCAP_REC_HDR_LEN + caplen;
		(*frames)++;
	}
	return off;
}

/* The chunk buf[0, len) of the buffer being filled (len >= w->first), and
 * where the record that runs past it ends, counted from len (0: none
 * does). */
static struct chunk
chunk_of(const struct tg_pcap_writer *w, size_t len, size_t *next_first)
{
	struct chunk c = { .len = len, .first = w->first, .tail = w->tail };

	c.last = c.first + whole_records(w->buf + c.first, len - c.first,
					 &c.frames);
	c.frames += c.tail;
	*next_first = c.last == len ? 0 :
		c.last + PCAP_REC_HDR_LEN + caplen_at(w->buf + c.last) - len;
	return c;
}

/* Go on through the page cache: the file system refused a direct write,
 * or what is left is not a multiple of BUF_ALIGN. */
static void
stop_direct(struct disk *d)
{
	int flags = fcntl(d->fd, F_GETFL);

	if (flags >= 0)
		fcntl(d->fd, F_SETFL, flags & ~O_DIRECT);
	d->direct = false;
}

/* The longest direct write that can start `done` bytes into a chunk of
 * `len`; 0 if none can. */
static size_t
direct_len(const struct disk *d, size_t done, size_t len)
{
	if (((d->bytes + done) & (BUF_ALIGN - 1)) != 0)
		return 0;
	return (len - done) & ~(size_t)(BUF_ALIGN - 1);
}

/* The file after a write of chunk c cut short at `done` bytes keeps the
 * whole records of that part and is cut back after the last of them, so
 * it never ends in half a record. */
static void
keep_whole_records(struct disk *d, const uint8_t *buf, const struct chunk *c,
		   size_t done)
{
	uint64_t end = d->whole_end, kept = 0;

	if (done >= c->first) {
		end = d->bytes + c->first +
		      whole_records(buf + c->first, done - c->first, &kept);
		kept += c->tail;
	}
	if (ftruncate(d->fd, (off_t)end) == 0) {
		d->bytes = end;
		d->whole_end = end;
		d->frames += kept;
	}
	/* else nothing more can be done: the first error is kept. */
}

/* Chunk c is on disk. */
static void
chunk_written(struct disk *d, const struct chunk *c)
{
	d->whole_end = d->bytes + c->last;
	d->bytes += c->len;
	d->frames += c->frames;
}

/* Write chunk c from `done` bytes into it on. A short write (disk full,
 * file size limit) may leave part of it on disk: see
 * keep_whole_records. */
static int
write_chunk_from(struct disk *d, const uint8_t *buf, const struct chunk *c,
		 size_t done)
{
	uint64_t t0 = tg_clock_ns(CLOCK_MONOTONIC);
	ssize_t n = 0;

	while (done < c->len) {
		size_t want = c->len - done;

		if (d->direct && (want = direct_len(d, done, c->len)) == 0) {
			stop_direct(d);
			continue;
		}
		n = write(d->fd, buf + done, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && d->direct) {
			stop_direct(d);
			continue;
		}
		if (n <= 0)
			goto failed;
		done += (size_t)n;
		d->writes++;
		if (d->direct)
			d->direct_bytes += (uint64_t)n;
	}
	d->write_ns += tg_clock_ns(CLOCK_MONOTONIC) - t0;
	chunk_written(d, c);
	return 0;
failed:
	d->error = n < 0 ? errno : ENOSPC;	/* 0 bytes: no room */
	keep_whole_records(d, buf, c, done);
	errno = d->error;
	return -1;
}

static int
write_chunk(struct disk *d, const uint8_t *buf, const struct chunk *c)
{
	return write_chunk_from(d, buf, c, 0);
}

/* Whether k chunks can go in one direct writev(2): each a whole number
 * of pages, from a page of the file on. */
static bool
can_gather(const struct disk *d, const struct chunk *cs, unsigned k)
{
	if (!d->direct || (d->bytes & (BUF_ALIGN - 1)) != 0)
		return false;
	for (unsigned j = 0; j < k; j++)
		if ((cs[j].len & (BUF_ALIGN - 1)) != 0)
			return false;
	return true;
}

/* Write chunks cs[0, k) of bufs[0, k), in order, with as few writev(2)
 * calls as they take. Where writev stops short (an error, a file system
 * that turns direct I/O down, a file size limit inside the batch) the
 * rest goes chunk by chunk, so that write_chunk_from alone deals with
 * errors. */
static int
write_chunks(struct disk *d, uint8_t *const *bufs, const struct chunk *cs,
	     unsigned k)
{
	struct iovec iov[IO_BATCH];
	uint64_t t0 = tg_clock_ns(CLOCK_MONOTONIC);
	unsigned j = 0;
	size_t done = 0;	/* bytes of chunk j on disk */

	if (k > 1 && can_gather(d, cs, k)) {
		for (unsigned i = 0; i < k; i++)
			iov[i] = (struct iovec){ bufs[i], cs[i].len };
		while (j < k) {
			ssize_t n = writev(d->fd, iov + j, (int)(k - j));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			d->writes++;
			d->direct_bytes += (uint64_t)n;
			for (; j < k && (size_t)n >= iov[j].iov_len; j++) {
				n -= (ssize_t)iov[j].iov_len;
				chunk_written(d, &cs[j]);
			}
			if (n > 0) {
				iov[j].iov_base = (uint8_t *)iov[j].iov_base + n;
				iov[j].iov_len -= (size_t)n;
			}
		}
		if (j < k)
			done = cs[j].len - iov[j].iov_len;
		d->write_ns += tg_clock_ns(CLOCK_MONOTONIC) - t0;
	}
	for (; j < k; j++, done = 0)
		if (write_chunk_from(d, bufs[j], &cs[j], done) != 0)
			return -1;
	return 0;
}

static uint8_t *
alloc_buffer(size_t size)
{
	void *p;

	/* Page-aligned, so each write(2) copies from whole pages, and
	 * direct I/O can take the buffer as it is. */
	return posix_memalign(&p, BUF_ALIGN, size) == 0 ? p : NULL;
}

/* Create the file and put its header in the first buffer. */
static struct tg_pcap_writer *
open_writer(const char *path, size_t buffer_size, char *err, size_t errlen)
{
	struct tg_pcap_writer *w = calloc(1, sizeof(*w));
	uint8_t *hdr;

	if (w == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	/* Room for the largest record after what a cut carries over. */
	w->cap = buffer_size ? buffer_size : TG_PCAP_DEFAULT_BUFFER;
	if (w->cap < BUF_ALIGN + PCAP_REC_HDR_LEN + TG_PCAP_SNAPLEN)
		w->cap = BUF_ALIGN + PCAP_REC_HDR_LEN + TG_PCAP_SNAPLEN;
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
	w->cut = 1;
	hdr = w->buf;
	put32(hdr, PCAP_MAGIC_NSEC);
	put16(hdr + 4, 2);	/* version 2.4 */
	put16(hdr + 6, 4);
	put32(hdr + 8, 0);	/* thiszone */
	put32(hdr + 12, 0);	/* sigfigs */
	put32(hdr + 16, TG_PCAP_SNAPLEN);
	put32(hdr + 20, TG_PCAP_LINKTYPE_ETHERNET);
	w->used = w->first = PCAP_FILE_HDR_LEN;
	return w;
}

struct tg_pcap_writer *
tg_pcap_open(const char *path, size_t buffer_size, char *err, size_t errlen)
{
	struct tg_pcap_writer *w = open_writer(path, buffer_size, err,
					       errlen);

	/* The header goes out now, so that an unwritable file fails here. */
	if (w != NULL && tg_pcap_flush(w) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		tg_pcap_close(w);
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
		uint8_t *bufs[IO_BATCH];
		struct chunk chunks[IO_BATCH];
		unsigned k;

		while (io->queued == 0 && !io->stop)
			pthread_cond_wait(&io->cond, &io->lock);
		if (io->queued == 0)
			break;
		/* The buffers after head are queued in the order filled. */
		k = io->queued < IO_BATCH ? io->queued : IO_BATCH;
		for (unsigned j = 0; j < k; j++) {
			bufs[j] = io->bufs[(io->head + j) % io->n];
			chunks[j] = io->chunks[(io->head + j) % io->n];
		}
		pthread_mutex_unlock(&io->lock);
		/* After an error nothing more is written, as without a
		 * thread: the file ends at its last whole record. */
		if (w->disk.error == 0)
			write_chunks(&w->disk, bufs, chunks, k);
		pthread_mutex_lock(&io->lock);
		io->error = w->disk.error;
		for (unsigned j = 0; j < k; j++)
			io->chunks[(io->head + j) % io->n].len = 0;
		io->head = (io->head + k) % io->n;
		io->queued -= k;
		pthread_cond_broadcast(&io->cond);
	}
	pthread_mutex_unlock(&io->lock);
	return NULL;
}

/* Hand the buffer to the I/O thread, all of it or (`all` false) as much
 * as is a multiple of w->cut, and go on with the next buffer, waiting
 * only while every buffer is queued. What is not handed over (less than
 * w->cut: the open record's first part and any records after it) is
 * carried to the start of the next buffer. */
static int
queue_buffer(struct tg_pcap_writer *w, bool all)
{
	struct io_queue *io = w->io;
	unsigned next = (w->cur + 1) % io->n;
	size_t len = all ? w->used : w->used & ~(w->cut - 1), next_first;
	struct chunk c = chunk_of(w, len, &next_first);

	pthread_mutex_lock(&io->lock);
	io->chunks[w->cur] = c;
	io->queued++;
	pthread_cond_broadcast(&io->cond);
	while (io->chunks[next].len != 0)
		pthread_cond_wait(&io->cond, &io->lock);
	w->error = io->error;
	pthread_mutex_unlock(&io->lock);
	/* The I/O thread reads only buf[0, len) of the queued buffer. */
	memcpy(io->bufs[next], w->buf + len, w->used - len);
	w->cur = next;
	w->buf = io->bufs[next];
	w->used -= len;
	w->first = next_first;
	w->tail = next_first > 0;
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
	free(io->chunks);
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
	io->chunks = calloc(n_buffers, sizeof(*io->chunks));
	if (io->bufs == NULL || io->chunks == NULL)
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

/* The I/O thread's writes bypass the page cache where the file system
 * allows it: the kernel's copy into the cache would take as much of the
 * writer's core as filling the buffers does. */
static void
try_direct(struct tg_pcap_writer *w)
{
	int flags = fcntl(w->disk.fd, F_GETFL);

	if (flags >= 0 && fcntl(w->disk.fd, F_SETFL, flags | O_DIRECT) == 0) {
		w->disk.direct = true;
		w->cut = BUF_ALIGN;
	}
}

struct tg_pcap_writer *
tg_pcap_open_async(const char *path, size_t buffer_size, unsigned n_buffers,
		   char *err, size_t errlen)
{
	struct tg_pcap_writer *w;

	if (n_buffers < 2)
		return tg_pcap_open(path, buffer_size, err, errlen);
	if ((w = open_writer(path, buffer_size, err, errlen)) == NULL)
		return NULL;
	try_direct(w);
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
	struct chunk c;
	size_t next_first;
	int rc;

	if (w->error) {
		errno = w->error;
		return -1;
	}
	if (w->io != NULL) {
		if (w->used > 0 && queue_buffer(w, true) != 0)
			return -1;
		return drain_queue(w);
	}
	if (w->used == 0)
		return 0;
	c = chunk_of(w, w->used, &next_first);
	rc = write_chunk(&w->disk, w->buf, &c);
	w->error = w->disk.error;
	/* Whatever did not reach the disk is lost, not retried. */
	w->used = 0;
	w->first = 0;
	w->tail = false;
	return rc;
}

int
tg_pcap_write(struct tg_pcap_writer *w, uint64_t ts_ns, const void *frame,
	      uint32_t len)
{
	return tg_pcap_write_split(w, ts_ns, frame, len, NULL, 0);
}

int
tg_pcap_write_split(struct tg_pcap_writer *w, uint64_t ts_ns,
		    const void *head, uint32_t head_len, const void *tail,
		    uint32_t tail_len)
{
	uint32_t len = head_len + tail_len;
	uint32_t caplen = len < TG_PCAP_SNAPLEN ? len : TG_PCAP_SNAPLEN;
	uint32_t from_head = head_len < caplen ? head_len : caplen;
	uint8_t *rec;

	if (w->error) {
		errno = w->error;
		return -1;
	}
	if (w->used + PCAP_REC_HDR_LEN + caplen > w->cap &&
	    (w->io ? queue_buffer(w, false) : tg_pcap_flush(w)) != 0)
		return -1;

	rec = w->buf + w->used;
	put32(rec, (uint32_t)(ts_ns / 1000000000u));
	put32(rec + 4, (uint32_t)(ts_ns % 1000000000u));
	put32(rec + 8, caplen);
	put32(rec + 12, len);
	memcpy(rec + PCAP_REC_HDR_LEN, head, from_head);
	if (caplen > from_head)
		memcpy(rec + PCAP_REC_HDR_LEN + from_head, tail,
		       caplen - from_head);
	w->used += PCAP_REC_HDR_LEN + caplen;
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

uint64_t
tg_pcap_write_calls(const struct tg_pcap_writer *w)
{
	return w->disk.writes;
}

uint64_t
tg_pcap_direct_bytes(const struct tg_pcap_writer *w)
{
	return w->disk.direct_bytes;
}
