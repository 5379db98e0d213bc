/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of capture reading (lib/trace): the decoder on hand-built
 * frames of every link type, cut frames, IPv6 extension headers,
 * fragments and tunnels; flow assembly; the service table; and the whole
 * of ../shared/data/train, cross-checked with tshark.
 */
#include <pcap/dlt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "tg_flows.h"
#include "tg_services.h"
#include "tg_trace.h"

/* An IPv4 or IPv6 TCP/UDP packet (no link header) into buf; its length. */
static uint16_t
make_ip(uint8_t *buf, int version, uint8_t proto, uint16_t payload)
{
	uint8_t frame[2048];
	struct tg_pkt_spec spec = { .ip_version = (uint8_t)version,
				    .proto = proto, .ttl = 57, .sport = 40000,
				    .dport = 443, .payload_len = payload };

	spec.src.b[0] = 10;
	spec.dst.b[0] = 192;
	spec.tcp.flags = TG_TCP_SYN;
	spec.tcp.opts = (struct tg_tcp_opts){ .mss = 1460, .sack_perm = true,
					      .has_ts = true, .tsval = 7,
					      .has_wscale = true,
					      .wscale = 8 };
	memset(frame, 0, sizeof(frame));
	uint16_t n = tg_pkt_write(&spec, frame, sizeof(frame), NULL);

	assert_true(n > 14);
	memcpy(buf, frame + 14, n - 14u);
	return (uint16_t)(n - 14);
}

static enum tg_skip
decode(int linktype, const uint8_t *f, uint32_t len, struct tg_trace_pkt *p)
{
	memset(p, 0, sizeof(*p));
	return tg_trace_decode(linktype, f, len, len, p);
}

/* Prefix `ip` with a link header of `hlen` bytes. */
static uint32_t
with_link(uint8_t *out, const uint8_t *hdr, uint32_t hlen, const uint8_t *ip,
	  uint32_t len)
{
	memcpy(out, hdr, hlen);
	memcpy(out + hlen, ip, len);
	return hlen + len;
}

static void
expect_tcp_syn(const struct tg_trace_pkt *p, int version)
{
	assert_int_equal(p->ip_version, version);
	assert_int_equal(p->proto, TG_PROTO_TCP);
	assert_int_equal(p->sport, 40000);
	assert_int_equal(p->dport, 443);
	assert_int_equal(p->ttl, 57);
	assert_int_equal(p->tcp_flags, TG_TCP_SYN);
	assert_int_equal(p->opts.mss, 1460);
	assert_int_equal(p->opts.wscale, 8);
	assert_true(p->opts.sack_perm && p->opts.has_ts);
	assert_string_equal(p->opts.layout, "MSTNW");
	assert_int_equal(p->payload_len, 0);
}

