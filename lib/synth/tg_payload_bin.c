/* SPDX-License-Identifier: BSD-3-Clause
 * Binary protocols of the LAN and the data centre: NetBIOS name service
 * (RFC 1002 4.2), NetBIOS sessions (RFC 1002 4.3) and SMB over TCP
 * carrying SMB 3 encrypted messages (MS-SMB2 2.2.41), DHCP (RFC 2131) and
 * SNMPv2c (RFC 3416, BER), IKEv2 (RFC 7296) messages of an established SA.
 * Each message is one a parser accepts, and its
 * length goes where the protocol allows one to vary (a name's scope,
 * answer records, padding after DHCP's end option, an OID, a value).
 */
#include <stdbool.h>
#include <string.h>

#include "tg_model.h"
#include "tg_payload_int.h"
#include "tg_rng.h"

static uint32_t
at_least(uint32_t v, uint32_t lo)
{
	return v > lo ? v : lo;
}

/* --- NetBIOS name service -------------------------------------------------- */

#define NBNS_HDR 12
#define NBNS_NAME 34		/* 0x20, 32 encoded bytes, the root */
#define NBNS_QUERY (NBNS_HDR + NBNS_NAME + 4)
#define NBNS_ANSWER_FIXED (NBNS_NAME + 10)	/* type .. rdlength */
#define NBNS_ADDR 6		/* NB flags, IPv4 address */
#define NBNS_MAX_SCOPE 200	/* the whole name stays under 255 */
#define NBNS_MAX_ADDRS 64

/* A NetBIOS name (15 letters or spaces, a suffix byte) first-level
 * encoded (RFC 1001 14.1), then the scope of `scope` bytes and the
 * root. Returns the bytes written. */
static unsigned
nbns_name(uint64_t seed, unsigned scope, uint8_t *b)
{
	static const uint8_t suffix[] = { 0x00, 0x20, 0x1b, 0x1c, 0x1d };
	struct tg_rng rng;
	uint8_t name[16];
	unsigned len, n = 0;

	tg_rng_seed(&rng, seed, 8);
	len = 4 + tg_rng_below(&rng, 11);
	for (unsigned i = 0; i < 15; i++)
		name[i] = i < len ? (uint8_t)('A' + tg_rng_below(&rng, 26))
				  : ' ';
	name[15] = suffix[tg_rng_below(&rng, sizeof(suffix))];
	b[n++] = 32;
	for (unsigned i = 0; i < 16; i++) {
		b[n++] = (uint8_t)('A' + (name[i] >> 4));
		b[n++] = (uint8_t)('A' + (name[i] & 15));
	}
	n += tg_pay_dns_labels(&rng, scope, b + n);
	b[n++] = 0;
	return n;
}

static uint32_t
nbns_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	uint32_t addrs;

	if (msg->dir == TG_DIR_C2S) {
		if (wanted <= NBNS_QUERY)
			return NBNS_QUERY;
		if (wanted == NBNS_QUERY + 1)	/* a label needs 2 bytes */
			return NBNS_QUERY + 2;
		return wanted < NBNS_QUERY + NBNS_MAX_SCOPE
			       ? wanted : NBNS_QUERY + NBNS_MAX_SCOPE;
	}
	addrs = wanted > NBNS_HDR + NBNS_ANSWER_FIXED
			? (wanted - NBNS_HDR - NBNS_ANSWER_FIXED +
			   NBNS_ADDR / 2) / NBNS_ADDR : 1;
	addrs = addrs < 1 ? 1 : addrs > NBNS_MAX_ADDRS ? NBNS_MAX_ADDRS : addrs;
	return NBNS_HDR + NBNS_ANSWER_FIXED + addrs * NBNS_ADDR;
}

/* A query for a name (B-node broadcast, recursion desired) or the
 * positive answer with its addresses. */
