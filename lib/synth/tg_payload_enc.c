/* SPDX-License-Identifier: BSD-3-Clause
 * Payloads of encrypted protocols: TLS 1.3, SSH 2 and QUIC v1. Their
 * cleartext framing (hellos, banners, record and packet lengths, long
 * headers) is built so that a parser accepts it; what would be ciphertext
 * is AES-128-CTR keystream (tg_pay_random, tg_keystream.h), so entropy and
 * statistics are those of real ciphertext. Short random fields (cookies,
 * nonces, public keys, signatures) use tg_pay_mix.
 */
#include <stdbool.h>
#include <string.h>

#include "tg_model.h"
#include "tg_payload_int.h"
#include "tg_rng.h"

/* --- TLS ------------------------------------------------------------------ */

#define TLS_HDR 5
/* A TLS 1.3 AES-GCM record: 2^14 bytes of plaintext, the inner content
 * type and a 16-byte tag; the shortest holds only type and tag. */
#define TLS_REC_MAX (TLS_HDR + 16384 + 17)
#define TLS_REC_MIN (TLS_HDR + 17)
#define TLS_CCS_LEN 6
#define TLS_TAIL_MIN (TLS_CCS_LEN + TLS_REC_MIN)
/* Longer first messages carry the client's next flight after the hello
 * (ChangeCipherSpec, encrypted records), as a model merges them. */
#define TLS_CH_MAX 2048
#define TLS_SID 32
#define TLS_SH_LEN (95 + TLS_SID)
#define TLS_HELLO_BUF 512	/* a ClientHello without its padding */

static const char *const tls_tlds[] = { "com", "net", "org", "io", "de" };

static unsigned
tls_app_header(uint32_t size, uint8_t *h)
{
	h[0] = 23;				/* application data */
	tg_pay_put16(h + 1, 0x0303);
	tg_pay_put16(h + 3, (uint16_t)(size - TLS_HDR));
	return TLS_HDR;
}

/* What the client's hello draws from the request seed; the server echoes
 * the session ID. */
struct tls_draw {
	uint8_t random[32];
	uint8_t sid[TLS_SID];
	uint8_t key[32];
	unsigned label;		/* host label letters */
	bool www;
	const char *tld;
	struct tg_rng rng;
};

static void
tls_draw(uint64_t seed, struct tls_draw *d)
{
	tg_rng_seed(&d->rng, seed, 4);
	for (unsigned i = 0; i < 32; i++) {
		d->random[i] = (uint8_t)tg_rng_next(&d->rng);
		d->sid[i] = (uint8_t)tg_rng_next(&d->rng);
		d->key[i] = (uint8_t)tg_rng_next(&d->rng);
	}
	d->label = 3 + tg_rng_below(&d->rng, 10);
	d->www = tg_rng_below(&d->rng, 2);
	d->tld = tls_tlds[tg_rng_below(&d->rng, 5)];
}

static unsigned
put_bytes(uint8_t *b, const void *src, unsigned n)
{
	memcpy(b, src, n);
	return n;
}

/* A ClientHello record with a host label of `label` letters and, if
 * pad >= 0, a padding extension of pad zero bytes (not written: they end
 * the record). Returns the bytes written; the record is that + pad. */
