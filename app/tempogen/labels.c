/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "labels.h"

#define LABEL_BUF (1u << 20)
#define MAX_LINE 1536	/* a label line is shorter, whatever its service
			 * and effects */

int
tg_labels_open(struct tg_label_writer *lw, const char *path, const char *port,
	       const struct tg_model *model, unsigned lcore,
	       uint64_t epoch_ns, int truncate, char *err, size_t errlen)
{
	int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		    (truncate ? O_TRUNC : 0);

	memset(lw, 0, sizeof(*lw));
	lw->fd = -1;
	lw->buf = malloc(LABEL_BUF);
	if (lw->buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	lw->fd = open(path, flags, 0644);
	if (lw->fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(lw->buf);
		lw->buf = NULL;
		return -1;
	}
	lw->cap = LABEL_BUF;
	lw->path = path;
	lw->port = port;
	lw->model = model;
	lw->lcore = lcore;
	lw->epoch_ns = epoch_ns;
	return 0;
}

/* Newlines in buf[0..len): the label lines there. */
static uint64_t
count_lines(const char *buf, size_t len)
{
	const char *end = buf + len;
	uint64_t n = 0;

	for (const char *p = buf; (p = memchr(p, '\n', (size_t)(end - p)));
	     p++)
		n++;
	return n;
}

/* Why a write to a regular file came out short: no room. The file size
 * limit when the file has reached it (EFBIG, as the next write would
 * say), else a full disk. */
static int
no_room_errno(off_t end)
{
	struct rlimit lim;

	if (end >= 0 && getrlimit(RLIMIT_FSIZE, &lim) == 0 &&
	    lim.rlim_cur != RLIM_INFINITY && (rlim_t)end >= lim.rlim_cur)
		return EFBIG;
	return ENOSPC;
}

/* After a short write of n bytes of whole lines `buf`, keep the whole
 * lines of those n bytes on disk and cut the part of a line after them.
 * Returns the bytes kept.
 *
 * Other workers append to the same file (O_APPEND), so "where my write
 * ended" is this descriptor's offset, which O_APPEND leaves at the end of
 * what this write put out, wherever that landed. The file is cut only if
 * it still ends there: if another worker appended after, the torn line is
 * no longer the file's end and cutting would take its lines too (this
 * needs room to appear on a full disk between our two writes: the torn
 * line then stays, and the run ends with the error all the same). */
static size_t
cut_to_whole_lines(struct tg_label_writer *lw, const char *buf, size_t n)
{
	const char *last = memrchr(buf, '\n', n);
	size_t keep = last ? (size_t)(last - buf) + 1 : 0;
	off_t end = lseek(lw->fd, 0, SEEK_CUR);
	struct stat st;
	bool ours = keep < n && end >= (off_t)n && fstat(lw->fd, &st) == 0 &&
		    st.st_size == end;

	if (ours && ftruncate(lw->fd, end - (off_t)(n - keep)) != 0) {
		/* the line stays torn: nothing more can be done, and the run
		 * ends with the write's error all the same */
	}
	return keep;
}

/* One write(2) per flush: a second write after a short one could land
 * after another worker's lines and split a line in two. A short write
 * on a regular file means no room; the whole lines it put out stay. */
int
tg_labels_flush(struct tg_label_writer *lw)
{
	ssize_t n;
	int err;

	if (lw->len == 0)
		return 0;
	do
		n = write(lw->fd, lw->buf, lw->len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)lw->len) {
		lw->written += lw->lines;
		lw->lines = 0;
		lw->len = 0;
		return 0;
	}
	err = n < 0 ? errno : no_room_errno(lseek(lw->fd, 0, SEEK_CUR));
	if (n > 0) {
		size_t keep = cut_to_whole_lines(lw, lw->buf, (size_t)n);
		uint64_t kept = count_lines(lw->buf, keep);

		lw->written += kept;
		lw->lines -= kept;
		lw->len -= keep;
		memmove(lw->buf, lw->buf + keep, lw->len);
	}
	errno = err;
	return -1;
}