static void
nbns_fill(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	uint8_t b[NBNS_HDR + NBNS_ANSWER_FIXED + NBNS_MAX_SCOPE + 8];
	bool query = msg->dir == TG_DIR_C2S;
	unsigned n = NBNS_HDR, addrs = 0;

	memset(b, 0, sizeof(b));
	tg_pay_put16(b, (uint16_t)msg->seed);
	tg_pay_put16(b + 2, query ? 0x0110 : 0x8500);
	tg_pay_put16(b + (query ? 4 : 6), 1);
	n += nbns_name(msg->seed, query ? msg->total - NBNS_QUERY : 0, b + n);
	tg_pay_put16(b + n, 0x0020);		/* NB */
	tg_pay_put16(b + n + 2, 1);		/* IN */
	n += 4;
	if (!query) {
		addrs = (msg->total - NBNS_HDR - NBNS_ANSWER_FIXED) / NBNS_ADDR;
		tg_pay_put32(b + n, 300000);	/* TTL */
		tg_pay_put16(b + n + 4, (uint16_t)(addrs * NBNS_ADDR));
		n += 6;
	}
	tg_pay_copy(s, 0, b, n);
	for (unsigned a = 0; a < addrs; a++) {
		uint8_t r[NBNS_ADDR] = { 0x60, 0, 10, 0, 0, 0 };  /* H-node */

		r[3] = tg_pay_mix(msg->seed, 2 * a);
		r[4] = tg_pay_mix(msg->seed, 2 * a + 1);
		r[5] = (uint8_t)(1 + tg_pay_mix(msg->flow_seed, a) % 254);
		tg_pay_copy(s, n + a * NBNS_ADDR, r, NBNS_ADDR);
	}
}

/* --- SMB 3 over TCP, NetBIOS sessions ------------------------------------ */

#define NBSS_HDR 4
#define SMB_TRANSFORM 52
#define SMB_MIN_CIPHER 64	/* an SMB2 header, encrypted */
#define SMB_FRAME_MIN (NBSS_HDR + SMB_TRANSFORM + SMB_MIN_CIPHER)
#define SMB_FRAME_MAX (NBSS_HDR + SMB_TRANSFORM + 0x10000)
#define NBSS_REQUEST (NBSS_HDR + 2 * NBNS_NAME)
#define NBSS_POSITIVE NBSS_HDR

/* Frame k of the message's SMB frames from `at`: a session message
 * holding a TRANSFORM_HEADER (signature and nonce look random, AES-128-GCM,
 * the flow's session) and its ciphertext. */
static void
smb_frame(const struct tg_payload_msg *msg, const struct tg_slice *s,
	  uint32_t at, uint32_t size)
{
	uint8_t h[NBSS_HDR + SMB_TRANSFORM];
	uint32_t cipher = size - sizeof(h);
	uint64_t sid = msg->flow_seed | 1;

	memset(h, 0, sizeof(h));
	tg_pay_put32(h, size - NBSS_HDR);	/* type 0, 24-bit length */
	memcpy(h + 4, "\xfdSMB", 4);
	/* Little endian: original message size, flags, session ID. */
	for (unsigned i = 0; i < 4; i++)
		h[40 + i] = (uint8_t)(cipher >> (8 * i));
	h[46] = 1;				/* encrypted */
	for (unsigned i = 0; i < 8; i++)
		h[48 + i] = (uint8_t)(sid >> (8 * i));
	tg_pay_copy(s, at, h, 8);
	tg_pay_random(s, at + 8, 32, msg->seed ^ 0x5a);
	tg_pay_copy(s, at + 40, h + 40, 16);
	tg_pay_random(s, at + sizeof(h), cipher, msg->seed);
}

static void
smb_frames(const struct tg_payload_msg *msg, const struct tg_slice *s,
	   uint32_t at, uint32_t n)
{
	uint32_t count = (n + SMB_FRAME_MAX - 1) / SMB_FRAME_MAX;

	for (uint32_t k = 0; k < count; k++) {
		uint32_t start, size;

		tg_pay_span(n, SMB_FRAME_MAX, SMB_FRAME_MIN, k, &start, &size);
		if (at + start < s->offset + s->len &&
		    at + start + size > s->offset)
			smb_frame(msg, s, at + start, size);
	}
}

/* NetBIOS session: the client's first message opens it with a session
 * request (called and calling names), the server's is the positive
 * response; SMB frames follow. SMB over TCP (445) has no such head. */
static uint32_t
nbss_head(const struct tg_payload_msg *msg)
{
	if (msg->kind != TG_PAYLOAD_NBSS || msg->index > 0)
		return 0;
	return msg->dir == TG_DIR_C2S ? NBSS_REQUEST : NBSS_POSITIVE;
}