static unsigned
tls_client_hello(struct tls_draw *d, unsigned label, int pad, uint8_t *b)
{
	static const uint8_t suites[] = {
		0x00, 0x1e, 0x13, 0x01, 0x13, 0x02, 0x13, 0x03, 0xc0, 0x2b,
		0xc0, 0x2f, 0xc0, 0x2c, 0xc0, 0x30, 0xcc, 0xa9, 0xcc, 0xa8,
		0xc0, 0x13, 0xc0, 0x14, 0x00, 0x9c, 0x00, 0x9d, 0x00, 0x2f,
		0x00, 0x35, 0x01, 0x00,		/* compression: null */
	};
	/* extended_master_secret, renegotiation_info, supported_groups,
	 * ec_point_formats, session_ticket, ALPN h2/http1.1,
	 * status_request, signature_algorithms. */
	static const uint8_t mid[] = {
		0x00, 0x17, 0x00, 0x00, 0xff, 0x01, 0x00, 0x01, 0x00,
		0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17,
		0x00, 0x18, 0x00, 0x0b, 0x00, 0x02, 0x01, 0x00, 0x00, 0x23,
		0x00, 0x00, 0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h',
		'2', 0x08, 'h', 't', 't', 'p', '/', '1', '.', '1', 0x00,
		0x05, 0x00, 0x05, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0d,
		0x00, 0x12, 0x00, 0x10, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01,
		0x05, 0x03, 0x08, 0x05, 0x05, 0x01, 0x08, 0x06, 0x06, 0x01,
		0x00, 0x33, 0x00, 0x26, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20,
	};
	/* psk_key_exchange_modes, supported_versions 1.3 and 1.2. */
	static const uint8_t tail[] = {
		0x00, 0x2d, 0x00, 0x02, 0x01, 0x01, 0x00, 0x2b, 0x00, 0x05,
		0x04, 0x03, 0x04, 0x03, 0x03,
	};
	struct tg_rng rng = d->rng;	/* the same letters for any size */
	unsigned n = 11, ext, host, total;

	b[0] = 22;				/* handshake */
	tg_pay_put16(b + 1, 0x0301);		/* as clients send it */
	b[5] = 1;				/* ClientHello */
	tg_pay_put16(b + 9, 0x0303);
	n += put_bytes(b + n, d->random, 32);
	b[n++] = TLS_SID;
	n += put_bytes(b + n, d->sid, TLS_SID);
	n += put_bytes(b + n, suites, sizeof(suites));
	ext = n;
	n += 2;
	/* server_name: [www.]label.tld */
	host = n + 9;
	if (d->www)
		host += put_bytes(b + host, "www.", 4);
	for (unsigned i = 0; i < label; i++)
		b[host++] = (uint8_t)('a' + tg_rng_below(&rng, 26));
	b[host++] = '.';
	host += put_bytes(b + host, d->tld, (unsigned)strlen(d->tld));
	host -= n + 9;
	tg_pay_put16(b + n, 0);
	tg_pay_put16(b + n + 2, (uint16_t)(host + 5));
	tg_pay_put16(b + n + 4, (uint16_t)(host + 3));
	b[n + 6] = 0;				/* host_name */
	tg_pay_put16(b + n + 7, (uint16_t)host);
	n += 9 + host;
	n += put_bytes(b + n, mid, sizeof(mid));
	n += put_bytes(b + n, d->key, 32);
	n += put_bytes(b + n, tail, sizeof(tail));
	if (pad >= 0) {
		tg_pay_put16(b + n, 21);	/* padding (RFC 7685) */
		tg_pay_put16(b + n + 2, (uint16_t)pad);
		n += 4;
	}
	total = n + (pad > 0 ? (unsigned)pad : 0);
	tg_pay_put16(b + 3, (uint16_t)(total - TLS_HDR));
	b[6] = (uint8_t)((total - 9) >> 16);
	tg_pay_put16(b + 7, (uint16_t)(total - 9));
	tg_pay_put16(b + ext, (uint16_t)(total - ext - 2));
	return n;
}

/* The ClientHello of exactly `size` bytes (size >= tls_ch_min): the
 * padding extension takes what is over, the host label what is too little
 * for a padding extension or too much for the shortest hello. */
static unsigned
tls_client_hello_sized(struct tls_draw *d, uint32_t size, uint8_t *b)
{
	uint32_t base = tls_client_hello(d, d->label, -1, b);

	if (size >= base + 4)
		return tls_client_hello(d, d->label, (int)(size - base - 4), b);
	return tls_client_hello(d, d->label + size - base, -1, b);
}

static uint32_t
tls_ch_min(uint64_t seed)
{
	struct tls_draw d;
	uint8_t b[TLS_HELLO_BUF];

	tls_draw(seed, &d);
	return tls_client_hello(&d, 1, -1, b);
}

/* ServerHello for TLS 1.3 (supported_versions, an x25519 key share) with
 * a session ID of sid bytes echoing the client's. */
