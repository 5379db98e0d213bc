/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the TCP and ICMP conversation state (lib/flow).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tg_flow.h"

#define MS 1000000ull
#define CLIENT_ISN 1000u
#define SERVER_ISN 0xfffff000u	/* wraps during the tests */

static const struct tg_tcp_endpoint linux_client = {
	.isn = CLIENT_ISN, .mss = 1460, .wscale = 7, .sack_perm = true,
	.timestamps = true, .ts_base = 5000, .rcv_buf = 131072,
};
static const struct tg_tcp_endpoint linux_server = {
	.isn = SERVER_ISN, .mss = 1400, .wscale = 9, .sack_perm = true,
	.timestamps = true, .ts_base = 900000, .rcv_buf = 262144,
};

static struct tg_tcp_fields
must_emit(struct tg_tcp_conv *c, enum tg_dir dir, enum tg_intent intent,
	  uint32_t *len, uint64_t now)
{
	struct tg_tcp_fields f;

	assert_int_equal(tg_tcp_conv_step(c, dir, intent, len, now, &f),
			 TG_STEP_EMIT);
	return f;
}

static void
handshake(struct tg_tcp_conv *c)
{
	must_emit(c, TG_DIR_C2S, TG_INTENT_OPEN, NULL, 0);
	must_emit(c, TG_DIR_S2C, TG_INTENT_OPEN, NULL, MS);
	must_emit(c, TG_DIR_C2S, TG_INTENT_OPEN, NULL, 2 * MS);
}

static void
test_handshake(void **state)
{
	struct tg_tcp_conv c;
	struct tg_tcp_fields syn, synack, ack;

	(void)state;
	tg_tcp_conv_init(&c, &linux_client, &linux_server);
	syn = must_emit(&c, TG_DIR_C2S, TG_INTENT_OPEN, NULL, 3 * MS);
	assert_int_equal(syn.flags, TG_TCP_SYN);
	assert_int_equal(syn.seq, CLIENT_ISN);
	assert_int_equal(syn.ack, 0);
	/* Each SYN advertises the MSS its sender can receive. */
	assert_int_equal(syn.opts.mss, 1460);
	assert_true(syn.opts.has_wscale);
	assert_int_equal(syn.opts.wscale, 7);
	assert_true(syn.opts.sack_perm);
	assert_true(syn.opts.has_ts);
	assert_int_equal(syn.opts.tsval, 5000 + 3);
	assert_int_equal(syn.opts.tsecr, 0);
	/* SYN windows are not scaled and are capped at 65535. */
	assert_int_equal(syn.window, 65535);

	synack = must_emit(&c, TG_DIR_S2C, TG_INTENT_OPEN, NULL, 10 * MS);
	assert_int_equal(synack.flags, TG_TCP_SYN | TG_TCP_ACK);
	assert_int_equal(synack.seq, SERVER_ISN);
	assert_int_equal(synack.ack, CLIENT_ISN + 1);
	assert_int_equal(synack.opts.mss, 1400);
	assert_int_equal(synack.opts.wscale, 9);
	assert_int_equal(synack.opts.tsval, 900000 + 10);
	assert_int_equal(synack.opts.tsecr, 5000 + 3);

	ack = must_emit(&c, TG_DIR_C2S, TG_INTENT_OPEN, NULL, 10 * MS);
	assert_int_equal(ack.flags, TG_TCP_ACK);
	assert_int_equal(ack.seq, CLIENT_ISN + 1);
	assert_int_equal(ack.ack, SERVER_ISN + 1);
	assert_false(ack.opts.has_wscale);
	assert_int_equal(ack.opts.mss, 0);
	assert_true(ack.opts.has_ts);
	assert_int_equal(ack.opts.tsecr, 900000 + 10);
	/* From now on windows are scaled by the client's shift. */
	assert_int_equal(ack.window, 131072 >> 7);
	assert_int_equal(c.state, TG_TCP_ESTABLISHED);

	/* A second SYN is not possible. */
	assert_int_equal(tg_tcp_conv_step(&c, TG_DIR_C2S, TG_INTENT_OPEN, NULL,
					  0, &ack), TG_STEP_INVALID);
}

