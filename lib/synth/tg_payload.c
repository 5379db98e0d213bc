/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include "tg_model.h"
#include "tg_payload.h"
#include "tg_rng.h"

/* Longest HTTP head or DNS message we build whole on the stack. */
#define HEAD_MAX 512
#define DNS_HDR_LEN 12
#define DNS_QTAIL_LEN 4		/* QTYPE + QCLASS */
#define DNS_ANSWER_LEN 16	/* name pointer, type, class, ttl, rdlen, A */
#define DNS_MAX_NAME 255
#define DNS_MAX_ANSWERS 16
#define DNS_MIN_NAME 7		/* one 1-letter label + "com" + root */

static const char http_req_tail[] = "\r\n\r\n";

/* A byte that looks arbitrary but is a pure function of seed and position,
 * so every slice of a message can be written independently. */
static uint8_t
mix_byte(uint64_t seed, uint32_t pos)
{
	uint64_t x = seed ^ ((uint64_t)pos * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return (uint8_t)x;
}

static void
random_word(struct tg_rng *rng, char *out, unsigned len)
{
	for (unsigned i = 0; i < len; i++)
		out[i] = (char)('a' + tg_rng_below(rng, 26));
	out[len] = '\0';
}

/* HTTP request: a head we print, then a cookie padded to the wanted size,
 * then the blank line. Returns the length of the printed head. */
static unsigned
http_request_head(uint64_t seed, char *head)
{
	struct tg_rng rng;
	char path[16], host[16];

	tg_rng_seed(&rng, seed, 1);
	random_word(&rng, path, 3 + tg_rng_below(&rng, 10));
	random_word(&rng, host, 4 + tg_rng_below(&rng, 8));
	return (unsigned)snprintf(head, HEAD_MAX,
		"GET /%s HTTP/1.1\r\nHost: www.%s.com\r\n"
		"User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
		"Accept: */*\r\nCookie: s=", path, host);
}

/* HTTP response head for a body of `body` bytes. */
static unsigned
http_response_head(uint32_t body, char *head)
{
	return (unsigned)snprintf(head, HEAD_MAX,
		"HTTP/1.1 200 OK\r\nServer: nginx\r\n"
		"Content-Type: application/octet-stream\r\n"
		"Content-Length: %u\r\n\r\n", body);
}

/* The response head's length depends on the digits of the body length;
 * find the body length that makes head + body == total. */
static uint32_t
http_response_body(uint32_t total)
{
	char head[HEAD_MAX];
	uint32_t body = 0;

	for (int i = 0; i < 4; i++) {
		unsigned h = http_response_head(body, head);

		body = total > h ? total - h : 0;
	}
	return body;
}

/* A response length that head and body can make up exactly. Where the
 * body length gains a digit, one total has no such split (a 999-byte body
 * leaves a byte over, a 1000-byte one is a byte short): take one more. */
static uint32_t
http_response_len(uint32_t total)
{
	char head[HEAD_MAX];
	uint32_t body = http_response_body(total);

	if (http_response_head(body, head) + body != total)
		return total + 1;
	return total;
}

static void
fill_http(const struct tg_payload_msg *msg, uint32_t offset, uint8_t *out,
	  uint32_t len)
{
	char head[HEAD_MAX];
	unsigned head_len;
	uint32_t tail_start;

	if (msg->dir == TG_DIR_C2S) {
		head_len = http_request_head(msg->seed, head);
		tail_start = msg->total - (uint32_t)strlen(http_req_tail);
	} else {
		head_len = http_response_head(http_response_body(msg->total),
					      head);
		tail_start = msg->total;
	}
	for (uint32_t i = 0; i < len; i++) {
		uint32_t p = offset + i;

		if (p < head_len)
			out[i] = (uint8_t)head[p];
		else if (p >= tail_start)
			out[i] = (uint8_t)http_req_tail[p - tail_start];
		else if (msg->dir == TG_DIR_C2S)
			out[i] = (uint8_t)('a' + p % 26);	/* cookie */
		else
			out[i] = mix_byte(msg->seed, p);	/* body */
	}
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* The question of a DNS query whose whole length is query_len: a random
 * name under .com whose wire length makes up the rest. */
static unsigned
dns_question(uint64_t seed, uint32_t query_len, uint8_t *q)
{
	struct tg_rng rng;
	unsigned name_len = query_len - DNS_HDR_LEN - DNS_QTAIL_LEN;
	unsigned left = name_len - 4 - 1;	/* "\3com" and the root */
	unsigned n = 0;

	tg_rng_seed(&rng, seed, 2);
	while (left > 0) {
		/* A label costs its length byte; keep 2 bytes for the next. */
		unsigned label = left - 1 > 63 ? 63 : left - 1;

		if (left - 1 > 63 && left - 1 - 63 < 2)
			label = 61;
		q[n++] = (uint8_t)label;
		for (unsigned i = 0; i < label; i++)
			q[n++] = (uint8_t)('a' + tg_rng_below(&rng, 26));
		left -= label + 1;
	}
	memcpy(q + n, "\3com", 4);
	n += 4;
	q[n++] = 0;
	put16(q + n, 1);	/* QTYPE A */
	put16(q + n + 2, 1);	/* QCLASS IN */
	return n + DNS_QTAIL_LEN;
}

static unsigned
dns_message(const struct tg_payload_msg *msg, uint8_t *m)
{
	uint32_t query_len = msg->dir == TG_DIR_C2S ? msg->total
						     : msg->request_len;
	unsigned n = DNS_HDR_LEN;
	unsigned answers = 0;

	memset(m, 0, DNS_HDR_LEN);
	put16(m, (uint16_t)msg->seed);			/* transaction id */
	put16(m + 4, 1);				/* one question */
	n += dns_question(msg->seed, query_len, m + n);
	if (msg->dir == TG_DIR_C2S) {
		put16(m + 2, 0x0100);			/* standard, RD */
		return n;
	}
	put16(m + 2, 0x8180);				/* response, RD RA */
	answers = (msg->total - query_len) / DNS_ANSWER_LEN;
	put16(m + 6, (uint16_t)answers);
	for (unsigned a = 0; a < answers; a++, n += DNS_ANSWER_LEN) {
		put16(m + n, 0xc00c);			/* the question's name */
		put16(m + n + 2, 1);			/* A */
		put16(m + n + 4, 1);			/* IN */
		put16(m + n + 6, 0);
		put16(m + n + 8, 300);			/* TTL */
		put16(m + n + 10, 4);
		m[n + 12] = 198;			/* 198.51.100.0/24, */
		m[n + 13] = 51;				/* documentation range */
		m[n + 14] = 100;
		m[n + 15] = mix_byte(msg->seed, a);
	}
	return n;
}

static void
fill_dns(const struct tg_payload_msg *msg, uint32_t offset, uint8_t *out,
	 uint32_t len)
{
	uint8_t m[DNS_HDR_LEN + DNS_MAX_NAME + DNS_QTAIL_LEN +
		  DNS_MAX_ANSWERS * DNS_ANSWER_LEN];
	unsigned n = dns_message(msg, m);

	for (uint32_t i = 0; i < len; i++)
		out[i] = offset + i < n ? m[offset + i] : 0;
}

static uint32_t
clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

uint32_t
tg_payload_message_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	char head[HEAD_MAX];
	uint32_t answers, least;

	switch (msg->kind) {
	case TG_PAYLOAD_HTTP:
		if (msg->dir == TG_DIR_C2S) {
			least = http_request_head(msg->seed, head) + 1 +
				(uint32_t)strlen(http_req_tail);
			return wanted > least ? wanted : least;
		}
		least = http_response_head(0, head);
		return http_response_len(wanted > least ? wanted : least);
	case TG_PAYLOAD_DNS:
		if (msg->dir == TG_DIR_C2S)
			return clamp(wanted,
				     DNS_HDR_LEN + DNS_MIN_NAME + DNS_QTAIL_LEN,
				     DNS_HDR_LEN + DNS_MAX_NAME + DNS_QTAIL_LEN);
		answers = wanted > msg->request_len
				  ? (wanted - msg->request_len +
				     DNS_ANSWER_LEN / 2) / DNS_ANSWER_LEN
				  : 0;
		return msg->request_len +
		       clamp(answers, 1, DNS_MAX_ANSWERS) * DNS_ANSWER_LEN;
	default:
		return wanted;
	}
}

void
tg_payload_fill(const struct tg_payload_msg *msg, uint32_t offset,
		uint8_t *out, uint32_t len)
{
	switch (msg->kind) {
	case TG_PAYLOAD_HTTP:
		fill_http(msg, offset, out, len);
		break;
	case TG_PAYLOAD_DNS:
		fill_dns(msg, offset, out, len);
		break;
	case TG_PAYLOAD_RANDOM:
		for (uint32_t i = 0; i < len; i++)
			out[i] = mix_byte(msg->seed, offset + i);
		/* A zero first byte in every packet keeps Wireshark's
		 * heuristic dissectors (RTCP, WireGuard, CLTP, Thrift...)
		 * from claiming, then calling malformed, opaque data. */
		if (len > 0)
			out[0] = 0;
		break;
	default:
		memset(out, 0, len);
		break;
	}
}