static unsigned
tls_server_hello(uint64_t seed, unsigned sid, uint8_t *b)
{
	static const uint8_t ext[] = {
		0x13, 0x01, 0x00, 0x00, 0x2e, 0x00, 0x2b, 0x00, 0x02, 0x03,
		0x04, 0x00, 0x33, 0x00, 0x24, 0x00, 0x1d, 0x00, 0x20,
	};
	struct tls_draw d;
	unsigned n = 11;

	tls_draw(seed, &d);
	b[0] = 22;
	tg_pay_put16(b + 1, 0x0303);
	b[5] = 2;				/* ServerHello */
	b[6] = 0;
	tg_pay_put16(b + 9, 0x0303);
	for (unsigned i = 0; i < 32; i++)
		b[n++] = (uint8_t)tg_rng_next(&d.rng);
	b[n++] = (uint8_t)sid;
	n += put_bytes(b + n, d.sid, sid);
	n += put_bytes(b + n, ext, sizeof(ext));
	for (unsigned i = 0; i < 32; i++)
		b[n++] = (uint8_t)tg_rng_next(&d.rng);
	tg_pay_put16(b + 3, (uint16_t)(n - TLS_HDR));
	tg_pay_put16(b + 7, (uint16_t)(n - 9));
	return n;
}

/* After a hello: nothing, a ChangeCipherSpec, or one and encrypted
 * records. `rest` bytes past the hello's longest form; the hello gives up
 * what the tail needs beyond that (at most TLS_TAIL_MIN - 1). */
static uint32_t
tls_tail_len(uint32_t rest)
{
	if (rest == 0)
		return 0;
	if (rest <= TLS_CCS_LEN)
		return TLS_CCS_LEN;
	return rest < TLS_TAIL_MIN ? TLS_TAIL_MIN : rest;
}

static void
tls_tail(const struct tg_slice *s, uint32_t at, uint32_t n, uint64_t seed)
{
	static const uint8_t ccs[TLS_CCS_LEN] = { 20, 3, 3, 0, 1, 1 };

	if (n == 0)
		return;
	tg_pay_copy(s, at, ccs, TLS_CCS_LEN);
	if (n > TLS_CCS_LEN)
		tg_pay_records(s, at + TLS_CCS_LEN, n - TLS_CCS_LEN,
			       TLS_REC_MAX, TLS_REC_MIN, tls_app_header,
			       seed);
}

static uint32_t
tls_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	uint32_t least;

	if (msg->index > 0)
		least = TLS_REC_MIN;
	else if (msg->dir == TG_DIR_C2S)
		least = tls_ch_min(msg->seed);
	else
		least = TLS_SH_LEN - TLS_SID;
	return wanted > least ? wanted : least;
}

static void
tls_fill(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	uint8_t b[TLS_HELLO_BUF];
	uint64_t key = msg->seed ^ ((uint64_t)msg->dir << 63) ^ msg->index;
	uint32_t hello_max, hello, tail;

	if (msg->index > 0) {
		tg_pay_records(s, 0, msg->total, TLS_REC_MAX, TLS_REC_MIN,
			       tls_app_header, key);
		return;
	}
	hello_max = msg->dir == TG_DIR_C2S ? TLS_CH_MAX : TLS_SH_LEN;
	tail = msg->total > hello_max ? tls_tail_len(msg->total - hello_max)
				      : 0;
	hello = msg->total - tail;
	if (msg->dir == TG_DIR_C2S) {
		struct tls_draw d;
		unsigned n;

		tls_draw(msg->seed, &d);
		n = tls_client_hello_sized(&d, hello, b);
		tg_pay_copy(s, 0, b, n);
		tg_pay_zero(s, n, hello - n);	/* the padding's zeros */
	} else {
		tg_pay_copy(s, 0, b,
			    tls_server_hello(msg->seed,
					     TLS_SID - (TLS_SH_LEN - hello), b));
	}
	tls_tail(s, hello, tail, key);
}

/* --- SSH ------------------------------------------------------------------ */

/* A binary packet before keys: length, padding length, payload, padding.
 * After them (chacha20-poly1305, OpenSSH's first choice) all looks random;
 * we keep a length that covers the packet and a small padding length in
 * its first bytes, so that a parser that missed the key exchange (a flow
 * whose capture began late) still frames the packets. */
