/* SPDX-License-Identifier: BSD-3-Clause
 * Text protocols: SMTP (RFC 5321 commands and replies, an RFC 5322
 * message after DATA) and syslog (RFC 3164 over UDP). A message of any
 * sampled length keeps its protocol's shape: the length goes into text a
 * parser allows to vary (a host or mailbox name, a reply's text, extra
 * lines of a multiline reply, pipelined NOOPs, the mail body's lines).
 */
#include <stdbool.h>
#include <string.h>

#include "tg_model.h"
#include "tg_payload_int.h"
#include "tg_rng.h"

/* --- Words and lines ------------------------------------------------------ */

static bool
is_space(uint64_t seed, uint32_t q)
{
	return q > 0 && tg_pay_mix(seed, q) % 6 == 0 &&
	       tg_pay_mix(seed, q - 1) % 6 != 0;
}

void
tg_pay_words(const struct tg_slice *s, uint32_t at, uint32_t n,
	     uint64_t seed)
{
	uint64_t lo = at > s->offset ? at : s->offset;
	uint64_t hi = (uint64_t)s->offset + s->len;

	if ((uint64_t)at + n < hi)
		hi = (uint64_t)at + n;
	for (uint64_t p = lo; p < hi; p++) {
		uint32_t q = (uint32_t)(p - at);
		char c = (char)('a' + tg_pay_mix(~seed, q) % 26);

		if (q + 1 < n && is_space(seed, q))
			c = ' ';
		s->out[p - s->offset] = (uint8_t)c;
	}
}

void
tg_pay_lines(const struct tg_slice *s, uint32_t at, uint32_t n,
	     const char *prefix, uint64_t seed)
{
	uint32_t plen = (uint32_t)strlen(prefix), rmin = plen + 3;
	uint32_t count = (n + TG_PAY_LINE - 1) / TG_PAY_LINE, k = 0;
	uint32_t start, size;
	uint8_t line[2 * TG_PAY_LINE];

	if (n == 0)
		return;
	/* Only the last two lines move when the last is topped up. */
	if (s->offset > at + TG_PAY_LINE)
		k = (s->offset - at) / TG_PAY_LINE - 1;
	for (; k < count; k++) {
		uint32_t unused;
		struct tg_slice ls = { .len = sizeof(line), .out = line,
				       .opaque_from = &unused };

		tg_pay_span(n, TG_PAY_LINE, rmin, k, &start, &size);
		if (at + start >= s->offset + s->len)
			break;
		memcpy(line, prefix, plen);
		tg_pay_words(&ls, plen, size - plen - 2,
			     seed ^ ((uint64_t)k << 40));
		line[size - 2] = '\r';
		line[size - 1] = '\n';
		tg_pay_copy(s, at + start, line, size);
	}
}

/* --- SMTP ----------------------------------------------------------------- */

#define SMTP_PAD_MAX 400	/* a main line's name or text grows this far */
#define SMTP_PART 512
/* Client messages: EHLO, then MAIL, RCPT, DATA, the mail, QUIT, again.
 * Server: the greeting, the EHLO reply, then a reply to each. */
enum smtp_part { SMTP_EHLO, SMTP_MAIL, SMTP_RCPT, SMTP_DATA, SMTP_BODY,
		 SMTP_QUIT };
#define SMTP_CYCLE 5

/* What the names of a session draw from its seed: the same in every
 * message, so replies and headers agree with the commands. */
struct smtp_names {
	char server[16];	/* the mail domain */
	char client[16];	/* the sending host's domain */
	char from[12];
	char to[12];
	char queue_id[12];
};

static void
smtp_word(struct tg_rng *rng, char *out, unsigned min, unsigned spread)
{
	unsigned len = min + tg_rng_below(rng, spread);

	for (unsigned i = 0; i < len; i++)
		out[i] = (char)('a' + tg_rng_below(rng, 26));
	out[len] = '\0';
}

