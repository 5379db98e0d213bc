/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of lib/eval: each metric on cases computed by hand, the
 * binnings, the comparison of a sample with itself, and each compliance
 * check on crafted packets (bad checksums, a sequence gap, data before
 * the handshake, a multicast source, illegal flags).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tg_cksum.h"
#include "tg_eval.h"
#include "tg_trace.h"

#define DLT_EN10MB 1
#define EPS 1e-12

/* --- Metrics ------------------------------------------------------------- */

static void
test_jsd(void **state)
{
	uint64_t a[2] = { 1, 0 }, b[2] = { 0, 1 }, c[2] = { 1, 1 };
	uint64_t c3[2] = { 3, 3 }, none[2] = { 0, 0 };
	/* P = (1/2, 1/2), Q = (1, 0), M = (3/4, 1/4). */
	double expect = 0.5 * (0.5 * log2(2.0 / 3) + 0.5 * log2(2.0)) +
			0.5 * log2(4.0 / 3);

	(void)state;
	assert_true(fabs(tg_eval_jsd(a, b, 2) - 1) < EPS);
	assert_true(fabs(tg_eval_jsd(c, a, 2) - expect) < EPS);
	assert_true(fabs(tg_eval_jsd(c, a, 2) - 0.311278124459133) < 1e-12);
	assert_true(tg_eval_jsd(c, c3, 2) == 0);	/* scale-free */
	assert_true(isnan(tg_eval_jsd(a, none, 2)));
}

static void
test_emd(void **state)
{
	const double a[] = { 0, 1, 3 }, b[] = { 5, 6, 8 };
	const double c[] = { 0, 2 }, d[] = { 1 };
	const double e[] = { 1, 1, 2, 7 };
	uint64_t at0[3] = { 1, 0, 0 }, at2[3] = { 0, 0, 4 };
	uint64_t half[3] = { 1, 0, 1 };

	(void)state;
	assert_true(fabs(tg_eval_emd(a, 3, b, 3) - 5) < EPS);	/* a shift */
	assert_true(fabs(tg_eval_emd(b, 3, a, 3) - 5) < EPS);
	assert_true(fabs(tg_eval_emd(c, 2, d, 1) - 1) < EPS);
	assert_true(tg_eval_emd(e, 4, e, 4) == 0);
	assert_true(isnan(tg_eval_emd(a, 3, b, 0)));
	assert_true(fabs(tg_eval_emd_counts(at0, at2, 3) - 2) < EPS);
	assert_true(fabs(tg_eval_emd_counts(half, at2, 3) - 1) < EPS);
	assert_true(tg_eval_emd_counts(half, half, 3) == 0);
}

static void
test_acf(void **state)
{
	const double ramp[] = { 1, 2, 3, 4 };
	const double alt[] = { 1, -1, 1, -1 };
	const double flat[] = { 5, 5, 5, 5 };
	double wave[40], noise_free[40];
	size_t lags;

	(void)state;
	/* ramp: deviations -1.5 -0.5 0.5 1.5; sum of squares 5; lag-1
	 * products 0.75 - 0.25 + 0.75 = 1.25. */
	assert_true(fabs(tg_eval_acf(ramp, 4, 1) - 0.25) < EPS);
	assert_true(fabs(tg_eval_acf(alt, 4, 1) + 0.75) < EPS);
	assert_true(fabs(tg_eval_acf(alt, 4, 2) - 0.5) < EPS);
	assert_true(tg_eval_acf(flat, 4, 1) == 0);
	assert_true(fabs(tg_eval_acf(ramp, 4, 0) - 1) < EPS);

	for (int i = 0; i < 40; i++) {
		wave[i] = i % 2 ? 3 : 1;
		noise_free[i] = 2;
	}
	assert_true(tg_eval_acf_distance(wave, 40, wave, 40, 10, &lags) == 0);
	assert_int_equal(lags, 10);	/* every lag is significant */
	/* Against a constant series (acf 0): the mean |acf| of the wave over
	 * lags 1..10, which alternates -(40-k)/40 and +(40-k)/40. */
	double expect = 0;

	for (int k = 1; k <= 10; k++)
		expect += (40.0 - k) / 40;
	assert_true(fabs(tg_eval_acf_distance(wave, 40, noise_free, 40, 10,
					      &lags) - expect / 10) < EPS);
	assert_true(isnan(tg_eval_acf_distance(wave, 2, wave, 40, 10, &lags)));
}