static void
test_options_only_when_both_offer(void **state)
{
	struct tg_tcp_endpoint client = linux_client;
	struct tg_tcp_endpoint server = linux_server;
	struct tg_tcp_conv c;
	struct tg_tcp_fields synack, ack;

	(void)state;
	client.wscale = -1;
	client.timestamps = false;
	server.sack_perm = false;
	tg_tcp_conv_init(&c, &client, &server);
	must_emit(&c, TG_DIR_C2S, TG_INTENT_OPEN, NULL, 0);
	synack = must_emit(&c, TG_DIR_S2C, TG_INTENT_OPEN, NULL, 0);
	assert_false(synack.opts.has_wscale);
	assert_false(synack.opts.has_ts);
	assert_false(synack.opts.sack_perm);
	assert_int_equal(synack.opts.mss, 1400);
	ack = must_emit(&c, TG_DIR_C2S, TG_INTENT_OPEN, NULL, 0);
	assert_false(ack.opts.has_ts);
	/* No window scaling: the window is the buffer, capped to 16 bits. */
	assert_int_equal(ack.window, 65535);
}

static void
test_data_and_acks(void **state)
{
	struct tg_tcp_conv c;
	struct tg_tcp_fields d1, d2, a, r;
	uint32_t len;

	(void)state;
	tg_tcp_conv_init(&c, &linux_client, &linux_server);
	handshake(&c);

	len = 300;
	d1 = must_emit(&c, TG_DIR_C2S, TG_INTENT_DATA, &len, 20 * MS);
	assert_int_equal(len, 300);
	assert_int_equal(d1.seq, CLIENT_ISN + 1);
	assert_int_equal(d1.ack, SERVER_ISN + 1);
	assert_int_equal(d1.flags, TG_TCP_ACK | TG_TCP_PSH);
	assert_true(tg_tcp_conv_ack_pending(&c, TG_DIR_S2C));
	assert_false(tg_tcp_conv_ack_pending(&c, TG_DIR_C2S));

	/* A big write is cut at the peer's MSS less the timestamp option. */
	len = 5000;
	d2 = must_emit(&c, TG_DIR_C2S, TG_INTENT_DATA, &len, 20 * MS);
	assert_int_equal(len, 1400 - 12);
	assert_int_equal(d2.seq, CLIENT_ISN + 1 + 300);
	assert_int_equal(d2.flags, TG_TCP_ACK);	/* full segment: no PSH */

	/* The server's ACK: the unread data is out of its window. */
	a = must_emit(&c, TG_DIR_S2C, TG_INTENT_ACK, NULL, 21 * MS);
	assert_int_equal(a.flags, TG_TCP_ACK);
	assert_int_equal(a.ack, CLIENT_ISN + 1 + 300 + 1388);
	assert_int_equal(a.seq, SERVER_ISN + 1);
	assert_int_equal(a.opts.tsecr, 5000 + 20);
	assert_int_equal(a.window, (262144 - 300 - 1388) >> 9);

	/* Nothing new to acknowledge: no duplicate ACK. */
	assert_int_equal(tg_tcp_conv_step(&c, TG_DIR_S2C, TG_INTENT_ACK, NULL,
					  22 * MS, &a), TG_STEP_SKIP);
	assert_false(tg_tcp_conv_ack_pending(&c, TG_DIR_S2C));

	/* The response: sequence numbers wrap past 2^32 correctly. */
	len = 100;
	r = must_emit(&c, TG_DIR_S2C, TG_INTENT_DATA, &len, 30 * MS);
	assert_int_equal(r.seq, SERVER_ISN + 1);
	assert_int_equal(r.ack, CLIENT_ISN + 1 + 300 + 1388);
	/* The server's application read the request: full window again. */
	assert_int_equal(r.window, 262144 >> 9);
	len = 4000;
	r = must_emit(&c, TG_DIR_S2C, TG_INTENT_DATA, &len, 30 * MS);
	assert_int_equal(r.seq, (uint32_t)(SERVER_ISN + 101));
	assert_int_equal(len, 1460 - 12);
	a = must_emit(&c, TG_DIR_C2S, TG_INTENT_ACK, NULL, 31 * MS);
	assert_int_equal(a.ack, (uint32_t)(SERVER_ISN + 101 + 1448));
}