static uint32_t
smb_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	uint32_t head = nbss_head(msg);

	if (head > 0 && wanted <= head + SMB_FRAME_MIN / 2)
		return head;
	return head + at_least(wanted > head ? wanted - head : 0,
			       SMB_FRAME_MIN);
}

static void
smb_fill(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	uint32_t head = nbss_head(msg);

	if (head == NBSS_REQUEST) {
		uint8_t b[NBSS_REQUEST];

		b[0] = 0x81;
		b[1] = 0;
		tg_pay_put16(b + 2, 2 * NBNS_NAME);
		nbns_name(msg->flow_seed ^ 1, 0, b + NBSS_HDR);
		nbns_name(msg->flow_seed ^ 2, 0, b + NBSS_HDR + NBNS_NAME);
		tg_pay_copy(s, 0, b, sizeof(b));
	} else if (head == NBSS_POSITIVE) {
		static const uint8_t ok[NBSS_POSITIVE] = { 0x82, 0, 0, 0 };

		tg_pay_copy(s, 0, ok, sizeof(ok));
	}
	if (msg->total > head)
		smb_frames(msg, s, head, msg->total - head);
}

/* --- DHCP ------------------------------------------------------------------ */

#define DHCP_FIXED 240		/* BOOTP header and the magic cookie */
#define DHCP_OPTS 64
#define DHCP_MIN 300		/* BOOTP's minimum message (RFC 1542 2.1) */

/* The options of the client's DISCOVER or REQUEST, the server's OFFER or
 * ACK, up to the end option. */
static unsigned
dhcp_options(const struct tg_payload_msg *msg, uint8_t *o, uint8_t *mac)
{
	static const uint8_t params[] = { 55, 6, 1, 3, 6, 15, 28, 42 };
	bool c2s = msg->dir == TG_DIR_C2S, first = msg->index == 0;
	unsigned n = 0;

	o[n++] = 53;
	o[n++] = 1;
	o[n++] = c2s ? (first ? 1 : 3) : (first ? 2 : 5);
	if (c2s) {
		o[n++] = 61;			/* client identifier */
		o[n++] = 7;
		o[n++] = 1;
		memcpy(o + n, mac, 6);
		n += 6;
		memcpy(o + n, params, sizeof(params));
		n += sizeof(params);
	} else {
		static const uint8_t srv[] = {
			54, 4, 10, 0, 0, 1, 51, 4, 0, 1, 0x51, 0x80,
			1, 4, 255, 255, 0, 0, 3, 4, 10, 0, 0, 1,
			6, 4, 10, 0, 0, 1,
		};
		memcpy(o + n, srv, sizeof(srv));
		n += sizeof(srv);
	}
	o[n++] = 255;				/* end */
	return n;
}

static void
dhcp_fill(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	uint8_t b[DHCP_FIXED + DHCP_OPTS], mac[6];
	bool c2s = msg->dir == TG_DIR_C2S;
	unsigned n;

	memset(b, 0, sizeof(b));
	for (unsigned i = 0; i < 6; i++)
		mac[i] = tg_pay_mix(msg->flow_seed, i);
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);	/* local unicast */
	b[0] = c2s ? 1 : 2;			/* BOOTREQUEST / REPLY */
	b[1] = 1;				/* Ethernet */
	b[2] = 6;
	tg_pay_put32(b + 4, (uint32_t)msg->flow_seed);	/* xid */
	if (!c2s) {				/* yiaddr: 10.0.x.y */
		b[16] = 10;
		b[18] = mac[4];
		b[19] = (uint8_t)(1 + mac[5] % 254);
	}
	memcpy(b + 28, mac, 6);			/* chaddr */
	memcpy(b + 236, "\x63\x82\x53\x63", 4);	/* magic cookie */
	n = DHCP_FIXED + dhcp_options(msg, b + DHCP_FIXED, mac);
	memset(s->out, 0, s->len);		/* padding after the end */
	tg_pay_copy(s, 0, b, n);
}

/* --- SNMPv2c --------------------------------------------------------------- */

#define SNMP_MAX 1400
#define SNMP_TEXT_MAX 1300
#define SNMP_ARCS_MAX 120