static void
smtp_names(uint64_t seed, struct smtp_names *n)
{
	struct tg_rng rng;

	tg_rng_seed(&rng, seed, 5);
	smtp_word(&rng, n->server, 4, 8);
	smtp_word(&rng, n->client, 4, 8);
	smtp_word(&rng, n->from, 3, 6);
	smtp_word(&rng, n->to, 3, 6);
	for (unsigned i = 0; i < 10; i++)
		n->queue_id[i] = "0123456789ABCDEF"[tg_rng_below(&rng, 16)];
	n->queue_id[10] = '\0';
}

/* A message's main part: pre, up to pad_max letters, suf; `filler` is
 * the prefix of the lines that go before it when it is too short. */
struct smtp_main {
	char pre[128];
	char suf[160];
	uint32_t pad_max;
	const char *filler;
};

static void
smtp_client_main(enum smtp_part part, const struct smtp_names *n,
		 struct smtp_main *m)
{
	static const char *const verb[] = { "EHLO mx", "MAIL FROM:<",
					    "RCPT TO:<", "DATA", "", "QUIT" };
	struct tg_text pre, suf;

	m->filler = "NOOP ";		/* pipelined before the command */
	m->pad_max = part == SMTP_DATA || part == SMTP_QUIT ? 0 : SMTP_PAD_MAX;
	tg_text_init(&pre, m->pre, sizeof(m->pre));
	tg_text_str(&pre, verb[part]);
	tg_text_str(&pre, part == SMTP_MAIL ? n->from
			  : part == SMTP_RCPT ? n->to : "");
	tg_text_init(&suf, m->suf, sizeof(m->suf));
	if (part == SMTP_EHLO || part == SMTP_MAIL) {
		tg_text_str(&suf, part == SMTP_EHLO ? "." : "@");
		tg_text_str(&suf, n->client);
		tg_text_str(&suf, part == SMTP_EHLO ? ".org" : ".org>");
	} else if (part == SMTP_RCPT) {
		tg_text_str(&suf, "@");
		tg_text_str(&suf, n->server);
		tg_text_str(&suf, ".com>");
	}
	tg_text_str(&suf, "\r\n");
}

static void
smtp_server_main(uint16_t index, const struct smtp_names *n,
		 struct smtp_main *m)
{
	static const char *const reply[] = {
		"250 2.1.0 Ok", "250 2.1.5 Ok",
		"354 End data with <CR><LF>.<CR><LF>", "250 2.0.0 Ok: queued as ",
		"221 2.0.0 Bye",
	};
	unsigned r = index < 2 ? 0 : (index - 2) % SMTP_CYCLE;
	struct tg_text pre, suf;

	m->pad_max = SMTP_PAD_MAX;
	tg_text_init(&pre, m->pre, sizeof(m->pre));
	tg_text_init(&suf, m->suf, sizeof(m->suf));
	tg_text_str(&suf, "\r\n");
	if (index < 2) {
		m->filler = index == 0 ? "220-" : "250-";
		tg_text_str(&pre, index == 0 ? "220 mail." : "250-mail.");
		tg_text_str(&pre, n->server);
		tg_text_str(&pre, index == 0 ? ".com ESMTP " : ".com Hello ");
		if (index == 1)
			tg_text_str(&suf, "250-PIPELINING\r\n"
				    "250-SIZE 10240000\r\n250-8BITMIME\r\n"
				    "250-ENHANCEDSTATUSCODES\r\n"
				    "250 SMTPUTF8\r\n");
		return;
	}
	m->filler = r == 2 ? "354-" : r == 4 ? "221-" : "250-";
	tg_text_str(&pre, reply[r]);
	tg_text_str(&pre, r == 3 ? n->queue_id : " ");
	if (r == 3)
		m->pad_max = 0;
}

static enum smtp_part
smtp_client_part(uint16_t index)
{
	return index == 0 ? SMTP_EHLO
			  : (enum smtp_part)(SMTP_MAIL +
					     (index - 1) % SMTP_CYCLE);
}