static void
test_link_types(void **state)
{
	uint8_t ip4[256], ip6[256], f[512];
	uint16_t n4 = make_ip(ip4, 4, TG_PROTO_TCP, 0);
	uint16_t n6 = make_ip(ip6, 6, TG_PROTO_TCP, 0);
	struct tg_trace_pkt p;
	uint32_t n;

	(void)state;
	static const uint8_t eth4[14] = { [12] = 0x08, [13] = 0x00 };
	n = with_link(f, eth4, 14, ip4, n4);
	assert_int_equal(decode(DLT_EN10MB, f, n, &p), TG_SKIP_NONE);
	expect_tcp_syn(&p, 4);

	/* QinQ: 802.1ad outer tag, 802.1Q inner tag, IPv6 */
	static const uint8_t qinq[22] = { [12] = 0x88, [13] = 0xa8, [14] = 0,
					  [15] = 5, [16] = 0x81, [17] = 0x00,
					  [18] = 0, [19] = 7, [20] = 0x86,
					  [21] = 0xdd };
	n = with_link(f, qinq, 22, ip6, n6);
	assert_int_equal(decode(DLT_EN10MB, f, n, &p), TG_SKIP_NONE);
	expect_tcp_syn(&p, 6);

	static const uint8_t sll[16] = { [14] = 0x08, [15] = 0x00 };
	n = with_link(f, sll, 16, ip4, n4);
	assert_int_equal(decode(DLT_LINUX_SLL, f, n, &p), TG_SKIP_NONE);
	expect_tcp_syn(&p, 4);

	static const uint8_t sll2[20] = { [0] = 0x86, [1] = 0xdd };
	n = with_link(f, sll2, 20, ip6, n6);
	assert_int_equal(decode(DLT_LINUX_SLL2, f, n, &p), TG_SKIP_NONE);
	expect_tcp_syn(&p, 6);

	assert_int_equal(decode(DLT_RAW, ip6, n6, &p), TG_SKIP_NONE);
	expect_tcp_syn(&p, 6);
	assert_int_equal(decode(DLT_IPV4, ip4, n4, &p), TG_SKIP_NONE);

	static const uint8_t null_le[4] = { 30, 0, 0, 0 };	/* macOS AF_INET6 */
	n = with_link(f, null_le, 4, ip6, n6);
	assert_int_equal(decode(DLT_NULL, f, n, &p), TG_SKIP_NONE);
	static const uint8_t null_be[4] = { 0, 0, 0, 2 };
	n = with_link(f, null_be, 4, ip4, n4);
	assert_int_equal(decode(DLT_NULL, f, n, &p), TG_SKIP_NONE);
	assert_int_equal(decode(DLT_LOOP, f, n, &p), TG_SKIP_NONE);

	static const uint8_t ppp[4] = { 0xff, 0x03, 0x00, 0x21 };
	n = with_link(f, ppp, 4, ip4, n4);
	assert_int_equal(decode(DLT_PPP, f, n, &p), TG_SKIP_NONE);
	expect_tcp_syn(&p, 4);
	static const uint8_t ppp_short[1] = { 0x57 };	/* compressed, IPv6 */
	n = with_link(f, ppp_short, 1, ip6, n6);
	assert_int_equal(decode(DLT_PPP, f, n, &p), TG_SKIP_NONE);

	static const uint8_t chdlc[4] = { 0x0f, 0x00, 0x08, 0x00 };
	n = with_link(f, chdlc, 4, ip4, n4);
	assert_int_equal(decode(DLT_C_HDLC, f, n, &p), TG_SKIP_NONE);
	expect_tcp_syn(&p, 4);

	/* Not IP, and a link type we do not read */
	static const uint8_t arp[14] = { [12] = 0x08, [13] = 0x06 };
	n = with_link(f, arp, 14, ip4, n4);
	assert_int_equal(decode(DLT_EN10MB, f, n, &p), TG_SKIP_NOT_IP);
	assert_int_equal(decode(DLT_IEEE802_11, f, n, &p), TG_SKIP_LINK);
}

/* Every prefix of a frame decodes without reading past it. */
static void
test_truncated_frames(void **state)
{
	uint8_t ip6[256], f[512];
	uint16_t n6 = make_ip(ip6, 6, TG_PROTO_TCP, 0);
	static const uint8_t eth6[14] = { [12] = 0x86, [13] = 0xdd };
	uint32_t n = with_link(f, eth6, 14, ip6, n6);
	struct tg_trace_pkt p;

	(void)state;
	for (uint32_t len = 0; len < n; len++) {
		/* a copy of exactly len bytes, so ASan sees any overread */
		uint8_t *cut = malloc(len ? len : 1);

		memcpy(cut, f, len);
		enum tg_skip r = tg_trace_decode(DLT_EN10MB, cut, len, n, &p);
		free(cut);
		assert_int_equal(r, TG_SKIP_TRUNCATED);
	}
	assert_int_equal(decode(DLT_EN10MB, f, n, &p), TG_SKIP_NONE);

	/* A frame cut inside the payload keeps its true payload length. */
	uint8_t ip4[2048];
	uint16_t n4 = make_ip(ip4, 4, TG_PROTO_UDP, 1000);
	memset(&p, 0, sizeof(p));
	assert_int_equal(tg_trace_decode(DLT_RAW, ip4, 96, n4, &p),
			 TG_SKIP_NONE);
	assert_int_equal(p.payload_len, 1000);
	assert_int_equal(p.payload_cap, 96 - 28);
}