#define SSH_PKT_HDR 5
#define SSH_MAC 16
#define SSH_ENC_MIN (4 + 16 + SSH_MAC)
#define SSH_ENC_MAX (4 + 32768 + SSH_MAC)
#define SSH_IGNORE_MIN 16	/* an empty SSH_MSG_IGNORE, 6 bytes padding */
#define SSH_NEWKEYS_LEN 16	/* SSH_MSG_NEWKEYS, 10 bytes padding */
#define SSH_BUF 1536

static const char ssh_kex_c[] =
	"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
	"ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
	"diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
	"diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,"
	"ext-info-c,kex-strict-c-v00@openssh.com";
static const char ssh_kex_s[] =
	"curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,"
	"ecdh-sha2-nistp384,ecdh-sha2-nistp521,"
	"diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,"
	"diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,"
	"kex-strict-s-v00@openssh.com";
static const char *const ssh_lists[] = {
	"rsa-sha2-512,rsa-sha2-256,ssh-ed25519,ecdsa-sha2-nistp256",
	"chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,"
	"aes256-gcm@openssh.com,aes128-ctr,aes256-ctr",
	"chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,"
	"aes256-gcm@openssh.com,aes128-ctr,aes256-ctr",
	"umac-64-etm@openssh.com,umac-128-etm@openssh.com,"
	"hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
	"hmac-sha1-etm@openssh.com,hmac-sha2-256,hmac-sha2-512",
	"umac-64-etm@openssh.com,umac-128-etm@openssh.com,"
	"hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,"
	"hmac-sha1-etm@openssh.com,hmac-sha2-256,hmac-sha2-512",
	"none,zlib@openssh.com",
	"none,zlib@openssh.com",
	"",
};
/* Language tags that pad a long KEXINIT's last name-list. */
static const char ssh_langs[] =
	"en-US,en-GB,de-DE,fr-FR,es-ES,it-IT,ja-JP,pt-BR,nl-NL,sv-SE,";

static unsigned
ssh_banner(const struct tg_payload_msg *msg, uint8_t *b)
{
	unsigned minor = (unsigned)((msg->seed >> 8) + msg->dir * 3) % 10;

	memcpy(b, "SSH-2.0-OpenSSH_9.0p1\r\n", 23);
	b[18] = (uint8_t)('0' + minor);
	return 23;
}

static unsigned
ssh_enc_header(uint32_t size, uint8_t *h)
{
	tg_pay_put32(h, size - 4);
	h[4] = (uint8_t)(4 + size % 12);	/* padding length */
	h[5] = 94;	/* channel data: never a key exchange message */
	return 6;
}

static unsigned
put_string(uint8_t *b, const void *s, unsigned n)
{
	tg_pay_put32(b, n);
	memcpy(b + 4, s, n);
	return 4 + n;
}

/* A packet's length fields once its payload (len bytes at b + 5) is
 * written; the padding follows as keystream. Returns the packet size. */
static unsigned
ssh_frame(uint8_t *b, unsigned len, unsigned pad)
{
	tg_pay_put32(b, 1 + len + pad);
	b[4] = (uint8_t)pad;
	return SSH_PKT_HDR + len + pad;
}

/* Padding that makes a packet of payload len a multiple of 8 bytes, as
 * RFC 4253 6 asks (4 .. 11). */
static unsigned
ssh_align_pad(unsigned len)
{
	unsigned pad = 8 - (SSH_PKT_HDR + len) % 8;

	return pad < 4 ? pad + 8 : pad;
}

/* KEXINIT up to its last name-list's contents: fills b, returns the
 * payload length so far; the last list's length field is at *lang. */
static unsigned
ssh_kexinit_head(const struct tg_payload_msg *msg, uint8_t *b, unsigned *lang)
{
	const char *kex = msg->dir == TG_DIR_C2S ? ssh_kex_c : ssh_kex_s;
	unsigned n = SSH_PKT_HDR;

	b[n++] = 20;				/* SSH_MSG_KEXINIT */
	for (unsigned i = 0; i < 16; i++)	/* cookie */
		b[n++] = tg_pay_mix(msg->seed + msg->dir, i);
	n += put_string(b + n, kex, (unsigned)strlen(kex));
	for (unsigned i = 0; i < 8; i++) {
		if (i == 7)
			*lang = n;
		n += put_string(b + n, ssh_lists[i],
				(unsigned)strlen(ssh_lists[i]));
	}
	return n - SSH_PKT_HDR;
}