/* A lost client segment: the server's duplicate ACKs stop at the hole,
 * keep the right edge of its window, SACK what came after, and leave the
 * conversation as it was, so its next ACK covers everything. */
static void
test_hole_acks(void **state)
{
	struct tg_tcp_endpoint server = linux_server;
	struct tg_tcp_conv c;
	struct tg_tcp_fields a, lost, d, dup, dup2, all;
	uint32_t len, hole, hole_end;

	(void)state;
	tg_tcp_conv_init(&c, &linux_client, &linux_server);
	handshake(&c);
	len = 5000;
	must_emit(&c, TG_DIR_C2S, TG_INTENT_DATA, &len, 20 * MS);
	a = must_emit(&c, TG_DIR_S2C, TG_INTENT_ACK, NULL, 21 * MS);
	lost = must_emit(&c, TG_DIR_C2S, TG_INTENT_DATA, &len, 22 * MS);
	hole = lost.seq;
	hole_end = lost.seq + len;
	assert_int_equal(hole, a.ack);
	/* Nothing arrived after the hole yet: no ACK for it. */
	assert_false(tg_tcp_conv_hole_ack(&c, TG_DIR_S2C, hole, hole_end,
					  23 * MS, &dup));
	d = must_emit(&c, TG_DIR_C2S, TG_INTENT_DATA, &len, 23 * MS);
	assert_true(tg_tcp_conv_hole_ack(&c, TG_DIR_S2C, hole, hole_end,
					 24 * MS, &dup));
	assert_int_equal(dup.flags, TG_TCP_ACK);
	assert_int_equal(dup.seq, a.seq);
	assert_int_equal(dup.ack, hole);
	assert_int_equal(dup.window, a.window);	/* a duplicate of `a` */
	assert_int_equal(dup.opts.tsval, 900000 + 24);
	assert_int_equal(dup.opts.tsecr, 5000 + 23);
	assert_true(dup.opts.has_sack);
	assert_int_equal(dup.opts.sack_left, hole_end);
	assert_int_equal(dup.opts.sack_right, d.seq + len);
	/* The sender echoes it; the next duplicate SACKs one more segment. */
	d = must_emit(&c, TG_DIR_C2S, TG_INTENT_DATA, &len, 25 * MS);
	assert_int_equal(d.opts.tsecr, 900000 + 24);
	assert_true(tg_tcp_conv_hole_ack(&c, TG_DIR_S2C, hole, hole_end,
					 26 * MS, &dup2));
	assert_int_equal(dup2.ack, hole);
	assert_int_equal(dup2.window, dup.window);
	assert_int_equal(dup2.opts.sack_right, d.seq + len);
	/* Once the hole is filled, the ACK covers all that arrived. */
	all = must_emit(&c, TG_DIR_S2C, TG_INTENT_ACK, NULL, 27 * MS);
	assert_int_equal(all.ack, d.seq + len);
	assert_false(all.opts.has_sack);
	/* A hole before what was acknowledged is no hole. */
	assert_false(tg_tcp_conv_hole_ack(&c, TG_DIR_S2C, hole, hole_end,
					  28 * MS, &dup));

	/* Without SACK on both sides: no block. */
	server.sack_perm = false;
	tg_tcp_conv_init(&c, &linux_client, &server);
	handshake(&c);
	lost = must_emit(&c, TG_DIR_C2S, TG_INTENT_DATA, &len, 20 * MS);
	must_emit(&c, TG_DIR_C2S, TG_INTENT_DATA, &len, 20 * MS);
	assert_true(tg_tcp_conv_hole_ack(&c, TG_DIR_S2C, lost.seq,
					 lost.seq + len, 21 * MS, &dup));
	assert_false(dup.opts.has_sack);
	assert_int_equal(dup.ack, lost.seq);
}

