/* SPDX-License-Identifier: BSD-3-Clause
 * Payload synthesizers: what each kind writes is parsed back here, with
 * parsers written independently of lib/synth, at several lengths (the
 * shortest, typical, ones that need more than one record), and written
 * slice by slice in odd pieces must equal the whole message.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tg_dissected_ports.h"
#include "tg_keystream.h"
#include "tg_model.h"
#include "tg_payload.h"
#include "tg_payload_int.h"

#define BIG 70000

static uint8_t whole[BIG], pieces[BIG];
static struct tg_keystream *ks;	/* the group's, as a synth has one */

static const uint32_t wanted[] = { 0, 1, 5, 30, 48, 60, 100, 300, 517,
				   1400, 2047, 2049, 2060, 5000, 16406,
				   16420, 40000, 65000 };
#define N_WANTED (sizeof(wanted) / sizeof(wanted[0]))

static uint32_t
get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t
get32(const uint8_t *p)
{
	return get16(p) << 16 | get16(p + 2);
}

/* Fix the message length for `want`, write it whole and in pieces of
 * varying sizes (as segments would), and check both agree. */
static uint32_t
make(struct tg_payload_msg *m, uint32_t want)
{
	uint32_t off = 0, step = 1;

	m->ks = ks;
	m->total = tg_payload_message_len(m, want);
	assert_true(m->total <= BIG);
	/* Only fixed or capped forms (NTP, DNS records, NetBIOS names and
	 * session set-up, SNMP requests) may come out shorter. */
	assert_true(m->total >= want || m->kind == TG_PAYLOAD_NTP ||
		    m->kind == TG_PAYLOAD_DNS ||
		    m->kind == TG_PAYLOAD_DNS_TCP ||
		    m->kind == TG_PAYLOAD_NBNS || m->kind == TG_PAYLOAD_SNMP ||
		    (m->kind == TG_PAYLOAD_NBSS && m->index == 0));
	tg_payload_fill(m, 0, whole, m->total);
	while (off < m->total) {
		uint32_t n = m->total - off < step ? m->total - off : step;

		tg_payload_fill(m, off, pieces + off, n);
		off += n;
		step = step * 7 % 1461 + 1;
	}
	assert_memory_equal(whole, pieces, m->total);
	return m->total;
}

/* TLS records from `at` to the end: type, version, lengths that add up. */
static void
check_records(const uint8_t *b, uint32_t at, uint32_t total, int first_type)
{
	int records = 0;

	while (at < total) {
		uint32_t len;

		assert_true(total - at >= 5);
		if (records == 0 && first_type >= 0)
			assert_int_equal(b[at], first_type);
		else
			assert_true(b[at] == 23 || b[at] == 20);
		assert_int_equal(get16(b + at + 1), 0x0303);
		len = get16(b + at + 3);
		assert_true(len >= 1 && len <= 16384 + 256);
		at += 5 + len;
		records++;
	}
	assert_int_equal(at, total);
}

/* The SNI extension of a ClientHello: one host_name, letters and dots,
 * labels of 1 .. 63 bytes. */
static void
check_client_hello(const uint8_t *b, uint32_t total)
{
	uint32_t rec = get16(b + 3), p, end;
	int sni = 0, versions = 0;

	assert_int_equal(b[0], 22);
	assert_int_equal(b[5], 1);		/* ClientHello */
	assert_int_equal((uint32_t)b[6] << 16 | get16(b + 7), rec - 4);
	p = 9 + 2 + 32;
	p += 1 + b[p];				/* session id */
	p += 2 + get16(b + p);			/* cipher suites */
	p += 1 + b[p];				/* compression */
	end = p + 2 + get16(b + p);
	assert_int_equal(end, 5 + rec);
	for (p += 2; p < end;) {
		uint32_t type = get16(b + p), len = get16(b + p + 2);

		if (type == 0) {
			uint32_t host = get16(b + p + 7), label = 0;

			assert_int_equal(len, host + 5);
			assert_int_equal(b[p + 6], 0);
			for (uint32_t i = 0; i < host; i++) {
				uint8_t c = b[p + 9 + i];

				if (c == '.') {
					assert_true(label >= 1);
					label = 0;
					continue;
				}
				assert_true(c >= 'a' && c <= 'z');
				assert_true(++label <= 63);
			}
			assert_true(label >= 2);
			sni++;
		}
		if (type == 43)
			versions++;
		p += 4 + len;
	}
	assert_int_equal(p, end);
	assert_int_equal(sni, 1);
	assert_int_equal(versions, 1);
	check_records(b, 5 + rec, total, 20);
}