static void
test_ipv6_extension_headers(void **state)
{
	uint8_t ip6[256], f[512];
	uint16_t n6 = make_ip(ip6, 6, TG_PROTO_UDP, 20);
	struct tg_trace_pkt p;

	(void)state;
	/* IPv6 header, then hop-by-hop (8), destination options (16),
	 * an atomic fragment header (8), then the UDP datagram. */
	memcpy(f, ip6, 40);
	f[6] = 0;			/* next: hop-by-hop */
	uint8_t *x = f + 40;
	memset(x, 0, 32);
	x[0] = 60; x[1] = 0;		/* next: dest opts, 8 bytes */
	x[8] = 44; x[9] = 1;		/* next: fragment, 16 bytes */
	x[24] = 17;			/* fragment header: next UDP, offset 0 */
	memcpy(f + 72, ip6 + 40, n6 - 40u);
	uint16_t payload = (uint16_t)(n6 - 40 + 32);
	f[4] = (uint8_t)(payload >> 8);
	f[5] = (uint8_t)payload;
	assert_int_equal(decode(DLT_RAW, f, 40u + payload, &p), TG_SKIP_NONE);
	assert_int_equal(p.proto, TG_PROTO_UDP);
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.payload_len, 20);

	/* A non-first fragment */
	x[26] = 0x01;			/* offset 32 */
	assert_int_equal(decode(DLT_RAW, f, 40u + payload, &p),
			 TG_SKIP_FRAGMENT);
	/* ESP and IPv6-in-IPv6 */
	f[6] = 50;
	assert_int_equal(decode(DLT_RAW, f, 40u + payload, &p),
			 TG_SKIP_ENCRYPTED);
	f[6] = 41;
	assert_int_equal(decode(DLT_RAW, f, 40u + payload, &p),
			 TG_SKIP_TUNNEL);
}

static void
test_ipv4_fragments_and_tunnels(void **state)
{
	uint8_t ip4[256];
	uint16_t n4 = make_ip(ip4, 4, TG_PROTO_UDP, 30);
	struct tg_trace_pkt p;

	(void)state;
	ip4[6] = 0x20;		/* MF: a first fragment */
	assert_int_equal(decode(DLT_RAW, ip4, n4, &p), TG_SKIP_FRAGMENT);
	ip4[6] = 0x00;
	ip4[7] = 0x10;		/* offset 128 */
	assert_int_equal(decode(DLT_RAW, ip4, n4, &p), TG_SKIP_FRAGMENT);
	ip4[7] = 0;
	ip4[9] = 4;		/* IP in IP */
	assert_int_equal(decode(DLT_RAW, ip4, n4, &p), TG_SKIP_TUNNEL);
	ip4[9] = 47;		/* GRE */
	assert_int_equal(decode(DLT_RAW, ip4, n4, &p), TG_SKIP_TUNNEL);
	ip4[9] = 132;		/* SCTP */
	assert_int_equal(decode(DLT_RAW, ip4, n4, &p), TG_SKIP_OTHER_PROTO);
	ip4[0] = 0x43;		/* IHL 3: nonsense */
	assert_int_equal(decode(DLT_RAW, ip4, n4, &p), TG_SKIP_BAD_IP);
}

/* --- Flow assembly ------------------------------------------------------ */

#define MAX_SEEN 16
struct seen {
	struct tg_flow_rec rec[MAX_SEEN];
	unsigned n;
};

static void
collect(const struct tg_flow_rec *f, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	s->rec[s->n] = *f;
	s->rec[s->n].events = NULL;
	s->n++;
}

static struct tg_trace_pkt
tcp_pkt(uint32_t file, uint64_t ms, bool from_a, uint16_t a_port,
	uint16_t b_port, uint8_t flags, uint32_t len)
{
	struct tg_trace_pkt p = { .ts_ns = ms * 1000000ull, .file = file,
				  .ip_version = 4, .proto = TG_PROTO_TCP,
				  .tcp_flags = flags, .payload_len = len,
				  .wire_len = 54 + len, .ttl = 64 };

	p.src.b[0] = from_a ? 10 : 192;
	p.dst.b[0] = from_a ? 192 : 10;
	p.sport = from_a ? a_port : b_port;
	p.dport = from_a ? b_port : a_port;
	return p;
}