static void
test_window_limits_sender(void **state)
{
	struct tg_tcp_endpoint server = linux_server;
	struct tg_tcp_conv c;
	uint32_t sent = 0, len;
	struct tg_tcp_fields f;

	(void)state;
	server.rcv_buf = 8192;
	server.wscale = 0;
	tg_tcp_conv_init(&c, &linux_client, &server);
	handshake(&c);
	/* The server's SYN-ACK advertised 8192 bytes. */
	assert_int_equal(tg_tcp_conv_send_room(&c, TG_DIR_C2S), 8192 - 1);
	for (;;) {
		len = 100000;
		enum tg_step_result r = tg_tcp_conv_step(
			&c, TG_DIR_C2S, TG_INTENT_DATA, &len, 40 * MS, &f);
		if (r == TG_STEP_SKIP)
			break;
		assert_int_equal(r, TG_STEP_EMIT);
		sent += len;
	}
	/* Never beyond, nor exactly up to, the edge. */
	assert_int_equal(sent, 8192 - 1);
	assert_int_equal(len, 0);
	assert_int_equal(tg_tcp_conv_send_room(&c, TG_DIR_C2S), 0);
	/* The ACK of a full buffer still keeps the old right edge and does
	 * not advertise a zero window. */
	f = must_emit(&c, TG_DIR_S2C, TG_INTENT_ACK, NULL, 41 * MS);
	assert_int_equal(f.ack, CLIENT_ISN + 1 + sent);
	assert_true(f.window >= 1);
	assert_true((uint32_t)(f.ack + f.window) >= CLIENT_ISN + 1 + 8192);
	/* The application read it all once it acted: room again after the
	 * server's next packet. */
	len = 10;
	must_emit(&c, TG_DIR_S2C, TG_INTENT_DATA, &len, 42 * MS);
	assert_true(tg_tcp_conv_send_room(&c, TG_DIR_C2S) >= 8000);
}

static void
test_close_fin_consumes_one(void **state)
{
	struct tg_tcp_conv c;
	struct tg_tcp_fields fin1, ack1, data, fin2, last;
	uint32_t len = 50;

	(void)state;
	tg_tcp_conv_init(&c, &linux_client, &linux_server);
	handshake(&c);
	must_emit(&c, TG_DIR_C2S, TG_INTENT_DATA, &len, 5 * MS);

	fin1 = must_emit(&c, TG_DIR_C2S, TG_INTENT_CLOSE, NULL, 6 * MS);
	assert_int_equal(fin1.flags, TG_TCP_FIN | TG_TCP_ACK);
	assert_int_equal(fin1.seq, CLIENT_ISN + 1 + 50);
	assert_int_equal(c.state, TG_TCP_FIN_ONE);
	/* After its FIN the client may not send data or a second FIN. */
	len = 10;
	assert_int_equal(tg_tcp_conv_step(&c, TG_DIR_C2S, TG_INTENT_DATA,
					  &len, 6 * MS, &data),
			 TG_STEP_INVALID);
	assert_int_equal(tg_tcp_conv_step(&c, TG_DIR_C2S, TG_INTENT_CLOSE,
					  NULL, 6 * MS, &data),
			 TG_STEP_INVALID);

	ack1 = must_emit(&c, TG_DIR_S2C, TG_INTENT_ACK, NULL, 7 * MS);
	assert_int_equal(ack1.ack, CLIENT_ISN + 1 + 50 + 1);
	/* Half-close: the server may still send. */
	len = 20;
	data = must_emit(&c, TG_DIR_S2C, TG_INTENT_DATA, &len, 8 * MS);
	assert_int_equal(data.ack, CLIENT_ISN + 52);
	fin2 = must_emit(&c, TG_DIR_S2C, TG_INTENT_CLOSE, NULL, 9 * MS);
	assert_int_equal(fin2.seq, (uint32_t)(SERVER_ISN + 1 + 20));
	assert_int_equal(c.state, TG_TCP_FIN_BOTH);
	assert_false(tg_tcp_conv_done(&c));

	last = must_emit(&c, TG_DIR_C2S, TG_INTENT_ACK, NULL, 10 * MS);
	assert_int_equal(last.seq, CLIENT_ISN + 52);
	assert_int_equal(last.ack, (uint32_t)(SERVER_ISN + 1 + 20 + 1));
	assert_true(tg_tcp_conv_done(&c));
	assert_int_equal(tg_tcp_conv_step(&c, TG_DIR_C2S, TG_INTENT_ACK, NULL,
					  11 * MS, &last), TG_STEP_INVALID);
}