/* A BER tag and length for `len` content bytes; returns its size. */
static unsigned
ber_tl(uint8_t *b, uint8_t tag, uint32_t len)
{
	b[0] = tag;
	if (len < 0x80) {
		b[1] = (uint8_t)len;
		return 2;
	}
	if (len < 0x100) {
		b[1] = 0x81;
		b[2] = (uint8_t)len;
		return 3;
	}
	b[1] = 0x82;
	tg_pay_put16(b + 2, (uint16_t)len);
	return 4;
}

static unsigned
ber_tl_len(uint32_t len)
{
	return len < 0x80 ? 2 : len < 0x100 ? 3 : 4;
}

/* The message around a varbind: its size given the varbind's, and the
 * header written before it (NULL b: size only). A request is a
 * GetRequest, a response a GetResponse with no error. */
static unsigned
snmp_wrap(const struct tg_payload_msg *msg, uint32_t vb, uint8_t *b)
{
	uint8_t pdu[16];
	uint32_t id = (uint32_t)msg->seed & 0x7fffffff, list, body, all;
	unsigned p = 0, n = 0;

	pdu[p++] = 2;				/* request-id, 4 bytes */
	pdu[p++] = 4;
	tg_pay_put32(pdu + p, id | 0x01000000);
	p += 4;
	memcpy(pdu + p, "\x02\x01\x00\x02\x01\x00", 6);	/* errors: 0 */
	p += 6;
	list = vb;
	body = p + ber_tl_len(list) + list;
	all = 3 + 8 + ber_tl_len(body) + body;	/* version, community */
	if (b == NULL)
		return ber_tl_len(all) + all - vb;
	n += ber_tl(b + n, 0x30, all);
	memcpy(b + n, "\x02\x01\x01\x04\x06public", 11);	/* v2c */
	n += 11;
	n += ber_tl(b + n, msg->dir == TG_DIR_C2S ? 0xa0 : 0xa2, body);
	memcpy(b + n, pdu, p);
	n += p;
	n += ber_tl(b + n, 0x30, list);
	return n;
}

/* A varbind with `pad` bytes of slack: for a request an OID with as many
 * more arcs and a NULL value, for a response sysDescr.0 and a text of
 * that many characters. Returns its size; b NULL: size only. */
static unsigned
snmp_varbind(const struct tg_payload_msg *msg, uint32_t pad, uint8_t *b)
{
	static const uint8_t sys_descr[] = { 0x2b, 6, 1, 2, 1, 1, 1, 0 };
	uint8_t v[SNMP_MAX];
	unsigned n = 0, oid;

	if (msg->dir == TG_DIR_C2S) {
		oid = sizeof(sys_descr) + pad;
		n += ber_tl(v + n, 6, oid);
		memcpy(v + n, sys_descr, sizeof(sys_descr) - 1);
		for (unsigned i = 0; i < pad; i++)	/* arcs 1 .. 127 */
			v[n + 7 + i] = (uint8_t)(1 + tg_pay_mix(msg->seed, i) %
						   127);
		v[n + oid - 1] = 0;
		n += oid;
		v[n++] = 5;			/* NULL */
		v[n++] = 0;
	} else {
		n += ber_tl(v + n, 6, sizeof(sys_descr));
		memcpy(v + n, sys_descr, sizeof(sys_descr));
		n += sizeof(sys_descr);
		n += ber_tl(v + n, 4, pad);
		memcpy(v + n, "Linux ", pad < 6 ? pad : 6);
		for (unsigned i = 6; i < pad; i++)
			v[n + i] = (uint8_t)('a' + tg_pay_mix(msg->seed, i) %
						    26);
		n += pad;
	}
	if (b == NULL)
		return ber_tl_len(n) + n;
	memcpy(b + ber_tl(b, 0x30, n), v, n);
	return ber_tl_len(n) + n;
}

static uint32_t
snmp_total(const struct tg_payload_msg *msg, uint32_t pad)
{
	uint32_t vb = snmp_varbind(msg, pad, NULL);

	return snmp_wrap(msg, vb, NULL) + vb;
}

/* The slack that makes the message `total` bytes, or the largest that
 * stays below it (a BER length gaining a byte skips a size). */