static void
test_flows_roles_and_ends(void **state)
{
	struct seen s = { .n = 0 };
	struct tg_flows_params params = { .on_flow = collect, .arg = &s };
	struct tg_flows *t = tg_flows_create(&params);
	struct tg_trace_pkt p;

	(void)state;
	/* A whole connection opened by A and closed with FINs. */
	p = tcp_pkt(0, 0, true, 50000, 80, TG_TCP_SYN, 0);
	tg_flows_add(t, &p);
	p = tcp_pkt(0, 10, false, 50000, 80, TG_TCP_SYN | TG_TCP_ACK, 0);
	tg_flows_add(t, &p);
	p = tcp_pkt(0, 11, true, 50000, 80, TG_TCP_ACK, 300);
	tg_flows_add(t, &p);
	p = tcp_pkt(0, 30, false, 50000, 80, TG_TCP_FIN | TG_TCP_ACK, 0);
	tg_flows_add(t, &p);
	p = tcp_pkt(0, 31, true, 50000, 80, TG_TCP_FIN | TG_TCP_ACK, 0);
	tg_flows_add(t, &p);
	p = tcp_pkt(0, 40, false, 50000, 80, TG_TCP_ACK, 0);
	tg_flows_add(t, &p);
	/* The port is reused with a new SYN: a second flow. */
	p = tcp_pkt(0, 500, true, 50000, 80, TG_TCP_SYN, 0);
	tg_flows_add(t, &p);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.rec[0].end, TG_END_FIN);
	assert_int_equal(s.rec[0].role_rule, TG_ROLE_SYN);
	assert_int_equal(s.rec[0].client.b[0], 10);
	assert_int_equal(s.rec[0].server_port, 80);
	assert_int_equal(s.rec[0].packets[0], 3);
	assert_int_equal(s.rec[0].packets[1], 3);
	assert_int_equal(s.rec[0].payload_bytes[0], 300);
	assert_true(s.rec[0].side[0].saw_syn && s.rec[0].side[1].saw_syn);

	/* Mid-flow capture: the first packet comes from port 443. */
	p = tcp_pkt(0, 600, false, 51000, 443, TG_TCP_ACK, 1000);
	tg_flows_add(t, &p);
	p = tcp_pkt(0, 601, true, 51000, 443, TG_TCP_RST | TG_TCP_ACK, 0);
	tg_flows_add(t, &p);
	/* A flow of another file: the first file's flows end there. */
	p = tcp_pkt(1, 0, true, 52000, 22, TG_TCP_ACK, 10);
	tg_flows_add(t, &p);
	assert_int_equal(s.n, 3);
	/* Flows ended together come in no particular order. */
	const struct tg_flow_rec *syn2 = &s.rec[1], *mid = &s.rec[2];
	if (syn2->server_port != 80) {
		syn2 = &s.rec[2];
		mid = &s.rec[1];
	}
	assert_int_equal(syn2->end, TG_END_EOF);
	assert_int_equal(mid->end, TG_END_RST);
	assert_int_equal(mid->role_rule, TG_ROLE_PORT);
	assert_int_equal(mid->client.b[0], 10);
	assert_int_equal(mid->server_port, 443);
	assert_int_equal(mid->packets[1], 1);

	/* Idle for longer than the TCP timeout. */
	p = tcp_pkt(1, 200000, true, 52000, 22, TG_TCP_ACK, 10);
	tg_flows_add(t, &p);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.rec[3].end, TG_END_TIMEOUT);
	assert_int_equal(s.rec[3].role_rule, TG_ROLE_FIRST);
	tg_flows_flush(t);
	assert_int_equal(s.n, 5);
	assert_int_equal(tg_flows_open_count(t), 0);
	tg_flows_free(t);
}

static void
test_services_and_ports(void **state)
{
	(void)state;
	assert_string_equal(tg_service_class(TG_PROTO_TCP, 443), "tls");
	assert_string_equal(tg_service_class(TG_PROTO_UDP, 443), "quic");
	assert_string_equal(tg_service_class(TG_PROTO_UDP, 53), "dns");
	assert_string_equal(tg_service_class(TG_PROTO_TCP, 53), "dns");
	assert_string_equal(tg_service_class(TG_PROTO_TCP, 6885),
			    "bittorrent");
	assert_string_equal(tg_service_class(TG_PROTO_TCP, 1234), "other-tcp");
	assert_string_equal(tg_service_class(TG_PROTO_UDP, 9), "other-udp");
	assert_string_equal(tg_service_class(TG_PROTO_ICMPV6, 0), "icmpv6");
	assert_int_equal(tg_port_bin(443).first, 443);
	assert_int_equal(tg_port_bin(443).last, 443);
	assert_int_equal(tg_port_bin(1024).first, 1024);
	assert_int_equal(tg_port_bin(40000).first, 32768);
	assert_int_equal(tg_port_bin(65535).last, 65535);
	for (uint32_t port = 1024; port <= 65535; port++) {
		struct tg_port_bin b = tg_port_bin((uint16_t)port);

		assert_true(port >= b.first && port <= b.last);
	}
	assert_string_equal(tg_client_port_range(40000), "linux");
	assert_string_equal(tg_client_port_range(50000), "linux-or-windows");
	assert_string_equal(tg_client_port_range(62000), "windows");
	assert_string_equal(tg_client_port_range(3000), "legacy");
}