static void
test_tls(void **state)
{
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_TLS, .seed = 42 };

	(void)state;
	for (unsigned i = 0; i < N_WANTED; i++) {
		uint32_t t;

		m.dir = TG_DIR_C2S;
		m.index = 0;
		t = make(&m, wanted[i]);
		check_client_hello(whole, t);
		m.index = 3;
		t = make(&m, wanted[i]);
		check_records(whole, 0, t, 23);
		m.dir = TG_DIR_S2C;
		m.index = 0;
		t = make(&m, wanted[i]);
		assert_int_equal(whole[0], 22);
		assert_int_equal(whole[5], 2);	/* ServerHello */
		check_records(whole, 0, t, 22);
	}
}

/* SSH binary packets from `at`: lengths that frame the message exactly
 * and padding that fits. */
static void
check_ssh_packets(const uint8_t *b, uint32_t at, uint32_t total)
{
	while (at < total) {
		uint32_t len = get32(b + at);

		assert_true(len >= 6 && at + 4 + len <= total);
		assert_true(b[at + 4] >= 4 && b[at + 4] + 2u <= len);
		at += 4 + len;
	}
	assert_int_equal(at, total);
}

static void
test_ssh(void **state)
{
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_SSH, .seed = 7 };

	(void)state;
	for (unsigned i = 0; i < N_WANTED; i++) {
		for (int dir = 0; dir < 2; dir++) {
			uint32_t t;

			m.dir = (uint8_t)dir;
			m.index = 0;
			t = make(&m, wanted[i]);
			assert_memory_equal(whole, "SSH-2.0-OpenSSH_9.", 18);
			assert_memory_equal(whole + 19, "p1\r\n", 4);
			if (t > 23)
				assert_true(whole[23 + 5] == 20 ||
					    whole[23 + 5] == 2);
			check_ssh_packets(whole, 23, t);
			m.index = 1;
			t = make(&m, wanted[i]);
			assert_int_equal(whole[5], dir == 0 ? 30 : 31);
			check_ssh_packets(whole, 0, t);
			m.index = 2;
			check_ssh_packets(whole, 0, make(&m, wanted[i]));
		}
	}
}

static void
test_ntp(void **state)
{
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_NTP, .seed = 99 };
	uint8_t req[72];

	(void)state;
	for (unsigned i = 0; i < N_WANTED; i++) {
		uint32_t t;

		m.dir = TG_DIR_C2S;
		t = make(&m, wanted[i]);
		assert_true(t == 48 || t == 68 || t == 72);
		assert_int_equal(whole[0], 0x23);	/* v4, client */
		memcpy(req, whole, 48);
		m.dir = TG_DIR_S2C;
		t = make(&m, wanted[i]);
		assert_int_equal(whole[0], 0x24);	/* v4, server */
		assert_int_equal(whole[1], 2);
		assert_memory_equal(whole + 24, req + 40, 8);	/* origin */
		assert_true(get32(whole + 40) >= get32(req + 40));
		assert_true(get32(whole + 40) > 3900000000u);
	}
}