static uint32_t
snmp_pad(const struct tg_payload_msg *msg, uint32_t total)
{
	uint32_t max = msg->dir == TG_DIR_C2S ? SNMP_ARCS_MAX : SNMP_TEXT_MAX;
	uint32_t pad = 0;

	while (pad < max && snmp_total(msg, pad + 1) <= total)
		pad++;
	return pad;
}

static uint32_t
snmp_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	uint32_t pad = snmp_pad(msg, wanted);

	if (snmp_total(msg, pad) < wanted && pad < SNMP_ARCS_MAX)
		pad++;
	return snmp_total(msg, pad);
}

static void
snmp_fill(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	uint8_t b[SNMP_MAX + 64];
	uint32_t pad = snmp_pad(msg, msg->total);
	unsigned n = snmp_wrap(msg, snmp_varbind(msg, pad, NULL), b);

	n += snmp_varbind(msg, pad, b + n);
	memset(s->out, 0, s->len);
	tg_pay_copy(s, 0, b, n);
}

/* --- IKEv2 ------------------------------------------------------------------ */

/* Messages of an IKE SA already set up (RFC 7296 3.1, 3.14): the header,
 * then one Encrypted and Authenticated payload of IV, ciphertext and ICV
 * (keystream bytes) taking the rest. Both SPIs come from the flow; the
 * message ID counts the exchanges, the response flag marks the server's. */
#define IKE_HDR 28
#define IKE_SK_HDR 4
#define IKE_MIN (IKE_HDR + IKE_SK_HDR + 16)	/* an IV at least */
#define IKE_NEXT_SK 46
#define IKE_VERSION_2 0x20
#define IKE_INFORMATIONAL 37
#define IKE_FLAG_INITIATOR 0x08
#define IKE_FLAG_RESPONSE 0x20

static void
ike_fill(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	uint8_t b[IKE_HDR + IKE_SK_HDR];
	struct tg_rng rng;
	bool response = msg->dir == TG_DIR_S2C;

	tg_rng_seed(&rng, msg->flow_seed, 9);
	tg_pay_put32(b, (uint32_t)tg_rng_next(&rng) | 1);	/* SPIs: */
	tg_pay_put32(b + 4, (uint32_t)tg_rng_next(&rng));	/* never 0 */
	tg_pay_put32(b + 8, (uint32_t)tg_rng_next(&rng) | 1);
	tg_pay_put32(b + 12, (uint32_t)tg_rng_next(&rng));
	b[16] = IKE_NEXT_SK;
	b[17] = IKE_VERSION_2;
	b[18] = IKE_INFORMATIONAL;
	b[19] = response ? IKE_FLAG_RESPONSE : IKE_FLAG_INITIATOR;
	tg_pay_put32(b + 20, msg->index);	/* message ID */
	tg_pay_put32(b + 24, msg->total);
	b[28] = 0;				/* next payload: none */
	b[29] = 0;				/* not critical */
	tg_pay_put16(b + 30, (uint16_t)(msg->total - IKE_HDR));
	tg_pay_copy(s, 0, b, sizeof(b));
	tg_pay_random(s, sizeof(b), msg->total - sizeof(b), msg->seed);
}

/* --- Entry points ---------------------------------------------------------- */

static uint32_t
dhcp_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	(void)msg;
	return at_least(wanted, DHCP_MIN);
}

/* The SK payload's length is 16 bits. */
static uint32_t
ike_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	(void)msg;
	return wanted < IKE_MIN ? IKE_MIN
	       : wanted > UINT16_MAX ? UINT16_MAX : wanted;
}

const struct tg_pay_kind tg_pay_nbns = { nbns_len, nbns_fill };
/* NetBIOS session set-up, then SMB 3 (port 139); SMB 3 alone (445). */
const struct tg_pay_kind tg_pay_nbss = { smb_len, smb_fill };
const struct tg_pay_kind tg_pay_smb = { smb_len, smb_fill };
const struct tg_pay_kind tg_pay_dhcp = { dhcp_len, dhcp_fill };
const struct tg_pay_kind tg_pay_snmp = { snmp_len, snmp_fill };
const struct tg_pay_kind tg_pay_ike = { ike_len, ike_fill };