#define SSH_KEXINIT_END 5	/* first_kex_packet_follows, reserved */

/* Sizes of a KEXINIT: its shortest (4 bytes padding) and its usual one. */
static unsigned
ssh_kexinit_min(const struct tg_payload_msg *msg)
{
	uint8_t b[SSH_BUF];
	unsigned lang;

	return SSH_PKT_HDR + ssh_kexinit_head(msg, b, &lang) +
	       SSH_KEXINIT_END + 4;
}

/* The KEXINIT packet of exactly `size` bytes at `at`. */
static void
ssh_kexinit(const struct tg_payload_msg *msg, const struct tg_slice *s,
	    uint32_t at, uint32_t size)
{
	uint8_t b[SSH_BUF];
	unsigned lang, head = ssh_kexinit_head(msg, b, &lang);
	unsigned len = head + SSH_KEXINIT_END;
	unsigned pad = ssh_align_pad(len);
	uint32_t filler = 0, lo;
	uint8_t end[SSH_KEXINIT_END] = { 0 };

	if (SSH_PKT_HDR + len + pad > size)
		pad = size - SSH_PKT_HDR - len;
	else
		filler = size - (SSH_PKT_HDR + len + pad);
	tg_pay_put32(b + lang, filler);
	tg_pay_put32(b, 1 + len + filler + pad);
	b[4] = (uint8_t)pad;
	tg_pay_copy(s, at, b, SSH_PKT_HDR + head);
	/* The filler: language tags, then the packet's end. */
	lo = at + SSH_PKT_HDR + head;
	for (uint32_t p = s->offset > lo ? s->offset : lo;
	     p < lo + filler && p < s->offset + s->len; p++)
		s->out[p - s->offset] =
			(uint8_t)ssh_langs[(p - lo) % (sizeof(ssh_langs) - 1)];
	tg_pay_copy(s, lo + filler, end, SSH_KEXINIT_END);
	tg_pay_random(s, lo + filler + SSH_KEXINIT_END, pad, msg->seed);
}

/* An SSH_MSG_IGNORE of `size` bytes (>= SSH_IGNORE_MIN): stands in for a
 * KEXINIT where the message is too short for one. */
static void
ssh_ignore(const struct tg_payload_msg *msg, const struct tg_slice *s,
	   uint32_t at, uint32_t size)
{
	uint8_t b[SSH_PKT_HDR + 5];

	b[SSH_PKT_HDR] = 2;			/* SSH_MSG_IGNORE */
	tg_pay_put32(b + SSH_PKT_HDR + 1, size - SSH_IGNORE_MIN);
	ssh_frame(b, 5 + size - SSH_IGNORE_MIN, 6);
	tg_pay_copy(s, at, b, sizeof(b));
	tg_pay_random(s, at + sizeof(b), size - sizeof(b), msg->seed);
}

/* An RSA host key (ssh-rsa, e = 65537, a 2048-bit n) or an rsa-sha2-512
 * signature, as the string that holds it. */
static unsigned
ssh_rsa_blob(uint64_t seed, bool sig, uint8_t *b)
{
	static const uint8_t e[] = { 0, 0, 0, 3, 1, 0, 1 };
	unsigned n = 4;

	if (sig) {
		n += put_string(b + n, "rsa-sha2-512", 12);
		tg_pay_put32(b + n, 256);
		n += 4;
	} else {
		n += put_string(b + n, "ssh-rsa", 7);
		n += put_bytes(b + n, e, sizeof(e));
		tg_pay_put32(b + n, 257);	/* mpint: leading zero */
		b[n + 4] = 0;
		n += 5;
	}
	for (unsigned i = 0; i < 256; i++)
		b[n + i] = tg_pay_mix(seed ^ (sig ? 0x99 : 0x77), i);
	if (!sig)
		b[n] |= 0x80;
	n += 256;
	tg_pay_put32(b, n - 4);
	return n;
}