/* The mail's header section, ending in the blank line. */
static unsigned
smtp_headers(uint64_t seed, const struct smtp_names *n, char *h,
	     size_t size)
{
	struct tg_rng rng;
	struct tg_text t;
	char subject[16];
	uint32_t id, day;
	uint32_t time[3];	/* hh:mm:ss */

	tg_rng_seed(&rng, seed, 6);
	smtp_word(&rng, subject, 4, 10);
	/* Drawn last field first: the order a seed has always given. */
	id = (uint32_t)tg_rng_next(&rng);
	for (unsigned i = 3; i-- > 0;)
		time[i] = tg_rng_below(&rng, i == 0 ? 24 : 60);
	day = 1 + tg_rng_below(&rng, 28);
	tg_text_init(&t, h, size);
	tg_text_str(&t, "Date: Mon, ");
	tg_text_uint(&t, day, 0, ' ');
	tg_text_str(&t, " Nov 2026 ");
	for (unsigned i = 0; i < 3; i++) {
		tg_text_uint(&t, time[i], 2, '0');
		tg_text_str(&t, i < 2 ? ":" : " +0000\r\nFrom: <");
	}
	tg_text_str(&t, n->from);
	tg_text_str(&t, "@");
	tg_text_str(&t, n->client);
	tg_text_str(&t, ".org>\r\nTo: <");
	tg_text_str(&t, n->to);
	tg_text_str(&t, "@");
	tg_text_str(&t, n->server);
	tg_text_str(&t, ".com>\r\nSubject: ");
	tg_text_str(&t, subject);
	tg_text_str(&t, "\r\nMessage-ID: <");
	tg_text_hex(&t, id, 8);
	tg_text_str(&t, "@mx.");
	tg_text_str(&t, n->client);
	tg_text_str(&t, ".org>\r\nMIME-Version: 1.0\r\n"
			"Content-Type: text/plain; charset=UTF-8\r\n\r\n");
	return tg_text_len(&t);
}

#define SMTP_BODY_END ".\r\n"
#define SMTP_BODY_LINE_MIN 3	/* a letter and CRLF */

static uint32_t
smtp_body_len(const struct tg_payload_msg *msg, const struct smtp_names *n,
	      uint32_t wanted)
{
	char h[SMTP_PART];
	uint32_t least = smtp_headers(msg->seed, n, h, sizeof(h)) + 3;

	if (wanted <= least)
		return least;
	return wanted - least < SMTP_BODY_LINE_MIN ? least + SMTP_BODY_LINE_MIN
						   : wanted;
}

static void
smtp_body(const struct tg_payload_msg *msg, const struct smtp_names *n,
	  const struct tg_slice *s)
{
	char h[SMTP_PART];
	uint32_t head = smtp_headers(msg->seed, n, h, sizeof(h));

	tg_pay_copy(s, 0, (const uint8_t *)h, head);
	tg_pay_lines(s, head, msg->total - head - 3, "", msg->seed);
	tg_pay_copy(s, msg->total - 3, (const uint8_t *)SMTP_BODY_END, 3);
}

/* Where the filler lines end and the main part begins. */
static uint32_t
smtp_split(const struct smtp_main *m, uint32_t total)
{
	uint32_t least = (uint32_t)(strlen(m->pre) + strlen(m->suf));
	uint32_t rmin = (uint32_t)strlen(m->filler) + 3, fill;

	if (total <= least + m->pad_max)
		return 0;
	fill = total - least - m->pad_max;
	return fill < rmin ? rmin : fill;
}

static uint32_t
smtp_main_len(const struct smtp_main *m, uint32_t wanted)
{
	uint32_t least = (uint32_t)(strlen(m->pre) + strlen(m->suf));
	uint32_t rmin = (uint32_t)strlen(m->filler) + 3;

	if (wanted <= least)
		return least;
	/* Without room in the line, the rest must make whole lines. */
	if (m->pad_max == 0 && wanted - least < rmin)
		return least + rmin;
	return wanted;
}

static void
smtp_main_fill(const struct tg_payload_msg *msg, const struct smtp_main *m,
	       const struct tg_slice *s)
{
	uint32_t fill = smtp_split(m, msg->total);
	uint32_t pre = (uint32_t)strlen(m->pre), suf = (uint32_t)strlen(m->suf);
	uint32_t pad = msg->total - fill - pre - suf;

	tg_pay_lines(s, 0, fill, m->filler, msg->seed);
	tg_pay_copy(s, fill, (const uint8_t *)m->pre, pre);
	/* No spaces: the pad may be part of a host or mailbox name. */
	for (uint32_t i = 0; i < pad; i++) {
		uint32_t p = fill + pre + i;

		if (p >= s->offset && p < s->offset + s->len)
			s->out[p - s->offset] =
				(uint8_t)('a' + tg_pay_mix(msg->seed, p) % 26);
	}
	tg_pay_copy(s, fill + pre + pad, (const uint8_t *)m->suf, suf);
}