static void
test_dns_tcp(void **state)
{
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_DNS_TCP, .seed = 5 };

	(void)state;
	for (unsigned i = 0; i < N_WANTED; i++) {
		uint32_t q, t;

		m.dir = TG_DIR_C2S;
		q = make(&m, wanted[i]);
		assert_int_equal(get16(whole), q - 2);
		assert_int_equal(get16(whole + 2 + 2), 0x0100);
		assert_int_equal(get16(whole + 2 + 4), 1);
		m.dir = TG_DIR_S2C;
		m.request_len = q;
		t = make(&m, wanted[i]);
		assert_int_equal(get16(whole), t - 2);
		assert_int_equal(get16(whole + 2 + 2), 0x8180);
		assert_int_equal(get16(whole + 2 + 6) * 16u + q, t);
	}
}

static void
test_quic(void **state)
{
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_QUIC, .seed = 3,
				    .flow_seed = 11 };
	uint8_t scid[8];

	(void)state;
	for (unsigned i = 0; i < N_WANTED; i++) {
		uint32_t want = wanted[i] < 1400 ? wanted[i] : 1400, t, p;

		for (unsigned idx = 0; idx < 3; idx++) {
			m.dir = TG_DIR_S2C;
			m.index = (uint16_t)idx;
			t = make(&m, want);
			if (idx == 0)
				memcpy(scid, whole + 15, 8);
			m.dir = TG_DIR_C2S;
			t = make(&m, want);
			if (idx == 2) {		/* short: server's CID */
				assert_int_equal(whole[0] & 0xc0, 0x40);
				assert_memory_equal(whole + 1, scid, 8);
				continue;
			}
			assert_int_equal(whole[0] & 0xf0,
					 idx == 0 ? 0xc0 : 0xe0);
			assert_int_equal(get32(whole + 1), 1);
			assert_int_equal(whole[5], 8);
			assert_int_equal(whole[14], 8);
			p = 23;
			if (idx == 0)
				assert_int_equal(whole[p++], 0);  /* token */
			else
				assert_memory_equal(whole + 6, scid, 8);
			assert_int_equal(whole[p] >> 6, 1);
			assert_int_equal(get16(whole + p) & 0x3fff,
					 t - p - 2);
			assert_true(t - p - 2 >= 20);
		}
	}
}

/* The old kinds keep their bytes: a DNS query is unchanged. */
static void
test_dns_udp_unchanged(void **state)
{
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_DNS, .seed = 5 };
	uint32_t q;

	(void)state;
	q = make(&m, 40);
	assert_int_equal(q, 40);
	assert_int_equal(get16(whole + 2), 0x0100);
	m.dir = TG_DIR_S2C;
	m.request_len = q;
	assert_int_equal(make(&m, 90), 40 + 3 * 16);
	assert_int_equal(get16(whole + 6), 3);
}

static const uint8_t nist_key[16] = {
	0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
	0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c,
};

/* NIST SP 800-38A F.5.1, CTR-AES128.Encrypt: the keystream is the
 * ciphertext XOR the plaintext. */
static void
test_aes_ctr_nist(void **state)
{
	static const uint8_t ctr[16] = {
		0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7,
		0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
	};
	static const uint8_t plain[64] = {
		0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
		0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a,
		0xae, 0x2d, 0x8a, 0x57, 0x1e, 0x03, 0xac, 0x9c,
		0x9e, 0xb7, 0x6f, 0xac, 0x45, 0xaf, 0x8e, 0x51,
		0x30, 0xc8, 0x1c, 0x46, 0xa3, 0x5c, 0xe4, 0x11,
		0xe5, 0xfb, 0xc1, 0x19, 0x1a, 0x0a, 0x52, 0xef,
		0xf6, 0x9f, 0x24, 0x45, 0xdf, 0x4f, 0x9b, 0x17,
		0xad, 0x2b, 0x41, 0x7b, 0xe6, 0x6c, 0x37, 0x10,
	};
	static const uint8_t cipher[64] = {
		0x87, 0x4d, 0x61, 0x91, 0xb6, 0x20, 0xe3, 0x26,
		0x1b, 0xef, 0x68, 0x64, 0x99, 0x0d, 0xb6, 0xce,
		0x98, 0x06, 0xf6, 0x6b, 0x79, 0x70, 0xfd, 0xff,
		0x86, 0x17, 0x18, 0x7b, 0xb9, 0xff, 0xfd, 0xff,
		0x5a, 0xe4, 0xdf, 0x3e, 0xdb, 0xd5, 0xd3, 0x5e,
		0x5b, 0x4f, 0x09, 0x02, 0x0d, 0xb0, 0x3e, 0xab,
		0x1e, 0x03, 0x1d, 0xda, 0x2f, 0xbe, 0x03, 0xd1,
		0x79, 0x21, 0x70, 0xa0, 0xf3, 0x00, 0x9c, 0xee,
	};
	char err[128];
	struct tg_keystream *k =
		tg_keystream_create_key(nist_key, ctr, err, sizeof(err));
	const uint8_t *pool;

	(void)state;
	assert_non_null(k);
	pool = tg_keystream_pool(k);
	for (unsigned i = 0; i < 64; i++)
		assert_int_equal(pool[i], cipher[i] ^ plain[i]);
	tg_keystream_free(k);
}