/* The key exchange packet of the second message: the client's ECDH_INIT
 * (its x25519 key) or the server's ECDH_REPLY (host key, key, signature),
 * with `extra` bytes more padding. Returns its size. */
static unsigned
ssh_ecdh(const struct tg_payload_msg *msg, unsigned extra, uint8_t *b)
{
	uint8_t key[32];
	unsigned n = SSH_PKT_HDR, len;

	for (unsigned i = 0; i < 32; i++)
		key[i] = tg_pay_mix(msg->seed ^ 0x55, i + 32 * msg->dir);
	if (msg->dir == TG_DIR_C2S) {
		b[n++] = 30;			/* SSH_MSG_KEX_ECDH_INIT */
		n += put_string(b + n, key, 32);
	} else {
		b[n++] = 31;			/* SSH_MSG_KEX_ECDH_REPLY */
		n = ssh_rsa_blob(msg->seed, false, b + n) + n;
		for (unsigned i = 0; i < 32; i++)
			key[i] = tg_pay_mix(msg->seed ^ 0x55, i + 32);
		n += put_string(b + n, key, 32);
		n = ssh_rsa_blob(msg->seed, true, b + n) + n;
	}
	len = n - SSH_PKT_HDR;
	return ssh_frame(b, len, ssh_align_pad(len) + extra);
}

static unsigned
ssh_ecdh_min(const struct tg_payload_msg *msg)
{
	uint8_t b[SSH_BUF];
	unsigned size = ssh_ecdh(msg, 0, b);

	return size - (b[4] - 4);
}

/* Second message: the ECDH packet, then NEWKEYS and encrypted packets as
 * the length allows; the ECDH packet's padding takes up what does not
 * fit a whole packet. */
static void
ssh_second(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	uint8_t b[SSH_BUF], nk[SSH_PKT_HDR + 1] = { 0 };
	unsigned first = ssh_ecdh(msg, 0, b);
	uint32_t tail;

	if (msg->total < first) {	/* less padding, down to 4 */
		unsigned len = first - SSH_PKT_HDR - b[4];

		first = ssh_frame(b, len, msg->total - SSH_PKT_HDR - len);
	}
	tail = msg->total - first;
	if (tail > 0 && tail < SSH_NEWKEYS_LEN) {
		first = ssh_ecdh(msg, tail, b);
		tail = 0;
	}
	tg_pay_copy(s, 0, b, first - b[4]);
	tg_pay_random(s, first - b[4], b[4], msg->seed);
	if (tail == 0)
		return;
	nk[SSH_PKT_HDR] = 21;			/* SSH_MSG_NEWKEYS */
	if (tail < SSH_NEWKEYS_LEN + SSH_ENC_MIN) {
		ssh_frame(nk, 1, tail - SSH_PKT_HDR - 1);
		tg_pay_copy(s, first, nk, sizeof(nk));
		tg_pay_random(s, first + sizeof(nk), tail - sizeof(nk),
			      msg->seed);
		return;
	}
	ssh_frame(nk, 1, SSH_NEWKEYS_LEN - SSH_PKT_HDR - 1);
	tg_pay_copy(s, first, nk, sizeof(nk));
	tg_pay_random(s, first + sizeof(nk), SSH_NEWKEYS_LEN - sizeof(nk),
		      msg->seed);
	tg_pay_records(s, first + SSH_NEWKEYS_LEN, tail - SSH_NEWKEYS_LEN,
		       SSH_ENC_MAX, SSH_ENC_MIN, ssh_enc_header,
		       msg->seed ^ 0xe5);
}

static uint32_t
ssh_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	uint8_t b[SSH_BUF];
	uint32_t least;

	if (msg->index == 0) {
		least = ssh_banner(msg, b);
		if (wanted > least && wanted < least + SSH_IGNORE_MIN)
			return least + SSH_IGNORE_MIN;
	} else if (msg->index == 1) {
		least = ssh_ecdh_min(msg);
	} else {
		least = SSH_ENC_MIN;
	}
	return wanted > least ? wanted : least;
}

