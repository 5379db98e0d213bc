/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <string.h>

#include "tg_bytes.h"
#include "tg_keystream.h"
#include "tg_model.h"
#include "tg_payload.h"
#include "tg_payload_int.h"
#include "tg_rng.h"

/* Longest HTTP head or DNS message we build whole on the stack. */
#define HEAD_MAX 512
#define DNS_HDR_LEN 12
#define DNS_QTAIL_LEN 4		/* QTYPE + QCLASS */
#define DNS_ANSWER_LEN 16	/* name pointer, type, class, ttl, rdlen, A */
#define DNS_MAX_NAME 255
#define DNS_MAX_ANSWERS 16
#define DNS_MIN_NAME 7		/* one 1-letter label + "com" + root */
#define DNS_TCP_PREFIX 2	/* RFC 1035 4.2.2 length */
/* Over TCP a message may hold 65535 bytes: a longest question and this
 * many answers. */
#define DNS_TCP_MAX_ANSWERS 4000

static const char http_req_tail[] = "\r\n\r\n";

/* A byte that looks arbitrary but is a pure function of seed and position,
 * so every slice of a message can be written independently: for small
 * random fields (cookies, public keys, signatures, IDs). Ciphertext and
 * bulk opaque bytes are AES-CTR keystream instead (tg_pay_random). */
