/* SPDX-License-Identifier: BSD-3-Clause
 * Payload synthesizers: what each kind writes is parsed back here, with
 * parsers written independently of lib/synth, at several lengths (the
 * shortest, typical, ones that need more than one record), and written
 * slice by slice in odd pieces must equal the whole message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tg_model.h"
#include "tg_payload.h"

#define BIG 70000

static uint8_t whole[BIG], pieces[BIG];

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

	m->total = tg_payload_message_len(m, want);
	assert_true(m->total <= BIG);
	/* Only NTP and DNS (whole records) may come out shorter. */
	assert_true(m->total >= want || m->kind == TG_PAYLOAD_NTP ||
		    m->kind == TG_PAYLOAD_DNS ||
		    m->kind == TG_PAYLOAD_DNS_TCP);
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