static void
test_cmd(void **state)
{
	uint64_t a[4] = { 1, 1, 0, 0 }, b[4] = { 0, 0, 1, 1 };
	uint64_t diag[4] = { 2, 0, 0, 2 }, flat[4] = { 1, 1, 1, 1 };

	(void)state;
	assert_true(fabs(tg_eval_cmd(a, b, 4) - 1) < EPS);
	/* |1/2 - 1/4| twice and |0 - 1/4| twice, halved. */
	assert_true(fabs(tg_eval_cmd(diag, flat, 4) - 0.5) < EPS);
	assert_true(tg_eval_cmd(flat, flat, 4) == 0);
}

static void
test_bins(void **state)
{
	(void)state;
	for (unsigned x = 0; x < 8; x++)
		assert_int_equal(tg_eval_log_bin(x), x);
	assert_int_equal(tg_eval_log_bin(15), 11);
	assert_int_equal(tg_eval_log_bin(16), 12);
	assert_int_equal(tg_eval_log_bin(1500), 37);	/* [1280, 1536) */
	assert_int_equal(tg_eval_log_bin_low(37), 1280);
	assert_int_equal(tg_eval_log_bin(UINT64_MAX), TG_EVAL_LOG_BINS - 1);
	for (unsigned b = 0; b < TG_EVAL_LOG_BINS; b++)
		assert_int_equal(tg_eval_log_bin(tg_eval_log_bin_low(b)), b);
	assert_int_equal(tg_eval_size_bin(60), 3);
	assert_int_equal(tg_eval_size_bin(1514), 94);
	assert_int_equal(tg_eval_size_bin(2047), 127);
	assert_int_equal(tg_eval_size_bin(2048), 128);
	assert_true(tg_eval_size_bin(UINT32_MAX) < TG_EVAL_SIZE_BINS);
}

/* --- Crafted packets ----------------------------------------------------- */

static void
put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

struct ep {
	uint8_t addr[4];
	uint16_t port;
};

static const struct ep client = { { 10, 0, 0, 1 }, 40000 };
static const struct ep server = { { 192, 0, 2, 7 }, 443 };

/* Ethernet, IPv4, then TCP (flags != 0) or UDP, with `payload` bytes and
 * correct checksums. Returns the frame length. */
static uint32_t
frame(uint8_t *f, const struct ep *from, const struct ep *to, uint8_t proto,
      uint8_t flags, uint32_t seq, uint32_t ack, uint32_t payload)
{
	uint8_t *ip = f + 14, *l4 = ip + 20;
	uint32_t l4_len = (proto == TG_PROTO_TCP ? 20 : 8) + payload;

	memset(f, 0, 14 + 20 + l4_len);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, 20 + l4_len);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, from->addr, 4);
	memcpy(ip + 16, to->addr, 4);
	put16(ip + 10, tg_cksum_finish(tg_cksum_add(0, ip, 20)));
	put16(l4, from->port);
	put16(l4 + 2, to->port);
	if (proto == TG_PROTO_TCP) {
		put32(l4 + 4, seq);
		put32(l4 + 8, ack);
		l4[12] = 5 << 4;
		l4[13] = flags;
		put16(l4 + 14, 65535);
	} else {
		put16(l4 + 4, l4_len);
	}
	memset(l4 + l4_len - payload, 'x', payload);
	uint32_t sum = tg_cksum_pseudo4(from->addr, to->addr, proto, l4_len);
	uint16_t ck = tg_cksum_finish(tg_cksum_add(sum, l4, l4_len));

	put16(l4 + (proto == TG_PROTO_TCP ? 16 : 6), ck);
	return 14 + 20 + l4_len;
}