uint8_t
tg_pay_mix(uint64_t seed, uint32_t pos)
{
	uint64_t x = seed ^ ((uint64_t)pos * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return (uint8_t)x;
}

#define mix_byte tg_pay_mix

void
tg_text_init(struct tg_text *t, char *buf, size_t size)
{
	t->start = t->p = buf;
	t->last = buf + size - 1;
	*t->p = '\0';
}

static void
text_char(struct tg_text *t, char c)
{
	if (t->p < t->last) {
		*t->p++ = c;
		*t->p = '\0';
	}
}

void
tg_text_str(struct tg_text *t, const char *s)
{
	size_t n = strlen(s), room = (size_t)(t->last - t->p);

	if (n > room)
		n = room;
	memcpy(t->p, s, n);
	t->p += n;
	*t->p = '\0';
}

unsigned
tg_text_digits(uint32_t v)
{
	unsigned n = 1;

	for (; v >= 10; v /= 10)
		n++;
	return n;
}

/* v in `base` (10 or 16), padded with `pad` to at least `width`. */
static void
text_number(struct tg_text *t, uint32_t v, unsigned base, unsigned width,
	    char pad)
{
	char digits[32];
	unsigned n = 0;

	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	for (; width > n; width--)
		text_char(t, pad);
	while (n > 0)
		text_char(t, digits[--n]);
}

void
tg_text_uint(struct tg_text *t, uint32_t v, unsigned width, char pad)
{
	text_number(t, v, 10, width, pad);
}

void
tg_text_hex(struct tg_text *t, uint32_t v, unsigned width)
{
	text_number(t, v, 16, width, '0');
}

unsigned
tg_text_len(const struct tg_text *t)
{
	return (unsigned)(t->p - t->start);
}

void
tg_pay_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void
tg_pay_put32(uint8_t *p, uint32_t v)
{
	tg_pay_put16(p, (uint16_t)(v >> 16));
	tg_pay_put16(p + 2, (uint16_t)v);
}

/* The part of message bytes [at, at + n) inside the slice, as offsets into
 * the slice [*lo, *hi); false if they do not meet. */
static int
overlap(const struct tg_slice *s, uint32_t at, uint32_t n, uint64_t *lo,
	uint64_t *hi)
{
	uint64_t a = at, b = (uint64_t)at + n;
	uint64_t so = s->offset, se = (uint64_t)s->offset + s->len;

	*lo = a > so ? a : so;
	*hi = b < se ? b : se;
	return *lo < *hi;
}

/* Bytes up to slice offset `end` are not keystream. */
static void
not_opaque(const struct tg_slice *s, uint64_t end)
{
	if (end > *s->opaque_from)
		*s->opaque_from = (uint32_t)end;
}

void
tg_pay_copy(const struct tg_slice *s, uint32_t at, const uint8_t *src,
	    uint32_t n)
{
	uint64_t lo, hi;

	if (!overlap(s, at, n, &lo, &hi))
		return;
	memcpy(s->out + (lo - s->offset), src + (lo - at), hi - lo);
	not_opaque(s, hi - s->offset);
}

void
tg_pay_zero(const struct tg_slice *s, uint32_t at, uint32_t n)
{
	uint64_t lo, hi;

	if (!overlap(s, at, n, &lo, &hi))
		return;
	memset(s->out + (lo - s->offset), 0, hi - lo);
	not_opaque(s, hi - s->offset);
}

void
tg_pay_random(const struct tg_slice *s, uint32_t at, uint32_t n,
	      uint64_t seed)
{
	uint64_t lo, hi;

	if (!overlap(s, at, n, &lo, &hi))
		return;
	tg_keystream_copy(s->ks, seed, lo, s->out + (lo - s->offset),
			  (uint32_t)(hi - lo));
	if (hi == (uint64_t)s->offset + s->len)
		*s->opaque_from = (uint32_t)(lo - s->offset);
}

void
tg_pay_span(uint32_t n, uint32_t rmax, uint32_t rmin, uint32_t k,
	    uint32_t *start, uint32_t *size)
{
	uint32_t count = (n + rmax - 1) / rmax;
	uint32_t last = n - (count - 1) * rmax;
	uint32_t short_by = count > 1 && last < rmin ? rmin - last : 0;

	if (k + 1 < count) {
		*start = k * rmax;
		*size = k + 2 == count ? rmax - short_by : rmax;
	} else {
		*size = last + short_by;
		*start = n - *size;
	}
}

void
tg_pay_records(const struct tg_slice *s, uint32_t at, uint32_t n,
	       uint32_t rmax, uint32_t rmin, tg_frame_hdr_fn hdr_fn,
	       uint64_t seed)
{
	uint32_t count = (n + rmax - 1) / rmax;
	uint32_t k, start, size;
	uint64_t lo, hi;
	uint8_t hdr[8];

	if (n == 0 || !overlap(s, at, n, &lo, &hi))
		return;
	k = (uint32_t)((lo - at) / rmax);
	if (k >= count)
		k = count - 1;
	tg_pay_span(n, rmax, rmin, k, &start, &size);
	if (k > 0 && at + start > lo)
		k--;
	for (; k < count; k++) {
		unsigned h;

		tg_pay_span(n, rmax, rmin, k, &start, &size);
		if (at + start >= hi)
			break;
		h = hdr_fn(size, hdr);
		tg_pay_copy(s, at + start, hdr, h);
		tg_pay_random(s, at + start + h, size - h, seed);
	}
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
	struct tg_text t;
	char path[16], host[16];

	tg_rng_seed(&rng, seed, 1);
	random_word(&rng, path, 3 + tg_rng_below(&rng, 10));
	random_word(&rng, host, 4 + tg_rng_below(&rng, 8));
	tg_text_init(&t, head, HEAD_MAX);
	tg_text_str(&t, "GET /");
	tg_text_str(&t, path);
	tg_text_str(&t, " HTTP/1.1\r\nHost: www.");
	tg_text_str(&t, host);
	tg_text_str(&t, ".com\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64)"
			"\r\nAccept: */*\r\nCookie: s=");
	return tg_text_len(&t);
}

static const char http_response_start[] =
	"HTTP/1.1 200 OK\r\nServer: nginx\r\n"
	"Content-Type: application/octet-stream\r\nContent-Length: ";
static const char http_response_end[] = "\r\n\r\n";

/* HTTP response head for a body of `body` bytes. */
static unsigned
http_response_head(uint32_t body, char *head)
{
	struct tg_text t;

	tg_text_init(&t, head, HEAD_MAX);
	tg_text_str(&t, http_response_start);
	tg_text_uint(&t, body, 0, ' ');
	tg_text_str(&t, http_response_end);
	return tg_text_len(&t);
}

static unsigned
http_response_head_len(uint32_t body)
{
	return (unsigned)(sizeof(http_response_start) - 1 +
			  tg_text_digits(body) +
			  sizeof(http_response_end) - 1);
}

/* The response head's length depends on the digits of the body length;
 * find the body length that makes head + body == total. */
static uint32_t
http_response_body(uint32_t total)
{
	uint32_t body = 0;

	for (int i = 0; i < 4; i++) {
		unsigned h = http_response_head_len(body);

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
	uint32_t body = http_response_body(total);

	if (http_response_head_len(body) + body != total)
		return total + 1;
	return total;
}

/* A response: the head, then a body of keystream (compressed or
 * encrypted content looks like that, and it is a copy, not a loop). */
static void
fill_http_response(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	char head[HEAD_MAX];
	unsigned head_len = http_response_head(http_response_body(msg->total),
					       head);

	tg_pay_copy(s, 0, (const uint8_t *)head, head_len);
	tg_pay_random(s, head_len, msg->total - head_len, msg->seed);
}

static void
fill_http(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	char head[HEAD_MAX];
	unsigned head_len;
	uint32_t tail_start;

	if (msg->dir != TG_DIR_C2S) {
		fill_http_response(msg, s);
		return;
	}
	head_len = http_request_head(msg->seed, head);
	tail_start = msg->total - (uint32_t)strlen(http_req_tail);
	for (uint32_t i = 0; i < s->len; i++) {
		uint32_t p = s->offset + i;

		if (p < head_len)
			s->out[i] = (uint8_t)head[p];
		else if (p >= tail_start)
			s->out[i] = (uint8_t)http_req_tail[p - tail_start];
		else
			s->out[i] = (uint8_t)('a' + p % 26);	/* cookie */
	}
}

#define put16 tg_pay_put16

unsigned
tg_pay_dns_labels(struct tg_rng *rng, unsigned len, uint8_t *out)
{
	unsigned left = len, n = 0;

	while (left > 0) {
		/* A label costs its length byte and holds at most 63 letters;
		 * keep at least 2 bytes for the next one. */
		unsigned label = left - 1 > 63 ? 63 : left - 1;

		if (left - 1 > 63 && left - 1 - 63 < 2)
			label = 61;
		out[n++] = (uint8_t)label;
		for (unsigned i = 0; i < label; i++)
			out[n++] = (uint8_t)('a' + tg_rng_below(rng, 26));
		left -= label + 1;
	}
	return n;
}

/* The question of a DNS query whose whole length is query_len: a random
 * name under .com whose wire length makes up the rest. */
static unsigned
dns_question(uint64_t seed, uint32_t query_len, uint8_t *q)
{
	struct tg_rng rng;
	unsigned name_len = query_len - DNS_HDR_LEN - DNS_QTAIL_LEN;
	unsigned n;

	tg_rng_seed(&rng, seed, 2);
	/* "\3com" and the root take 5 bytes of the name. */
	n = tg_pay_dns_labels(&rng, name_len - 4 - 1, q);
	memcpy(q + n, "\3com", 4);
	n += 4;
	q[n++] = 0;
	put16(q + n, 1);	/* QTYPE A */
	put16(q + n + 2, 1);	/* QCLASS IN */
	return n + DNS_QTAIL_LEN;
}

/* A DNS message's header and question; answers follow (dns_answer). */
static unsigned
dns_head(uint64_t seed, uint32_t query_len, bool response, uint32_t answers,
	 uint8_t *m)
{
	memset(m, 0, DNS_HDR_LEN);
	put16(m, (uint16_t)seed);			/* transaction id */
	put16(m + 2, response ? 0x8180 : 0x0100);	/* RD (RA) */
	put16(m + 4, 1);				/* one question */
	put16(m + 6, (uint16_t)answers);
	return DNS_HDR_LEN + dns_question(seed, query_len, m + DNS_HDR_LEN);
}

static void
dns_answer(uint64_t seed, uint32_t a, uint8_t *r)
{
	put16(r, 0xc00c);			/* the question's name */
	put16(r + 2, 1);			/* A */
	put16(r + 4, 1);			/* IN */
	put16(r + 6, 0);
	put16(r + 8, 300);			/* TTL */
	put16(r + 10, 4);
	r[12] = 198;				/* 198.51.100.0/24, */
	r[13] = 51;				/* documentation range */
	r[14] = 100;
	r[15] = mix_byte(seed, a);
}

/* A DNS message at message offset `at`: its question makes up query_len
 * bytes, then `answers` records. */
static void
dns_write(const struct tg_slice *s, uint32_t at, uint64_t seed,
	  uint32_t query_len, bool response, uint32_t answers)
{
	uint8_t m[DNS_HDR_LEN + DNS_MAX_NAME + DNS_QTAIL_LEN];
	uint8_t r[DNS_ANSWER_LEN];
	uint32_t first = 0;

	tg_pay_copy(s, at, m, dns_head(seed, query_len, response, answers, m));
	if (s->offset > at + query_len)
		first = (s->offset - at - query_len) / DNS_ANSWER_LEN;
	for (uint32_t a = first; a < answers; a++) {
		uint32_t ra = at + query_len + a * DNS_ANSWER_LEN;

		if (ra >= s->offset + s->len)
			break;
		dns_answer(seed, a, r);
		tg_pay_copy(s, ra, r, DNS_ANSWER_LEN);
	}
}

static void
fill_dns(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	uint32_t query_len = msg->dir == TG_DIR_C2S ? msg->total
						     : msg->request_len;
	uint32_t answers = msg->dir == TG_DIR_C2S
				   ? 0
				   : (msg->total - query_len) / DNS_ANSWER_LEN;

	memset(s->out, 0, s->len);
	dns_write(s, 0, msg->seed, query_len, msg->dir != TG_DIR_C2S, answers);
}

/* DNS over TCP: the query length without its 2-byte prefix. A response
 * with no query before it (a capture began mid-flow) answers a shortest
 * one. */
static uint32_t
dns_tcp_query_len(const struct tg_payload_msg *msg)
{
	uint32_t least = DNS_HDR_LEN + DNS_MIN_NAME + DNS_QTAIL_LEN;

	if (msg->dir == TG_DIR_C2S)
		return msg->total - DNS_TCP_PREFIX;
	if (msg->request_len < DNS_TCP_PREFIX + least ||
	    msg->request_len > DNS_TCP_PREFIX + DNS_HDR_LEN + DNS_MAX_NAME +
				       DNS_QTAIL_LEN)
		return least;
	return msg->request_len - DNS_TCP_PREFIX;
}

static void
fill_dns_tcp(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	uint32_t query_len = dns_tcp_query_len(msg);
	uint32_t answers = 0;
	uint8_t prefix[DNS_TCP_PREFIX];

	if (msg->dir != TG_DIR_C2S)
		answers = (msg->total - DNS_TCP_PREFIX - query_len) /
			  DNS_ANSWER_LEN;
	memset(s->out, 0, s->len);
	put16(prefix, (uint16_t)(msg->total - DNS_TCP_PREFIX));
	tg_pay_copy(s, 0, prefix, DNS_TCP_PREFIX);
	dns_write(s, DNS_TCP_PREFIX, msg->seed, query_len,
		  msg->dir != TG_DIR_C2S, answers);
}

/* NTPv4 (RFC 5905): a 48-byte header, optionally a key ID and an MD5 or
 * SHA-1 digest (68 or 72 bytes), the sizes seen on the wire. */
#define NTP_LEN 48
#define NTP_MD5_LEN 68
#define NTP_SHA1_LEN 72
/* 2026-01-01 in NTP era 0 seconds (1900 epoch); clocks fall in the year
 * after it. */
#define NTP_BASE 3976214400u
#define NTP_YEAR 31536000u

static void
ntp_stamp(uint8_t *p, uint64_t t)
{
	tg_pay_put32(p, (uint32_t)(t >> 32));
	tg_pay_put32(p + 4, (uint32_t)t);
}

/* Client (mode 3, SNTP-style: only the transmit time) and server (mode 4,
 * stratum 2, its reference clock, the client's transmit time echoed as
 * origin, receive and transmit a few microseconds apart). A response
 * shares its request's seed, so the origin matches. */
static void
ntp_message(const struct tg_payload_msg *msg, uint8_t *m)
{
	struct tg_rng rng;
	uint64_t sent, rx;
	uint32_t poll;

	tg_rng_seed(&rng, msg->seed, 3);
	/* 64-bit NTP time: seconds . fraction. */
	sent = ((uint64_t)(NTP_BASE + tg_rng_below(&rng, NTP_YEAR)) << 32) |
	       (uint32_t)tg_rng_next(&rng);
	poll = 6 + tg_rng_below(&rng, 5);	/* 64 s .. 1024 s */
	memset(m, 0, NTP_SHA1_LEN);
	if (msg->dir == TG_DIR_C2S) {
		m[0] = 0x23;			/* LI 0, VN 4, mode 3 */
		m[2] = (uint8_t)poll;
		m[3] = 0xe9;			/* precision 2^-23 */
		ntp_stamp(m + 40, sent);
	} else {
		/* Received 1 .. 65 ms later (one-way delay and clock
		 * offset), answered 2 us after. */
		rx = sent + ((uint64_t)(1 + tg_rng_below(&rng, 64)) << 32) /
				    1000;
		m[0] = 0x24;			/* LI 0, VN 4, mode 4 */
		m[1] = 2;			/* stratum */
		m[2] = (uint8_t)poll;
		m[3] = 0xe7;			/* precision 2^-25 */
		tg_pay_put32(m + 4, 0x100 + tg_rng_below(&rng, 0x800));
		tg_pay_put32(m + 8, 0x200 + tg_rng_below(&rng, 0x1000));
		m[12] = 192;			/* reference: 192.0.2.0/24 */
		m[14] = 2;
		m[15] = (uint8_t)(1 + tg_rng_below(&rng, 254));
		ntp_stamp(m + 16, sent - ((uint64_t)(16 +
				tg_rng_below(&rng, 1024)) << 32));
		ntp_stamp(m + 24, sent);	/* origin: the request */
		ntp_stamp(m + 32, rx);
		ntp_stamp(m + 40, rx + 8590);	/* 2 us */
	}
	if (msg->total > NTP_LEN) {
		tg_pay_put32(m + NTP_LEN, 1 + tg_rng_below(&rng, 64));
		for (unsigned i = NTP_LEN + 4; i < NTP_SHA1_LEN; i++)
			m[i] = mix_byte(msg->seed ^ msg->dir, i);
	}
}

static void
fill_ntp(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	uint8_t m[NTP_SHA1_LEN];

	ntp_message(msg, m);
	memset(s->out, 0, s->len);
	tg_pay_copy(s, 0, m, msg->total < NTP_SHA1_LEN ? msg->total
						       : NTP_SHA1_LEN);
}

static uint32_t
ntp_len(uint32_t wanted)
{
	if (wanted < (NTP_LEN + NTP_MD5_LEN) / 2)
		return NTP_LEN;
	return wanted < (NTP_MD5_LEN + NTP_SHA1_LEN) / 2 ? NTP_MD5_LEN
							 : NTP_SHA1_LEN;
}

static uint32_t
clamp(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

/* DNS over TCP: prefix + query, or prefix + the query + whole answers. */
static uint32_t
dns_tcp_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	uint32_t q, answers;

	wanted = wanted > DNS_TCP_PREFIX ? wanted - DNS_TCP_PREFIX : 0;
	if (msg->dir == TG_DIR_C2S)
		return DNS_TCP_PREFIX +
		       clamp(wanted, DNS_HDR_LEN + DNS_MIN_NAME + DNS_QTAIL_LEN,
			     DNS_HDR_LEN + DNS_MAX_NAME + DNS_QTAIL_LEN);
	q = dns_tcp_query_len(msg);
	answers = wanted > q ? (wanted - q + DNS_ANSWER_LEN / 2) /
				       DNS_ANSWER_LEN
			     : 0;
	return DNS_TCP_PREFIX + q +
	       clamp(answers, 1, DNS_TCP_MAX_ANSWERS) * DNS_ANSWER_LEN;
}

static uint32_t
http_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	char head[HEAD_MAX];
	uint32_t least;

	if (msg->dir == TG_DIR_C2S) {
		least = http_request_head(msg->seed, head) + 1 +
			(uint32_t)strlen(http_req_tail);
		return wanted > least ? wanted : least;
	}
	least = http_response_head(0, head);
	return http_response_len(wanted > least ? wanted : least);
}

static uint32_t
dns_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	uint32_t answers;

	if (msg->dir == TG_DIR_C2S)
		return clamp(wanted,
			     DNS_HDR_LEN + DNS_MIN_NAME + DNS_QTAIL_LEN,
			     DNS_HDR_LEN + DNS_MAX_NAME + DNS_QTAIL_LEN);
	answers = wanted > msg->request_len
			  ? (wanted - msg->request_len + DNS_ANSWER_LEN / 2) /
				    DNS_ANSWER_LEN
			  : 0;
	return msg->request_len +
	       clamp(answers, 1, DNS_MAX_ANSWERS) * DNS_ANSWER_LEN;
}