static void
test_reset(void **state)
{
	struct tg_tcp_conv c;
	struct tg_tcp_fields f;
	uint32_t len = 10;

	(void)state;
	tg_tcp_conv_init(&c, &linux_client, &linux_server);
	assert_int_equal(tg_tcp_conv_step(&c, TG_DIR_S2C, TG_INTENT_RESET,
					  NULL, 0, &f), TG_STEP_INVALID);
	/* Data before the handshake is impossible. */
	assert_int_equal(tg_tcp_conv_step(&c, TG_DIR_C2S, TG_INTENT_DATA, &len,
					  0, &f), TG_STEP_INVALID);
	handshake(&c);
	len = 10;
	must_emit(&c, TG_DIR_C2S, TG_INTENT_DATA, &len, 3 * MS);
	f = must_emit(&c, TG_DIR_S2C, TG_INTENT_RESET, NULL, 4 * MS);
	assert_int_equal(f.flags, TG_TCP_RST | TG_TCP_ACK);
	assert_int_equal(f.seq, (uint32_t)(SERVER_ISN + 1));
	assert_int_equal(f.ack, CLIENT_ISN + 11);
	assert_true(tg_tcp_conv_done(&c));
}

static void
test_refused_connection(void **state)
{
	struct tg_tcp_conv c;
	struct tg_tcp_fields f;

	(void)state;
	tg_tcp_conv_init(&c, &linux_client, &linux_server);
	must_emit(&c, TG_DIR_C2S, TG_INTENT_OPEN, NULL, 0);
	f = must_emit(&c, TG_DIR_S2C, TG_INTENT_RESET, NULL, MS);
	assert_int_equal(f.ack, CLIENT_ISN + 1);
	/* RFC 9293 3.10.7.1: seq 0; as stacks send it, window 0 and no
	 * options. */
	assert_int_equal(f.seq, 0);
	assert_int_equal(f.window, 0);
	assert_int_equal(f.flags, TG_TCP_RST | TG_TCP_ACK);
	assert_false(f.opts.has_ts);
	assert_true(tg_tcp_conv_done(&c));
}

/* A measured window after the handshake: the SYN says 64240, later
 * segments the measured field (scaled by the side's shift), whatever the
 * receiver has not read yet. */
static void
test_data_window(void **state)
{
	struct tg_tcp_endpoint client = linux_client;
	struct tg_tcp_conv c;
	struct tg_tcp_fields f;
	uint32_t len = 1000;

	(void)state;
	client.rcv_buf = 64240;
	client.data_window = 1000;	/* 128000 bytes at shift 7 */
	tg_tcp_conv_init(&c, &client, &linux_server);
	f = must_emit(&c, TG_DIR_C2S, TG_INTENT_OPEN, NULL, 0);
	assert_int_equal(f.window, 64240);
	must_emit(&c, TG_DIR_S2C, TG_INTENT_OPEN, NULL, MS);
	f = must_emit(&c, TG_DIR_C2S, TG_INTENT_OPEN, NULL, 2 * MS);
	assert_int_equal(f.window, 1000);
	must_emit(&c, TG_DIR_S2C, TG_INTENT_DATA, &len, 3 * MS);
	f = must_emit(&c, TG_DIR_C2S, TG_INTENT_ACK, NULL, 4 * MS);
	assert_int_equal(f.window, 1000);
}