/* The counter is one 128-bit integer: the block after ..ff ff ff ff is
 * the first of a pool that starts at the carried value. */
static void
test_aes_ctr_carry(void **state)
{
	uint8_t a[16] = { 0 }, b[16] = { 0 };
	char err[128];
	struct tg_keystream *ka, *kb;

	(void)state;
	memset(a + 11, 0xff, 5);	/* 00..00 ff ff ff ff ff */
	b[10] = 1;			/* 00..01 00 00 00 00 00 */
	ka = tg_keystream_create_key(nist_key, a, err, sizeof(err));
	kb = tg_keystream_create_key(nist_key, b, err, sizeof(err));
	assert_non_null(ka);
	assert_non_null(kb);
	assert_memory_equal(tg_keystream_pool(ka) + 16,
			    tg_keystream_pool(kb), 4096);
	tg_keystream_free(ka);
	tg_keystream_free(kb);
}

/* Ciphertext looks random (a byte histogram's chi-square with 255
 * degrees of freedom far from 0.1 %, 330.5), and messages keep their
 * sampled sizes. */
static void
test_ciphertext_random(void **state)
{
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_TLS, .seed = 77,
				    .index = 2 };
	uint32_t count[256] = { 0 }, n = 0, at = 0;
	double chi = 0;

	(void)state;
	assert_int_equal(make(&m, 60000), 60000);
	while (at < m.total) {		/* record payloads only */
		uint32_t len = get16(whole + at + 3);

		for (uint32_t i = 0; i < len; i++, n++)
			count[whole[at + 5 + i]]++;
		at += 5 + len;
	}
	for (unsigned b = 0; b < 256; b++) {
		double d = count[b] - n / 256.0;

		chi += d * d / (n / 256.0);
	}
	assert_true(chi < 330.5);
	assert_true(chi > 190);	/* and not suspiciously flat */
	for (uint32_t want = 22; want < 3000; want += 97)
		assert_int_equal(make(&m, want), want);
}

/* Lines of text ending in CRLF, none longer than SMTP allows. */
static void
check_crlf_lines(const uint8_t *b, uint32_t total)
{
	uint32_t start = 0;

	for (uint32_t i = 0; i + 1 < total; i++) {
		if (b[i] != '\r')
			continue;
		assert_int_equal(b[i + 1], '\n');
		assert_true(i + 2 - start <= 512);
		start = i + 2;
	}
	assert_int_equal(start, total);
}

/* A session: greeting, EHLO and its reply, MAIL, RCPT, DATA, the mail
 * ending in ".", QUIT and 221; every message the sampled size or more. */