static uint32_t
ntp_message_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	(void)msg;
	return ntp_len(wanted);
}

/* Opaque data: keystream, but for a zero first byte in every packet,
 * which keeps Wireshark's heuristic dissectors (RTCP, WireGuard, CLTP,
 * Thrift...) from claiming, then calling malformed, opaque data. That
 * zero is also the top of a classic STUN message type (RFC 3489), which
 * Wireshark tries on any port, taking bytes 2-3 for the length of what
 * follows its 20-byte header: so those bytes never say that. */
#define CLASSIC_STUN_HDR 20u

static void
fill_random(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	tg_pay_random(s, 0, s->offset + s->len, msg->seed);
	if (s->len == 0)
		return;
	s->out[0] = 0;
	if (s->len < 4) {
		not_opaque(s, 1);
		return;
	}
	if ((uint32_t)tg_get_be16(s->out + 2) + CLASSIC_STUN_HDR == s->len)
		s->out[2] ^= 0x80;
	not_opaque(s, 4);	/* a reel's fresh bodies keep them */
}

static void
fill_zero(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	(void)msg;
	memset(s->out, 0, s->len);
}

static const struct tg_pay_kind zero = { NULL, fill_zero };
static const struct tg_pay_kind random_bytes = { NULL, fill_random };
static const struct tg_pay_kind http = { http_len, fill_http };
static const struct tg_pay_kind dns = { dns_len, fill_dns };
static const struct tg_pay_kind dns_tcp = { dns_tcp_len, fill_dns_tcp };
static const struct tg_pay_kind ntp = { ntp_message_len, fill_ntp };