/* The main part of the message, or false for the mail itself. */
static bool
smtp_message(const struct tg_payload_msg *msg, const struct smtp_names *n,
	     struct smtp_main *m)
{
	if (msg->dir != TG_DIR_C2S) {
		smtp_server_main(msg->index, n, m);
		return true;
	}
	if (smtp_client_part(msg->index) == SMTP_BODY)
		return false;
	smtp_client_main(smtp_client_part(msg->index), n, m);
	return true;
}

static uint32_t
smtp_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	struct smtp_names n;
	struct smtp_main m;

	smtp_names(msg->flow_seed, &n);
	if (!smtp_message(msg, &n, &m))
		return smtp_body_len(msg, &n, wanted);
	return smtp_main_len(&m, wanted);
}

static void
smtp_fill(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	struct smtp_names n;
	struct smtp_main m;

	smtp_names(msg->flow_seed, &n);
	if (smtp_message(msg, &n, &m))
		smtp_main_fill(msg, &m, s);
	else
		smtp_body(msg, &n, s);
}

/* --- syslog --------------------------------------------------------------- */

#define SYSLOG_HEAD 96

/* "<PRI>Mmm dd hh:mm:ss host app[pid]: " (RFC 3164 4.1); the message
 * text follows. */
static unsigned
syslog_head(uint64_t seed, char *h)
{
	static const char *const apps[] = { "sshd", "kernel", "cron", "sudo",
					     "systemd", "postfix/smtpd" };
	struct tg_rng rng;
	struct tg_text t;
	char host[12];
	uint32_t pid, app, day, pri;
	uint32_t time[3];	/* hh:mm:ss */

	tg_rng_seed(&rng, seed, 7);
	smtp_word(&rng, host, 3, 8);
	/* Drawn last field first: the order a seed has always given. */
	pid = 100 + tg_rng_below(&rng, 32000);
	app = tg_rng_below(&rng, 6);
	for (unsigned i = 3; i-- > 0;)
		time[i] = tg_rng_below(&rng, i == 0 ? 24 : 60);
	day = 1 + tg_rng_below(&rng, 30);
	pri = 8 * (1 + tg_rng_below(&rng, 23));	/* facility ... */
	pri += tg_rng_below(&rng, 8);			/* ... severity */
	tg_text_init(&t, h, SYSLOG_HEAD);
	tg_text_str(&t, "<");
	tg_text_uint(&t, pri, 0, ' ');
	tg_text_str(&t, ">Nov ");
	tg_text_uint(&t, day, 2, ' ');
	for (unsigned i = 0; i < 3; i++) {
		tg_text_str(&t, i == 0 ? " " : ":");
		tg_text_uint(&t, time[i], 2, '0');
	}
	tg_text_str(&t, " ");
	tg_text_str(&t, host);
	tg_text_str(&t, " ");
	tg_text_str(&t, apps[app]);
	tg_text_str(&t, "[");
	tg_text_uint(&t, pid, 0, ' ');
	tg_text_str(&t, "]: ");
	return tg_text_len(&t);
}

static uint32_t
syslog_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	char h[SYSLOG_HEAD];
	uint32_t least = syslog_head(msg->seed, h) + 1;

	return wanted > least ? wanted : least;
}

static void
syslog_fill(const struct tg_payload_msg *msg,
		   const struct tg_slice *s)
{
	char h[SYSLOG_HEAD];
	uint32_t head = syslog_head(msg->seed, h);

	tg_pay_copy(s, 0, (const uint8_t *)h, head);
	tg_pay_words(s, head, msg->total - head, msg->seed);
}

const struct tg_pay_kind tg_pay_smtp = { smtp_len, smtp_fill };
const struct tg_pay_kind tg_pay_syslog = { syslog_len, syslog_fill };