/* A JSON string of at most `room` bytes out of a model's service name. */
static size_t
json_string(char *out, size_t room, const char *s)
{
	size_t n = 0;

	for (; *s && n + 7 < room; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			n += (size_t)snprintf(out + n, room - n, "\\%c", c);
		else if (c < 0x20)
			n += (size_t)snprintf(out + n, room - n, "\\u%04x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return n;
}

static const char *
proto_name(const struct tg_flow_label *l)
{
	switch (l->proto) {
	case TG_PROTO_TCP:
		return "tcp";
	case TG_PROTO_UDP:
		return "udp";
	default:
		return l->ip_version == 6 ? "icmpv6" : "icmp";
	}
}

/* The "effects" list: one object per effect the flow met, none when it
 * met none (docs/config.md, Labels). Returns the bytes written. */
static size_t
effects_json(char *out, size_t room, const struct tg_flow_effects *fx)
{
	static const char *const names[] = {
		"lost", "retransmitted", "fast_retransmitted", "dup_acks",
		"reordered", "duplicated",
	};
	const uint16_t counts[] = {
		fx->n.lost, fx->n.retransmitted, fx->n.fast_retransmitted,
		fx->n.dup_acks, fx->n.reordered, fx->n.duplicated,
	};
	size_t n = (size_t)snprintf(out, room, "[");

	if (fx->rtt_ns)
		n += (size_t)snprintf(out + n, room - n,
				      "{\"effect\":\"rtt\",\"rtt_ns\":%" PRIu64
				      ",\"jitter_ns\":%" PRIu64 "}",
				      fx->rtt_ns, fx->jitter_ns);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (counts[i] == 0)
			continue;
		n += (size_t)snprintf(out + n, room - n,
				      "%s{\"effect\":\"%s\",\"packets\":%u}",
				      n > 1 ? "," : "", names[i], counts[i]);
	}
	n += (size_t)snprintf(out + n, room - n, "]");
	return n;
}

int
tg_labels_add(struct tg_label_writer *lw, const struct tg_flow_label *l)
{
	char client[INET6_ADDRSTRLEN], server[INET6_ADDRSTRLEN];
	char service[6 * TG_MODEL_NAME_LEN + 8];
	char effects[512];
	int af = l->ip_version == 6 ? AF_INET6 : AF_INET;
	int n;

	if (lw->cap - lw->len < MAX_LINE && tg_labels_flush(lw) != 0)
		return -1;
	inet_ntop(af, l->client.b, client, sizeof(client));
	inet_ntop(af, l->server.b, server, sizeof(server));
	json_string(service, sizeof(service),
		    tg_model_service_name(lw->model, l->service));
	effects_json(effects, sizeof(effects), &l->effects);
	n = snprintf(lw->buf + lw->len, lw->cap - lw->len,
		     "{\"id\":%" PRIu64 ",\"port\":\"%s\",\"worker\":%u,"
		     "\"service\":\"%s\",\"proto\":\"%s\",\"ip_version\":%u,"
		     "\"client_ip\":\"%s\",\"client_port\":%u,"
		     "\"server_ip\":\"%s\",\"server_port\":%u,"
		     "\"start_ns\":%" PRIu64 ",\"end_ns\":%" PRIu64 ","
		     "\"packets_c2s\":%" PRIu64 ",\"packets_s2c\":%" PRIu64 ","
		     "\"bytes_c2s\":%" PRIu64 ",\"bytes_s2c\":%" PRIu64 ","
		     "\"end\":\"%s\",\"effects\":%s}\n",
		     l->id, lw->port, lw->lcore, service, proto_name(l),
		     l->ip_version, client, l->client_port, server,
		     l->server_port, lw->epoch_ns + l->first_ns,
		     lw->epoch_ns + l->last_ns, l->packets[TG_DIR_C2S],
		     l->packets[TG_DIR_S2C], l->bytes[TG_DIR_C2S],
		     l->bytes[TG_DIR_S2C], tg_flow_end_name(l->end), effects);
	if (n < 0 || (size_t)n >= lw->cap - lw->len) {
		errno = EOVERFLOW;	/* cannot happen: MAX_LINE is room */
		return -1;
	}
	lw->len += (size_t)n;
	lw->lines++;
	return 0;
}

int
tg_labels_close(struct tg_label_writer *lw)
{
	int rc = 0;

	if (lw->buf == NULL)
		return 0;	/* never opened, or closed */
	rc = tg_labels_flush(lw);
	if (close(lw->fd) != 0 && rc == 0)
		rc = -1;
	lw->fd = -1;
	free(lw->buf);
	lw->buf = NULL;
	return rc;
}