static void
test_smtp(void **state)
{
	static const char *const client[] = { "EHLO ", "MAIL FROM:<",
					      "RCPT TO:<", "DATA\r\n", "Date: ",
					      "QUIT\r\n" };
	static const char *const server[] = { "220", "250", "250", "250",
					      "354", "250", "221" };
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_SMTP, .seed = 8,
				    .flow_seed = 9 };

	(void)state;
	for (unsigned i = 0; i < N_WANTED; i++) {
		for (uint16_t idx = 0; idx < 7; idx++) {
			uint32_t t, last;

			m.dir = TG_DIR_S2C;
			m.index = idx;
			t = make(&m, wanted[i]);
			check_crlf_lines(whole, t);
			for (last = t - 2; last > 0 && whole[last - 1] != '\n';)
				last--;
			assert_memory_equal(whole + last, server[idx], 3);
			assert_int_equal(whole[last + 3], ' ');
			if (idx == 6)
				continue;
			m.dir = TG_DIR_C2S;
			t = make(&m, wanted[i]);
			check_crlf_lines(whole, t);
			if (idx == 4) {
				assert_memory_equal(whole, "Date: ", 6);
				assert_memory_equal(whole + t - 5, "\r\n.\r\n", 5);
				continue;
			}
			for (last = t - 2; last > 0 && whole[last - 1] != '\n';)
				last--;
			assert_memory_equal(whole + last, client[idx],
					    strlen(client[idx]));
		}
	}
}

static void
test_syslog(void **state)
{
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_SYSLOG, .seed = 4 };

	(void)state;
	for (unsigned i = 0; i < N_WANTED; i++) {
		uint32_t t = make(&m, wanted[i]);

		assert_int_equal(whole[0], '<');
		assert_non_null(memchr(whole, '>', 5));
		assert_non_null(memchr(whole, ':', t));
		for (uint32_t j = 0; j < t; j++)
			assert_true(whole[j] >= ' ' && whole[j] < 127);
	}
}

/* NetBIOS name queries and answers: counts and the encoded name. */
static void
test_nbns(void **state)
{
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_NBNS, .seed = 12 };

	(void)state;
	for (unsigned i = 0; i < N_WANTED; i++) {
		uint32_t t;

		m.dir = TG_DIR_C2S;
		t = make(&m, wanted[i]);
		assert_int_equal(get16(whole + 4), 1);
		assert_int_equal(whole[12], 32);
		for (uint32_t p = 13; p < 13 + 32; p++)
			assert_true(whole[p] >= 'A' && whole[p] <= 'P');
		assert_int_equal(get16(whole + t - 4), 0x20);	/* NB */
		m.dir = TG_DIR_S2C;
		t = make(&m, wanted[i]);
		assert_int_equal(get16(whole + 6), 1);
		assert_int_equal(get16(whole + 12 + 34 + 8), t - 12 - 44);
	}
}

/* SMB: session messages holding TRANSFORM_HEADERs whose sizes add up;
 * over a NetBIOS session the first messages open it. */
static void
check_smb_frames(const uint8_t *b, uint32_t at, uint32_t total)
{
	while (at < total) {
		uint32_t len = get32(b + at);

		assert_memory_equal(b + at + 4, "\xfdSMB", 4);
		assert_int_equal(b[at + 40] | b[at + 41] << 8, len - 52);
		at += 4 + len;
	}
	assert_int_equal(at, total);
}

static void
test_smb(void **state)
{
	struct tg_payload_msg m = { .flow_seed = 21, .seed = 22 };

	(void)state;
	for (unsigned i = 0; i < N_WANTED; i++) {
		uint32_t t;

		m.kind = TG_PAYLOAD_SMB;
		m.index = 0;
		check_smb_frames(whole, 0, make(&m, wanted[i]));
		m.kind = TG_PAYLOAD_NBSS;
		m.dir = TG_DIR_C2S;
		t = make(&m, wanted[i]);
		assert_int_equal(whole[0], 0x81);
		check_smb_frames(whole, 72, t);
		m.dir = TG_DIR_S2C;
		t = make(&m, wanted[i]);
		assert_int_equal(whole[0], 0x82);
		check_smb_frames(whole, 4, t);
		m.index = 1;
		check_smb_frames(whole, 0, make(&m, wanted[i]));
	}
}