/* Every kind's synthesizer, by enum tg_payload_kind. */
static const struct tg_pay_kind *const kinds[TG_PAYLOAD_KINDS] = {
	[TG_PAYLOAD_ZERO] = &zero,
	[TG_PAYLOAD_RANDOM] = &random_bytes,
	[TG_PAYLOAD_HTTP] = &http,
	[TG_PAYLOAD_DNS] = &dns,
	[TG_PAYLOAD_TLS] = &tg_pay_tls,
	[TG_PAYLOAD_SSH] = &tg_pay_ssh,
	[TG_PAYLOAD_NTP] = &ntp,
	[TG_PAYLOAD_DNS_TCP] = &dns_tcp,
	[TG_PAYLOAD_QUIC] = &tg_pay_quic,
	[TG_PAYLOAD_SMTP] = &tg_pay_smtp,
	[TG_PAYLOAD_SYSLOG] = &tg_pay_syslog,
	[TG_PAYLOAD_NBNS] = &tg_pay_nbns,
	[TG_PAYLOAD_NBSS] = &tg_pay_nbss,
	[TG_PAYLOAD_SMB] = &tg_pay_smb,
	[TG_PAYLOAD_DHCP] = &tg_pay_dhcp,
	[TG_PAYLOAD_SNMP] = &tg_pay_snmp,
	[TG_PAYLOAD_IKE] = &tg_pay_ike,
};

/* An unknown kind's messages are zeros. */
static const struct tg_pay_kind *
kind_of(uint8_t kind)
{
	return kind < TG_PAYLOAD_KINDS && kinds[kind] != NULL ? kinds[kind]
							      : &zero;
}

uint32_t
tg_payload_message_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	const struct tg_pay_kind *k = kind_of(msg->kind);

	return k->len != NULL ? k->len(msg, wanted) : wanted;
}

uint32_t
tg_payload_fill(const struct tg_payload_msg *msg, uint32_t offset,
		uint8_t *out, uint32_t len)
{
	uint32_t opaque_from = len;
	const struct tg_slice s = { .offset = offset, .len = len, .out = out,
				    .ks = msg->ks,
				    .opaque_from = &opaque_from };

	kind_of(msg->kind)->fill(msg, &s);
	return opaque_from;
}