/* --- A random conversation checked against an independent observer ---- */

/* What a passive observer (like Wireshark) remembers per direction. */
struct observed {
	bool seen;
	uint32_t next_seq;	/* seq the next segment must carry */
	uint32_t last_ack;
	uint16_t last_win;
	uint32_t right_edge;	/* last_ack + window << scale */
	uint32_t last_tsval;
};

static void
observe(struct observed obs[2], enum tg_dir dir, const struct tg_tcp_fields *f,
	uint32_t len, const int scale[2], bool established)
{
	struct observed *me = &obs[dir];
	struct observed *peer = &obs[tg_dir_peer(dir)];
	uint32_t seq_len = len + !!(f->flags & (TG_TCP_SYN | TG_TCP_FIN));

	if (me->seen)
		assert_int_equal(f->seq, me->next_seq);
	if (f->flags & TG_TCP_ACK) {
		/* never acknowledges unseen bytes, never goes backwards */
		assert_true(peer->seen);
		assert_true((int32_t)(peer->next_seq - f->ack) >= 0);
		if (me->last_ack)
			assert_true((int32_t)(f->ack - me->last_ack) >= 0);
		/* no duplicate ACKs and no bare window updates */
		if (len == 0 && !(f->flags & (TG_TCP_SYN | TG_TCP_FIN |
					      TG_TCP_RST)) &&
		    me->last_ack)
			assert_int_not_equal(f->ack, me->last_ack);
		me->last_ack = f->ack;
	}
	if (len > 0 && peer->right_edge) {
		/* stays inside, and short of, the advertised window */
		assert_true((int32_t)(peer->right_edge - (f->seq + len)) > 0);
	}
	if (established && (f->flags & TG_TCP_ACK)) {
		uint32_t edge = f->ack + ((uint32_t)f->window << scale[dir]);

		assert_true(f->window > 0);
		if (me->right_edge)
			assert_true((int32_t)(edge - me->right_edge) >= 0);
		me->right_edge = edge;
	}
	assert_true(f->opts.tsval >= me->last_tsval);
	me->last_tsval = f->opts.tsval;
	me->seen = true;
	me->next_seq = f->seq + seq_len;
}

static void
test_random_conversations_stay_consistent(void **state)
{
	const int scale[2] = { 7, 9 };

	(void)state;
	srand(7);
	for (int run = 0; run < 200; run++) {
		struct tg_tcp_conv c;
		struct observed obs[2] = { { 0 } };
		uint64_t now = 0;
		struct tg_tcp_fields f;
		uint32_t len = 0;

		tg_tcp_conv_init(&c, &linux_client, &linux_server);
		for (int i = 0; i < 3; i++) {
			enum tg_dir d = i == 1 ? TG_DIR_S2C : TG_DIR_C2S;

			f = must_emit(&c, d, TG_INTENT_OPEN, NULL, now);
			observe(obs, d, &f, 0, scale, i == 2);
		}
		for (int i = 0; i < 400 && !tg_tcp_conv_done(&c); i++) {
			enum tg_dir d = (enum tg_dir)(rand() % 2);
			int r = rand() % 100;
			enum tg_intent intent = r < 60	 ? TG_INTENT_DATA
						: r < 95 ? TG_INTENT_ACK
						: r < 99 ? TG_INTENT_CLOSE
							 : TG_INTENT_RESET;

			now += (uint64_t)(rand() % 5000) * 1000;
			len = (uint32_t)(rand() % 4000);
			if (tg_tcp_conv_step(&c, d, intent, &len, now, &f) !=
			    TG_STEP_EMIT)
				continue;
			if (intent != TG_INTENT_DATA)
				len = 0;
			observe(obs, d, &f, len, scale, true);
		}
	}
}