static void
test_dhcp(void **state)
{
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_DHCP, .seed = 2 };

	(void)state;
	for (unsigned i = 0; i < N_WANTED && wanted[i] <= 1400; i++) {
		for (int dir = 0; dir < 2; dir++) {
			uint32_t t, p = 240;

			m.dir = (uint8_t)dir;
			t = make(&m, wanted[i]);
			assert_int_equal(whole[0], dir == 0 ? 1 : 2);
			assert_int_equal(get32(whole + 236), 0x63825363);
			while (whole[p] != 255) {	/* options to the end */
				assert_true(p + 2 < t);
				p += 2 + whole[p + 1];
			}
			assert_int_equal(whole[242], dir == 0 ? 1 : 2);
		}
	}
}

/* BER lengths nest exactly: the message, the PDU, the varbind list. */
static uint32_t
ber_len(const uint8_t *b, uint32_t *hdr)
{
	if (b[1] < 0x80) {
		*hdr = 2;
		return b[1];
	}
	*hdr = 2 + (b[1] & 0x7f);
	return b[1] == 0x81 ? b[2] : get16(b + 2);
}

static void
test_snmp(void **state)
{
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_SNMP, .seed = 6 };

	(void)state;
	for (unsigned i = 0; i < N_WANTED; i++) {
		for (int dir = 0; dir < 2; dir++) {
			uint32_t t, h, p;

			m.dir = (uint8_t)dir;
			t = make(&m, wanted[i]);
			assert_true(t >= wanted[i] ||
				    t >= (dir == 0 ? 150u : 1300u));
			assert_int_equal(whole[0], 0x30);
			assert_int_equal(ber_len(whole, &h) + h, t);
			p = h + 11;			/* version, community */
			assert_int_equal(whole[p], dir == 0 ? 0xa0 : 0xa2);
			assert_int_equal(ber_len(whole + p, &h) + h + p, t);
		}
	}
}

/* IKEv2 messages of an established SA: a header whose lengths add up, the
 * flow's SPIs in every message, the response flag on the server's, one
 * encrypted payload taking the rest; and random bytes on UDP 500 become
 * IKE, nothing else does. */
static void
test_ike(void **state)
{
	struct tg_payload_msg m = { .kind = TG_PAYLOAD_IKE, .seed = 3,
				    .flow_seed = 77 };
	uint8_t spis[16];

	(void)state;
	for (unsigned i = 0; i < N_WANTED; i++) {
		for (int dir = 0; dir < 2; dir++) {
			uint32_t t;

			m.dir = (uint8_t)dir;
			m.index = (uint16_t)i;
			m.seed = 3 + i;
			t = make(&m, wanted[i]);
			assert_true(t >= 48 && t <= 65535);
			if (i == 0 && dir == 0)
				memcpy(spis, whole, sizeof(spis));
			assert_memory_equal(whole, spis, sizeof(spis));
			assert_true(get32(whole) != 0 && get32(whole + 8) != 0);
			assert_int_equal(whole[16], 46);	/* SK */
			assert_int_equal(whole[17], 0x20);	/* 2.0 */
			assert_int_equal(whole[19], dir == 0 ? 0x08 : 0x20);
			assert_int_equal(get32(whole + 20), i);
			assert_int_equal(get32(whole + 24), t);
			assert_int_equal(get16(whole + 30), t - 28);
		}
	}
	assert_int_equal(tg_payload_on_port(TG_PAYLOAD_RANDOM, TG_PROTO_UDP,
					    500), TG_PAYLOAD_IKE);
	assert_int_equal(tg_payload_on_port(TG_PAYLOAD_RANDOM, TG_PROTO_TCP,
					    500), TG_PAYLOAD_RANDOM);
	assert_int_equal(tg_payload_on_port(TG_PAYLOAD_RANDOM, TG_PROTO_UDP,
					    501), TG_PAYLOAD_RANDOM);
	assert_int_equal(tg_payload_on_port(TG_PAYLOAD_DNS, TG_PROTO_UDP,
					    500), TG_PAYLOAD_DNS);
}