static void
feed(struct tg_eval_sample *s, uint8_t *f, uint32_t len, uint64_t ts_ns)
{
	struct tg_trace_pkt p;

	assert_int_equal(tg_trace_decode(DLT_EN10MB, f, len, len, &p),
			 TG_TRACE_OK);
	tg_trace_verify(f, &p);
	p.ts_ns = ts_ns;
	assert_int_equal(tg_eval_add_pkt(s, &p), 0);
}

#define TCP(s, from, to, flags, seq, ack, n, t)                            \
	do {                                                               \
		uint8_t f_[256];                                           \
		feed(s, f_, frame(f_, from, to, TG_PROTO_TCP, flags, seq,  \
				  ack, n), t);                             \
	} while (0)

#define SA (TG_TCP_SYN | TG_TCP_ACK)
#define PA (TG_TCP_PSH | TG_TCP_ACK)
#define FA (TG_TCP_FIN | TG_TCP_ACK)

/* A clean conversation: handshake, a request, a response, a close. */
static void
conversation(struct tg_eval_sample *s)
{
	TCP(s, &client, &server, TG_TCP_SYN, 1000, 0, 0, 0);
	TCP(s, &server, &client, SA, 5000, 1001, 0, 1000000);
	TCP(s, &client, &server, TG_TCP_ACK, 1001, 5001, 0, 2000000);
	TCP(s, &client, &server, PA, 1001, 5001, 10, 3000000);
	TCP(s, &server, &client, PA, 5001, 1011, 100, 4000000);
	TCP(s, &client, &server, FA, 1011, 5101, 0, 5000000);
	TCP(s, &server, &client, FA, 5101, 1012, 0, 6000000);
	TCP(s, &client, &server, TG_TCP_ACK, 1012, 5102, 0, 7000000);
}

static const struct tg_eval_tally *
finish(struct tg_eval_sample *s)
{
	assert_int_equal(tg_eval_sample_finish(s), 0);
	return tg_eval_tallies(s);
}

static void
assert_all_pass(const struct tg_eval_tally *c)
{
	for (int i = 0; i < TG_CHECKS; i++) {
		if (c[i].passed != c[i].checked)
			fail_msg("%s: %llu of %llu", tg_eval_check_name(i),
				 (unsigned long long)c[i].passed,
				 (unsigned long long)c[i].checked);
	}
}

static void
test_clean_conversation(void **state)
{
	struct tg_eval_sample *s = tg_eval_sample_create();
	struct tg_eval_table t;

	(void)state;
	conversation(s);
	const struct tg_eval_tally *c = finish(s);

	assert_all_pass(c);
	assert_int_equal(c[TG_CHECK_IP_CKSUM].checked, 8);
	assert_int_equal(c[TG_CHECK_L4_CKSUM].checked, 8);
	assert_int_equal(c[TG_CHECK_TCP_SEQ].checked, 6);
	assert_int_equal(c[TG_CHECK_TCP_ACK].checked, 7);
	assert_int_equal(c[TG_CHECK_TCP_STATES].checked, 8);
	assert_int_equal(c[TG_CHECK_TCP_HANDSHAKE].checked, 1);
	/* A sample against itself: every defined distance is 0. */
	assert_int_equal(tg_eval_compare(s, s, &t), 0);
	for (unsigned i = 0; i < t.n_rows; i++)
		assert_true(isnan(t.rows[i].value) || t.rows[i].value == 0);
	assert_non_null(tg_eval_row(&t, "jsd_pkt_size"));
	assert_int_equal(tg_eval_row(&t, "jsd_pkt_size")->real_n, 8);
	tg_eval_sample_free(s);
}

/* Flow starts at 0, 2 s and 2 s + 2 h in one file: one gap of 2 s. The
 * two hours are a pause of the capture, counted in no flow-start row. */