static void
test_icmp_echo(void **state)
{
	struct tg_icmp_conv c;
	struct tg_icmp_fields f;

	(void)state;
	tg_icmp_conv_init(&c, 0x1234, false);
	assert_int_equal(tg_icmp_conv_step(&c, TG_DIR_S2C, &f),
			 TG_STEP_INVALID);
	for (uint16_t i = 1; i <= 3; i++) {
		assert_int_equal(tg_icmp_conv_step(&c, TG_DIR_C2S, &f),
				 TG_STEP_EMIT);
		assert_int_equal(f.type, 8);
		assert_int_equal(f.id, 0x1234);
		assert_int_equal(f.seq, i);
		assert_int_equal(tg_icmp_conv_step(&c, TG_DIR_S2C, &f),
				 TG_STEP_EMIT);
		assert_int_equal(f.type, 0);
		assert_int_equal(f.seq, i);
	}
	tg_icmp_conv_init(&c, 7, true);
	tg_icmp_conv_step(&c, TG_DIR_C2S, &f);
	assert_int_equal(f.type, 128);
	tg_icmp_conv_step(&c, TG_DIR_S2C, &f);
	assert_int_equal(f.type, 129);
	assert_int_equal(f.id, 7);
}

/* An ACK is owed exactly while the peer sent sequence space (SYN, data,
 * FIN) the side has not acknowledged: "the last ack sent differs from
 * what the side expects next", a 0 ack counting as sent before anything
 * was, so a peer whose SYN ends at sequence 0 leaves nothing owed. */
static void
test_ack_owed(void **state)
{
	struct tg_tcp_endpoint server = linux_server;
	struct tg_tcp_conv c;
	uint32_t len = 100;

	(void)state;
	tg_tcp_conv_init(&c, &linux_client, &server);
	must_emit(&c, TG_DIR_C2S, TG_INTENT_OPEN, NULL, 0);
	assert_true(tg_tcp_conv_ack_pending(&c, TG_DIR_S2C));
	assert_false(tg_tcp_conv_ack_pending(&c, TG_DIR_C2S));
	must_emit(&c, TG_DIR_S2C, TG_INTENT_OPEN, NULL, MS);
	assert_false(tg_tcp_conv_ack_pending(&c, TG_DIR_S2C));
	assert_true(tg_tcp_conv_ack_pending(&c, TG_DIR_C2S));
	must_emit(&c, TG_DIR_C2S, TG_INTENT_OPEN, NULL, 2 * MS);
	assert_false(tg_tcp_conv_ack_pending(&c, TG_DIR_C2S));
	must_emit(&c, TG_DIR_C2S, TG_INTENT_DATA, &len, 3 * MS);
	assert_true(tg_tcp_conv_ack_pending(&c, TG_DIR_S2C));
	must_emit(&c, TG_DIR_S2C, TG_INTENT_ACK, NULL, 4 * MS);
	assert_false(tg_tcp_conv_ack_pending(&c, TG_DIR_S2C));
	must_emit(&c, TG_DIR_S2C, TG_INTENT_CLOSE, NULL, 5 * MS);
	assert_true(tg_tcp_conv_ack_pending(&c, TG_DIR_C2S));

	server.isn = UINT32_MAX;	/* its SYN ends at 0 */
	tg_tcp_conv_init(&c, &linux_client, &server);
	must_emit(&c, TG_DIR_C2S, TG_INTENT_OPEN, NULL, 0);
	must_emit(&c, TG_DIR_S2C, TG_INTENT_OPEN, NULL, MS);
	assert_false(tg_tcp_conv_ack_pending(&c, TG_DIR_C2S));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_options_only_when_both_offer),
		cmocka_unit_test(test_data_and_acks),
		cmocka_unit_test(test_hole_acks),
		cmocka_unit_test(test_window_limits_sender),
		cmocka_unit_test(test_close_fin_consumes_one),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_refused_connection),
		cmocka_unit_test(test_data_window),
		cmocka_unit_test(test_random_conversations_stay_consistent),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_ack_owed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
