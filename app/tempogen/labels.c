/* SPDX-License-Identifier: BSD-3-Clause */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int
tg_labels_flush(struct tg_label_writer *lw)
{
	size_t done = 0;

	while (done < lw->len) {
		ssize_t n = write(lw->fd, lw->buf + done, lw->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		done += (size_t)n;
	}
	lw->len = 0;
	return 0;
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
	static const char *const names[] = { "lost", "retransmitted",
					     "reordered", "duplicated" };
	const uint16_t counts[] = { fx->lost, fx->retransmitted,
				    fx->reordered, fx->duplicated };
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
	char effects[384];
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
	lw->written++;
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