static void
test_flow_start_gaps(void **state)
{
	static const uint64_t at[3] = { 0, 2000000000ull,
					2000000000ull + 7200000000000ull };
	struct tg_eval_sample *s = tg_eval_sample_create();
	struct tg_eval_table t;

	(void)state;
	for (unsigned i = 0; i < 3; i++) {
		struct ep from = { { 10, 0, 0, 1 }, (uint16_t)(40000 + i) };
		struct ep to = { { 192, 0, 2, 7 }, 53 };
		uint8_t f[128];

		feed(s, f, frame(f, &from, &to, TG_PROTO_UDP, 0, 0, 0, 30),
		     at[i]);
	}
	finish(s);
	assert_int_equal(tg_eval_compare(s, s, &t), 0);
	assert_int_equal(tg_eval_totals(s)->flows, 3);
	assert_int_equal(tg_eval_row(&t, "jsd_iat_flow_start")->real_n, 1);
	assert_int_equal(tg_eval_row(&t, "emd_log_iat_flow_start")->real_n, 1);
	tg_eval_sample_free(s);
}

static void
test_bad_checksums(void **state)
{
	struct tg_eval_sample *s = tg_eval_sample_create();
	uint8_t f[256];
	uint32_t len;

	(void)state;
	len = frame(f, &client, &server, TG_PROTO_TCP, TG_TCP_SYN, 1, 0, 0);
	f[14 + 20 + 16] ^= 0x01;		/* TCP checksum */
	feed(s, f, len, 0);
	len = frame(f, &client, &server, TG_PROTO_UDP, 0, 0, 0, 4);
	f[14 + 10] ^= 0x80;			/* IP checksum */
	feed(s, f, len, 1);
	len = frame(f, &client, &server, TG_PROTO_UDP, 0, 0, 0, 4);
	put16(f + 14 + 20 + 6, 0);		/* no UDP checksum: fine */
	feed(s, f, len, 2);
	const struct tg_eval_tally *c = finish(s);

	assert_int_equal(c[TG_CHECK_IP_CKSUM].checked, 3);
	assert_int_equal(c[TG_CHECK_IP_CKSUM].passed, 2);
	assert_int_equal(c[TG_CHECK_L4_CKSUM].checked, 3);
	assert_int_equal(c[TG_CHECK_L4_CKSUM].passed, 2);
	tg_eval_sample_free(s);
}

static void
test_seq_gap(void **state)
{
	struct tg_eval_sample *s = tg_eval_sample_create();

	(void)state;
	TCP(s, &client, &server, TG_TCP_SYN, 1000, 0, 0, 0);
	TCP(s, &server, &client, SA, 5000, 1001, 0, 1);
	TCP(s, &client, &server, PA, 1001, 5001, 10, 2);
	TCP(s, &client, &server, PA, 1021, 5001, 10, 3);	/* 10 lost */
	TCP(s, &server, &client, TG_TCP_ACK, 5001, 1040, 0, 4);	/* too far */
	const struct tg_eval_tally *c = finish(s);

	assert_int_equal(c[TG_CHECK_TCP_SEQ].checked, 3);
	assert_int_equal(c[TG_CHECK_TCP_SEQ].passed, 2);
	assert_int_equal(c[TG_CHECK_TCP_ACK].checked, 4);
	assert_int_equal(c[TG_CHECK_TCP_ACK].passed, 3);
	assert_int_equal(c[TG_CHECK_TCP_HANDSHAKE].passed, 1);
	tg_eval_sample_free(s);
}

static void
test_data_before_handshake(void **state)
{
	struct tg_eval_sample *s = tg_eval_sample_create();

	(void)state;
	TCP(s, &client, &server, TG_TCP_SYN, 1000, 0, 0, 0);
	TCP(s, &client, &server, PA, 1001, 0, 10, 1);	/* no SYN-ACK yet */
	TCP(s, &server, &client, SA, 5000, 1001, 0, 2);
	const struct tg_eval_tally *c = finish(s);

	assert_int_equal(c[TG_CHECK_TCP_HANDSHAKE].checked, 1);
	assert_int_equal(c[TG_CHECK_TCP_HANDSHAKE].passed, 0);
	assert_int_equal(c[TG_CHECK_TCP_STATES].checked, 3);
	assert_int_equal(c[TG_CHECK_TCP_STATES].passed, 2);
	tg_eval_sample_free(s);
}