/* A payload fits a port without a dissector, or one whose dissector is
 * the protocol it speaks; random and zero bytes fit no dissected port. */
static void
test_payload_fits_port(void **state)
{
	(void)state;
	assert_string_equal(tg_port_dissector(TG_PROTO_UDP, 138), "nbdgm");
	assert_string_equal(tg_port_dissector(TG_PROTO_TCP, 443), "tls");
	assert_null(tg_port_dissector(TG_PROTO_TCP, 8443));
	assert_null(tg_port_dissector(TG_PROTO_ICMP, 0));
	assert_false(tg_payload_fits_port(TG_PAYLOAD_RANDOM, TG_PROTO_UDP, 520));
	assert_false(tg_payload_fits_port(TG_PAYLOAD_ZERO, TG_PROTO_UDP, 138));
	assert_false(tg_payload_fits_port(TG_PAYLOAD_NBNS, TG_PROTO_UDP, 138));
	assert_false(tg_payload_fits_port(TG_PAYLOAD_HTTP, TG_PROTO_TCP, 22));
	assert_false(tg_payload_fits_port(TG_PAYLOAD_DNS, TG_PROTO_UDP, 8611));
	assert_true(tg_payload_fits_port(TG_PAYLOAD_RANDOM, TG_PROTO_TCP, 8443));
	assert_true(tg_payload_fits_port(TG_PAYLOAD_DNS, TG_PROTO_UDP, 53));
	assert_true(tg_payload_fits_port(TG_PAYLOAD_DNS, TG_PROTO_UDP, 5353));
	assert_true(tg_payload_fits_port(TG_PAYLOAD_DNS, TG_PROTO_UDP, 5355));
	assert_true(tg_payload_fits_port(TG_PAYLOAD_DNS_TCP, TG_PROTO_TCP, 53));
	assert_true(tg_payload_fits_port(TG_PAYLOAD_TLS, TG_PROTO_TCP, 993));
	assert_true(tg_payload_fits_port(TG_PAYLOAD_SMB, TG_PROTO_TCP, 445));
	assert_true(tg_payload_fits_port(TG_PAYLOAD_IKE, TG_PROTO_UDP, 500));
	assert_true(tg_payload_fits_port(
		tg_payload_on_port(TG_PAYLOAD_RANDOM, TG_PROTO_UDP, 500),
		TG_PROTO_UDP, 500));
}

/* The bytes tg_payload_fill calls keystream from its answer to the end
 * are: with another keystream the layout is the same and those bytes all
 * change (but for the 1 in 256 that agree by chance), for every kind,
 * size and slice. Ciphertext carries most bytes of TLS data. */
static void
test_opaque_tails(void **state)
{
	static uint8_t a[2048], b[2048];
	uint64_t tls_bytes = 0, tls_opaque = 0, opaque = 0, agree = 0;
	uint64_t starts = 0, agree_at_start = 0;
	struct tg_keystream *other;
	char err[128];

	(void)state;
	other = tg_keystream_create(2, 0, err, sizeof(err));
	assert_non_null(other);
	for (unsigned kind = 0; kind < TG_PAYLOAD_KINDS; kind++)
	for (unsigned dir = 0; dir < 2; dir++)
	for (unsigned index = 0; index < 4; index++)
	for (unsigned w = 1; w < N_WANTED; w++) {
		struct tg_payload_msg m = { .kind = (uint8_t)kind,
					    .dir = TG_DIR_C2S,
					    .index = (uint16_t)index,
					    .seed = 77 + w, .flow_seed = 5,
					    .ks = ks };

		/* A response answers a request of its own kind. */
		m.request_len = tg_payload_message_len(&m, wanted[w]);
		m.dir = (uint8_t)dir;
		m.total = tg_payload_message_len(&m, wanted[w]);
		for (uint32_t off = 0; off < m.total; off += 1337) {
			uint32_t len = m.total - off < 1448 ? m.total - off
							    : 1448, from, same = 0;

			m.ks = ks;
			from = tg_payload_fill(&m, off, a, len);
			m.ks = other;
			assert_int_equal(tg_payload_fill(&m, off, b, len),
					 from);
			assert_true(from <= len);
			for (uint32_t i = from; i < len; i++)
				same += a[i] == b[i];
			assert_true(same <= 4 + (len - from) / 32);
			opaque += len - from;
			agree += same;
			if (from > 0 && from < len) {
				starts++;
				agree_at_start += a[from] == b[from];
			}
			if (kind == TG_PAYLOAD_TLS && index >= 2) {
				tls_bytes += len;
				tls_opaque += len - from;
			}
		}
	}
	/* One byte in 256 by chance; a tail that took in one non-keystream
	 * byte per slice would double that. */
	print_message("%" PRIu64 " of %" PRIu64 " tail bytes agree\n", agree,
		      opaque);
	assert_true(agree * 256 < opaque * 13 / 10);
	/* ... and the first byte of a tail is keystream too. */
	assert_true(starts > 100 && agree_at_start * 16 < starts);
	assert_true(tls_bytes > 0 && tls_opaque * 10 > tls_bytes * 9);
	tg_keystream_free(other);
}