static void
ssh_fill(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	uint8_t b[32];
	unsigned banner;
	uint32_t rest;

	if (msg->index == 1) {
		ssh_second(msg, s);
		return;
	}
	if (msg->index > 1) {
		tg_pay_records(s, 0, msg->total, SSH_ENC_MAX, SSH_ENC_MIN,
			       ssh_enc_header, msg->seed ^ msg->index);
		return;
	}
	banner = ssh_banner(msg, b);
	tg_pay_copy(s, 0, b, banner);
	rest = msg->total - banner;
	if (rest == 0)
		return;
	if (rest >= ssh_kexinit_min(msg))
		ssh_kexinit(msg, s, banner, rest);
	else
		ssh_ignore(msg, s, banner, rest);
}

/* --- QUIC ----------------------------------------------------------------- */

#define QUIC_CID 8
/* After the header: a 4-byte packet number, at least one byte and the
 * AEAD tag, enough for the header-protection sample. */
#define QUIC_BODY_MIN 21
#define QUIC_LONG_FIXED (1 + 4 + 1 + QUIC_CID + 1 + QUIC_CID)

enum quic_cid { QUIC_ODCID, QUIC_CLIENT_CID, QUIC_SERVER_CID };

static void
quic_cid(const struct tg_payload_msg *msg, enum quic_cid which, uint8_t *cid)
{
	for (unsigned i = 0; i < QUIC_CID; i++)
		cid[i] = tg_pay_mix(msg->flow_seed, which * QUIC_CID + i);
}

/* Header of the datagram: Initial (index 0), Handshake (1) or short
 * header (later). Returns its length; *len_at is where the 2- or 4-byte
 * length varint goes (0: none). */
static unsigned
quic_header(const struct tg_payload_msg *msg, uint8_t *h, unsigned *len_at)
{
	bool c2s = msg->dir == TG_DIR_C2S;
	enum quic_cid peer = c2s ? QUIC_SERVER_CID : QUIC_CLIENT_CID;
	unsigned n = 0;

	*len_at = 0;
	if (msg->index > 1) {
		/* Fixed bit, then bits the header protection hides. */
		h[n++] = (uint8_t)(0x40 | (tg_pay_mix(msg->seed, 0) & 0x3f));
		quic_cid(msg, peer, h + n);
		return n + QUIC_CID;
	}
	h[n++] = msg->index == 0 ? 0xc3 : 0xe3;	/* Initial / Handshake */
	tg_pay_put32(h + n, 1);			/* version 1 */
	n += 4;
	h[n++] = QUIC_CID;
	quic_cid(msg, c2s && msg->index == 0 ? QUIC_ODCID : peer, h + n);
	n += QUIC_CID;
	h[n++] = QUIC_CID;
	quic_cid(msg, c2s ? QUIC_CLIENT_CID : QUIC_SERVER_CID, h + n);
	n += QUIC_CID;
	if (msg->index == 0)
		h[n++] = 0;			/* no token */
	*len_at = n;
	return n;
}

static uint32_t
quic_len(const struct tg_payload_msg *msg, uint32_t wanted)
{
	uint8_t h[64];
	unsigned len_at, n = quic_header(msg, h, &len_at);
	uint32_t least = n + (len_at ? 2 : 0) + QUIC_BODY_MIN;

	return wanted > least ? wanted : least;
}

static void
quic_fill(const struct tg_payload_msg *msg, const struct tg_slice *s)
{
	uint8_t h[64];
	unsigned len_at, n = quic_header(msg, h, &len_at);

	if (len_at) {
		/* The length varint covers the rest of the datagram. */
		uint32_t rest = msg->total - n - 2;

		if (rest < 0x4000) {
			tg_pay_put16(h + n, (uint16_t)(0x4000 | rest));
			n += 2;
		} else {
			tg_pay_put32(h + n, 0x80000000u | (rest - 2));
			n += 4;
		}
	}
	tg_pay_copy(s, 0, h, n);
	tg_pay_random(s, n, msg->total - n, msg->seed ^ msg->dir);
}

const struct tg_pay_kind tg_pay_tls = { tls_len, tls_fill };
const struct tg_pay_kind tg_pay_ssh = { ssh_len, ssh_fill };
const struct tg_pay_kind tg_pay_quic = { quic_len, quic_fill };