static void
test_addresses_ports_flags(void **state)
{
	struct tg_eval_sample *s = tg_eval_sample_create();
	const struct ep mcast = { { 224, 0, 0, 5 }, 5353 };
	const struct ep bcast = { { 255, 255, 255, 255 }, 67 };
	const struct ep zero_port = { { 10, 0, 0, 9 }, 0 };
	uint8_t f[256];

	(void)state;
	feed(s, f, frame(f, &mcast, &server, TG_PROTO_UDP, 0, 0, 0, 4), 0);
	feed(s, f, frame(f, &bcast, &server, TG_PROTO_UDP, 0, 0, 0, 4), 1);
	feed(s, f, frame(f, &client, &mcast, TG_PROTO_UDP, 0, 0, 0, 4), 2);
	feed(s, f, frame(f, &zero_port, &server, TG_PROTO_UDP, 0, 0, 0, 4),
	     3);
	TCP(s, &client, &server, TG_TCP_SYN | TG_TCP_FIN, 7, 0, 0, 4);
	TCP(s, &client, &server, TG_TCP_FIN | TG_TCP_PSH, 8, 0, 0, 5);
	TCP(s, &client, &server, TG_TCP_RST, 9, 0, 0, 6);
	const struct tg_eval_tally *c = finish(s);

	/* Multicast and broadcast sources fail; a multicast UDP
	 * destination is fine. */
	assert_int_equal(c[TG_CHECK_ADDR].checked, 7);
	assert_int_equal(c[TG_CHECK_ADDR].passed, 5);
	assert_int_equal(c[TG_CHECK_PORTS].checked, 7);
	assert_int_equal(c[TG_CHECK_PORTS].passed, 6);
	/* SYN+FIN and FIN without ACK fail; a bare RST is legal. */
	assert_int_equal(c[TG_CHECK_TCP_FLAGS].checked, 3);
	assert_int_equal(c[TG_CHECK_TCP_FLAGS].passed, 1);
	tg_eval_sample_free(s);
}

static void
test_lengths(void **state)
{
	struct tg_eval_sample *s = tg_eval_sample_create();
	struct tg_trace_stats st = { 0 };
	uint8_t f[256];
	uint32_t len;

	(void)state;
	/* Padded to Ethernet's 60 bytes: fine. */
	len = frame(f, &client, &server, TG_PROTO_UDP, 0, 0, 0, 4);
	memset(f + len, 0, 60 - len);
	feed(s, f, 60, 0);
	/* Four bytes too many at the end of a long frame: not padding. */
	len = frame(f, &client, &server, TG_PROTO_UDP, 0, 0, 0, 100);
	memset(f + len, 0, 4);
	feed(s, f, len + 4, 1);
	/* UDP shorter than the IP payload it sits in. */
	len = frame(f, &client, &server, TG_PROTO_UDP, 0, 0, 0, 10);
	put16(f + 14 + 20 + 4, 12);
	feed(s, f, len, 2);
	st.reasons[TG_TRACE_BAD_L4] = 1;
	tg_eval_add_dropped(s, &st);
	const struct tg_eval_tally *c = finish(s);

	assert_int_equal(c[TG_CHECK_IP_LEN].checked, 3);
	assert_int_equal(c[TG_CHECK_IP_LEN].passed, 2);
	assert_int_equal(c[TG_CHECK_L4_SIZE].checked, 4);
	assert_int_equal(c[TG_CHECK_L4_SIZE].passed, 2);
	tg_eval_sample_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsd),
		cmocka_unit_test(test_emd),
		cmocka_unit_test(test_acf),
		cmocka_unit_test(test_cmd),
		cmocka_unit_test(test_bins),
		cmocka_unit_test(test_clean_conversation),
		cmocka_unit_test(test_flow_start_gaps),
		cmocka_unit_test(test_bad_checksums),
		cmocka_unit_test(test_seq_gap),
		cmocka_unit_test(test_data_before_handshake),
		cmocka_unit_test(test_addresses_ports_flags),
		cmocka_unit_test(test_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