/* --- The real captures -------------------------------------------------- */

static unsigned long flows_seen;

static void
count_flow(const struct tg_flow_rec *f, void *arg)
{
	(void)arg;
	assert_true(f->packets[0] + f->packets[1] > 0);
	assert_true(f->last_ns >= f->first_ns);
	flows_seen++;
}

/* tshark's count of packets matching `filter` in `file`. */
static long
tshark_count(const char *file, const char *filter)
{
	char cmd[1024];
	long n = -1;

	snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' -Y '%s' -T fields "
		 "-e frame.number 2>/dev/null | wc -l", file, filter);
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return -1;
	if (fscanf(p, "%ld", &n) != 1)
		n = -1;
	pclose(p);
	return n;
}

static void
test_training_captures(void **state)
{
	const char *root = getenv("TG_SOURCE_ROOT");
	char dir[1024], err[256];
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/../shared/data/train",
		 root ? root : ".");
	if (stat(dir, &st) != 0) {
		print_message("SKIP: %s is absent: no real captures to read\n",
			      dir);
		skip();
	}
	const char *paths[] = { dir };
	struct tg_trace *t = tg_trace_open(paths, 1, stderr, err, sizeof(err));
	struct tg_flows_params params = { .on_flow = count_flow };
	struct tg_flows *flows = tg_flows_create(&params);
	struct tg_trace_pkt p;

	assert_non_null(t);
	while (tg_trace_next(t, &p) == 1)
		assert_int_equal(tg_flows_add(flows, &p), 0);
	tg_flows_flush(flows);
	tg_trace_print_stats(t, stdout);
	printf("flows: %lu\n", flows_seen);

	const struct tg_trace_stats *s = tg_trace_stats(t);
	assert_int_equal(s->files, 435);
	assert_int_equal(s->files_failed, 0);
	assert_true(s->frames > 80000);
	assert_true(s->decoded > 0.9 * (double)s->frames);
	assert_true(flows_seen > 3000 && flows_seen < 20000);
	tg_flows_free(flows);
	tg_trace_close(t);

	/* Per file, the same TCP and UDP packets as tshark finds. */
	if (system("command -v tshark >/dev/null 2>&1") != 0) {
		print_message("tshark absent: cross-check skipped\n");
		return;
	}
	static const char *const files[] = { "1kxun.pcap", "443-firefox.pcap",
					     "dns_doh.pcap" };
	for (size_t i = 0; i < 3; i++) {
		char file[1200];
		long tcp = 0, udp = 0;

		snprintf(file, sizeof(file), "%s/%s", dir, files[i]);
		if (stat(file, &st) != 0)
			continue;
		const char *one[] = { file };
		t = tg_trace_open(one, 1, NULL, err, sizeof(err));
		assert_non_null(t);
		while (tg_trace_next(t, &p) == 1) {
			tcp += p.proto == TG_PROTO_TCP;
			udp += p.proto == TG_PROTO_UDP;
		}
		tg_trace_close(t);
		assert_int_equal(tcp, tshark_count(file, "tcp && !icmp && "
						   "!icmpv6"));
		assert_int_equal(udp, tshark_count(file, "udp && !icmp && "
						   "!icmpv6"));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_link_types),
		cmocka_unit_test(test_truncated_frames),
		cmocka_unit_test(test_ipv6_extension_headers),
		cmocka_unit_test(test_ipv4_fragments_and_tunnels),
		cmocka_unit_test(test_flows_roles_and_ends),
		cmocka_unit_test(test_services_and_ports),
		cmocka_unit_test(test_training_captures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