static int
setup(void **state)
{
	char err[128];

	(void)state;
	ks = tg_keystream_create(1, 0, err, sizeof(err));
	return ks == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	(void)state;
	tg_keystream_free(ks);
	return 0;
}

/* The text printer against snprintf, its oracle: numbers of every
 * length with and without padding, and a buffer too short for the text. */
static void
test_text(void **state)
{
	static const uint32_t values[] = { 0, 1, 9, 10, 99, 100, 65535,
					   99999999, 4294967295u };
	char got[64], want[64], tiny[6];
	struct tg_text t;

	(void)state;
	for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		uint32_t v = values[i];

		tg_text_init(&t, got, sizeof(got));
		tg_text_str(&t, "<");
		tg_text_uint(&t, v, 0, ' ');
		tg_text_str(&t, "|");
		tg_text_uint(&t, v, 2, ' ');
		tg_text_str(&t, "|");
		tg_text_uint(&t, v, 2, '0');
		tg_text_str(&t, "|");
		tg_text_hex(&t, v, 8);
		tg_text_str(&t, "|");
		tg_text_hex(&t, v, 0);
		snprintf(want, sizeof(want), "<%u|%2u|%02u|%08x|%x", v, v, v,
			 v, v);
		assert_string_equal(got, want);
		assert_int_equal(tg_text_len(&t), strlen(want));
		snprintf(want, sizeof(want), "%u", v);
		assert_int_equal(tg_text_digits(v), strlen(want));
	}
	/* Cut to the buffer, NUL-terminated, nothing written past it. */
	memset(tiny, 'x', sizeof(tiny));
	tg_text_init(&t, tiny, sizeof(tiny) - 1);
	tg_text_str(&t, "abc");
	tg_text_uint(&t, 12345, 0, ' ');
	assert_string_equal(tiny, "abc1");
	assert_int_equal(tg_text_len(&t), 4);
	assert_int_equal(tiny[5], 'x');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_ssh),
		cmocka_unit_test(test_ntp),
		cmocka_unit_test(test_dns_tcp),
		cmocka_unit_test(test_quic),
		cmocka_unit_test(test_dns_udp_unchanged),
		cmocka_unit_test(test_aes_ctr_nist),
		cmocka_unit_test(test_aes_ctr_carry),
		cmocka_unit_test(test_ciphertext_random),
		cmocka_unit_test(test_smtp),
		cmocka_unit_test(test_syslog),
		cmocka_unit_test(test_nbns),
		cmocka_unit_test(test_smb),
		cmocka_unit_test(test_dhcp),
		cmocka_unit_test(test_snmp),
		cmocka_unit_test(test_ike),
		cmocka_unit_test(test_payload_fits_port),
		cmocka_unit_test(test_opaque_tails),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
