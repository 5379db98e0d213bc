/* SPDX-License-Identifier: BSD-3-Clause
 * Unit tests of the run configuration parser (lib/config): every kind of
 * bad input gets its one-line "file:line: key: what" error, and good input
 * lands in the right fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tg_config.h"

/* A minimal valid port, to build bad configs around. */
#define PORT_OK "  { name = \"p\"; pcap = \"p.pcap\"; }\n"

static struct tg_config cfg;	/* large: keep it off the stack */
static char tmpdir[] = "/tmp/tg_config_test.XXXXXX";

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

static void
parse_ok(const char *text)
{
	char err[TG_ERR_LEN] = "";
	int rc = tg_config_parse(text, "t.cfg", tmpdir, &cfg, err, sizeof(err));

	if (rc != 0)
		fail_msg("unexpected error: %s", err);
}

/* The error must start with `prefix` ("t.cfg:LINE: key") and be one line. */
static void
parse_fails(const char *text, const char *prefix)
{
	char err[TG_ERR_LEN] = "";

	assert_int_equal(tg_config_parse(text, "t.cfg", tmpdir, &cfg, err,
					 sizeof(err)), -1);
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("expected \"%s...\", got \"%s\"", prefix, err);
	assert_null(strchr(err, '\n'));
}

/* effects = { ... }: off by default, every key with its unit and range,
 * and the shares together at most one half. */
static void
test_effects(void **state)
{
	const struct tg_effects_cfg *fx = &cfg.ports[0].effects;

	(void)state;
	parse_ok("ports = (" PORT_OK ");");
	assert_false(fx->enabled);
	assert_true(fx->rtt_ms == 0 && fx->jitter_ms == 0 && fx->loss == 0 &&
		    fx->reorder == 0 && fx->duplicate == 0);
	parse_ok("ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		 " effects = { rtt_ms = 40.0; jitter_ms = 2; loss = 0.01;\n"
		 " reorder = 0.005; duplicate = 0.002; }; } );");
	assert_true(fx->enabled);
	assert_true(fx->rtt_ms == 40 && fx->jitter_ms == 2 &&
		    fx->loss == 0.01 && fx->reorder == 0.005 &&
		    fx->duplicate == 0.002);
	parse_ok("ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		 " effects = { loss = 0.0; }; } );");
	assert_false(fx->enabled);
	parse_ok("ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		 " effects = { jitter_ms = 0.5; }; } );");
	assert_true(fx->enabled);
	parse_fails("ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		    " effects = { loss = 0.6; }; } );",
		    "t.cfg:2: loss: ");
	parse_fails("ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		    " effects = { rtt_ms = -1; }; } );",
		    "t.cfg:2: rtt_ms: ");
	parse_fails("ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		    " effects = { jitter_ms = 10001; }; } );",
		    "t.cfg:2: jitter_ms: ");
	parse_fails("ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		    " effects = { reorder = \"a lot\"; }; } );",
		    "t.cfg:2: reorder: ");
	parse_fails("ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		    " effects = {\n duplicate = -0.1; }; } );",
		    "t.cfg:3: duplicate: ");
	parse_fails("ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		    " effects = { los = 0.1; }; } );",
		    "t.cfg:2: los: unknown key");
	parse_fails("ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		    " effects = { loss = 0.3; reorder = 0.3; }; } );",
		    "t.cfg:2: effects: ");
	parse_fails("ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		    " effects = 0.1; } );",
		    "t.cfg:2: effects: ");
}

/* labels = "...": next to the pcaps, never the same file as an output. */
static void
test_labels(void **state)
{
	char want[TG_PATH_LEN];

	(void)state;
	parse_ok("ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		 " labels = \"p.labels.jsonl\"; } );");
	snprintf(want, sizeof(want), "%s/out/p.labels.jsonl", tmpdir);
	assert_string_equal(cfg.ports[0].labels_path, want);
	parse_ok("ports = ( { name = \"p\"; device = \"net_null0\";\n"
		 " labels = \"/tmp/abs.jsonl\"; } );");
	assert_string_equal(cfg.ports[0].labels_path, "/tmp/abs.jsonl");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " labels = \"\"; } );", "t.cfg:2: labels: empty");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " labels = 3; } );", "t.cfg:2: labels: ");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " labels = \"x\"; } );", "t.cfg:2: labels: \"x\" is also "
		    "the port's pcap");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\"; },\n"
		    " { name = \"q\"; pcap = \"y\";\n labels = \"x\";\n"
		    " clients = { ipv4 = \"10.2.0.0/16\"; };\n"
		    " servers = { ipv4 = \"10.3.0.0/16\"; }; } );",
		    "t.cfg:3: labels: ");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\"; labels = \"l\"; },\n"
		    " { name = \"q\";\n pcap = \"l\";\n"
		    " clients = { ipv4 = \"10.2.0.0/16\"; };\n"
		    " servers = { ipv4 = \"10.3.0.0/16\"; }; } );",
		    "t.cfg:3: pcap: ");
}

/* capture = "..." on device ports with lcores.capture: the writer lcore
 * is its own, and a capture is never another output's file. */
static void
test_capture(void **state)
{
	char want[TG_PATH_LEN];

	(void)state;
	parse_ok("ports = (" PORT_OK ");");
	assert_int_equal(cfg.capture_lcore, -1);
	assert_string_equal(cfg.ports[0].capture_path, "");
	parse_ok("lcores = { control = 0; workers = [ 1 ]; capture = 2; };\n"
		 "ports = ( { name = \"p\"; device = \"net_null0\";\n"
		 " capture = \"p.pcap\"; } );");
	assert_int_equal(cfg.capture_lcore, 2);
	snprintf(want, sizeof(want), "%s/out/p.pcap", tmpdir);
	assert_string_equal(cfg.ports[0].capture_path, want);
	parse_fails("ports = ( { name = \"p\"; device = \"net_null0\";\n"
		    " capture = \"p.pcap\"; } );",
		    "t.cfg:2: capture: needs lcores.capture");
	parse_fails("lcores = { workers = [ 1 ];\n capture = 1; };\n"
		    "ports = ( { name = \"p\"; device = \"net_null0\";"
		    " capture = \"c\"; } );",
		    "t.cfg:2: capture: lcore 1 is the control lcore or a "
		    "worker");
	parse_fails("lcores = { workers = [ 1 ];\n capture = 0; };\n"
		    "ports = ( { name = \"p\"; device = \"net_null0\";"
		    " capture = \"c\"; } );",
		    "t.cfg:2: capture: lcore 0 is the control lcore");
	parse_fails("lcores = { workers = [ 1 ];\n capture = 1024; };\n"
		    "ports = (" PORT_OK ");", "t.cfg:2: capture: ");
	parse_fails("lcores = { workers = [ 1 ];\n capture = \"2\"; };\n"
		    "ports = (" PORT_OK ");", "t.cfg:2: capture: ");
	parse_fails("lcores = { workers = [ 1 ];\n capture = 2; };\n"
		    "ports = (" PORT_OK ");",
		    "t.cfg:2: lcores.capture: lcore 2 writes no capture");
	parse_fails("lcores = { workers = [ 1 ]; capture = 2; };\n"
		    "ports = ( { name = \"p\"; pcap = \"p.pcap\";\n"
		    " capture = \"c.pcap\"; } );",
		    "t.cfg:3: capture: only device ports");
	parse_fails("lcores = { workers = [ 1 ]; capture = 2; };\n"
		    "ports = ( { name = \"p\"; device = \"net_null0\";\n"
		    " capture = \"\"; } );", "t.cfg:3: capture: empty");
	parse_fails("lcores = { workers = [ 1 ]; capture = 2; };\n"
		    "ports = ( { name = \"p\"; device = \"net_null0\";\n"
		    " capture = 7; } );", "t.cfg:3: capture: ");
	parse_fails("lcores = { workers = [ 1 ]; capture = 2; };\n"
		    "ports = ( { name = \"p\"; device = \"net_null0\";\n"
		    " labels = \"x\";\n capture = \"x\"; } );",
		    "t.cfg:4: capture: \"x\" is also the port's labels");
	parse_fails("lcores = { workers = [ 1 ]; capture = 2; };\n"
		    "ports = ( { name = \"p\"; pcap = \"x\"; },\n"
		    " { name = \"q\"; device = \"net_null0\";\n"
		    " capture = \"x\";\n"
		    " clients = { ipv4 = \"10.2.0.0/16\"; };\n"
		    " servers = { ipv4 = \"10.3.0.0/16\"; }; } );",
		    "t.cfg:4: capture: ");
	parse_fails("lcores = { workers = [ 1 ]; capture = 2; };\n"
		    "ports = ( { name = \"p\"; device = \"net_null0\";"
		    " capture = \"x\"; },\n"
		    " { name = \"q\";\n pcap = \"x\";\n"
		    " clients = { ipv4 = \"10.2.0.0/16\"; };\n"
		    " servers = { ipv4 = \"10.3.0.0/16\"; }; } );",
		    "t.cfg:4: pcap: ");
}

static void
test_defaults(void **state)
{
	const struct tg_port_cfg *p = &cfg.ports[0];
	char want[TG_PATH_LEN];

	(void)state;
	parse_ok("ports = (" PORT_OK ");");
	assert_int_equal(cfg.seed, 1);
	assert_true(cfg.duration == 10.0);
	assert_int_equal(cfg.packets, 0);
	assert_true(cfg.stats_interval == 1.0);
	assert_int_equal(cfg.control_lcore, 0);
	assert_int_equal(cfg.n_workers, 1);
	assert_int_equal(cfg.workers[0], 1);
	assert_false(cfg.eal.no_huge);
	assert_int_equal(cfg.n_ports, 1);
	assert_string_equal(p->name, "p");
	assert_true(p->is_pcap);
	snprintf(want, sizeof(want), "%s/out/p.pcap", tmpdir);
	assert_string_equal(p->pcap_path, want);
	assert_int_equal(p->mac_src[5], 1);
	assert_int_equal(p->mac_dst[5], 2);
	assert_int_equal(p->vlan_id, 0);
	assert_int_equal(p->clients.v4.version, 4);
	assert_int_equal(p->clients.v4.prefix, 16);
	assert_int_equal(p->servers.v6.version, 6);
	assert_true(p->ipv6_share == 0.1);
	assert_int_equal(p->rate.kind, TG_RATE_MODEL);
	assert_true(p->rate.time_factor == 1.0);
	assert_string_equal(p->model_path, "");
	assert_int_equal(p->n_workers, 1);
	assert_int_equal(p->workers[0], 1);
	assert_true(p->offload);
	assert_int_equal(p->tx_desc, 1024);
	assert_string_equal(p->labels_path, "");
	assert_int_equal(p->burst, 32);
}

static void
test_every_key(void **state)
{
	char text[4096], model[TG_PATH_LEN], want[TG_PATH_LEN];
	const struct tg_port_cfg *a = &cfg.ports[0], *b = &cfg.ports[1];
	FILE *f;

	(void)state;
	snprintf(model, sizeof(model), "%s/m.tgm", tmpdir);
	f = fopen(model, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(text, sizeof(text),
		 "run = { seed = 77; duration = 2.5; packets = 1000;\n"
		 "  output_dir = \"/var/tmp/x\"; stats_interval = 0.5; };\n"
		 "lcores = { control = 3; workers = [ 5, 4 ]; };\n"
		 "eal = { no_huge = true; in_memory = true; no_pci = false;\n"
		 "  memory_mb = 512; args = [ \"--log-level=debug\", \"-v\" ]; };\n"
		 "ports = (\n"
		 " { name = \"nic-0\"; device = \"0000:01:00.1\";\n"
		 "   mac_src = \"AA:bb:cc:dd:ee:0F\"; mac_dst = \"02:00:00:00:00:09\";\n"
		 "   vlan = 4094; vlan_pcp = 7;\n"
		 "   clients = { ipv4 = \"10.0.0.0/8\"; };\n"
		 "   servers = { ipv4 = \"192.0.2.0/24\"; };\n"
		 "   rate = \"1.5 Mpps\"; model = \"m.tgm\"; workers = [ 4 ];\n"
		 "   offload = false; tx_desc = 4096; burst = 64; },\n"
		 " { name = \"v_1\"; device = \"net_null0,size=64\";\n"
		 "   clients = { ipv6 = \"fd00:aa::/48\"; };\n"
		 "   servers = { ipv6 = \"2001:db8::/32\"; };\n"
		 "   rate = \"10 Gbit/s\"; time_factor = 2; }\n"
		 ");\n");
	parse_ok(text);
	assert_int_equal(cfg.seed, 77);
	assert_true(cfg.duration == 2.5);
	assert_int_equal(cfg.packets, 1000);
	assert_string_equal(cfg.output_dir, "/var/tmp/x");
	assert_int_equal(cfg.control_lcore, 3);
	assert_int_equal(cfg.n_workers, 2);
	assert_int_equal(cfg.workers[0], 5);
	assert_true(cfg.eal.no_huge && cfg.eal.in_memory && !cfg.eal.no_pci);
	assert_int_equal(cfg.eal.memory_mb, 512);
	assert_int_equal(cfg.eal.n_args, 2);
	assert_string_equal(cfg.eal.args[1], "-v");
	assert_int_equal(cfg.n_ports, 2);

	assert_false(a->is_pcap);
	assert_string_equal(a->device, "0000:01:00.1");
	assert_memory_equal(a->mac_src, ((uint8_t[]){ 0xaa, 0xbb, 0xcc, 0xdd,
						      0xee, 0x0f }), 6);
	assert_int_equal(a->vlan_id, 4094);
	assert_int_equal(a->vlan_pcp, 7);
	assert_memory_equal(a->servers.v4.base.b, ((uint8_t[]){ 192, 0, 2, 0 }),
			    4);
	assert_int_equal(a->servers.v4.prefix, 24);
	assert_int_equal(a->clients.v6.version, 0);
	/* no IPv6 blocks: no IPv6 flows */
	assert_true(a->ipv6_share == 0);
	assert_int_equal(a->rate.kind, TG_RATE_PPS);
	assert_true(a->rate.value == 1.5e6);
	snprintf(want, sizeof(want), "%s/m.tgm", tmpdir);
	assert_string_equal(a->model_path, want);
	assert_int_equal(a->n_workers, 1);
	assert_int_equal(a->workers[0], 4);
	assert_false(a->offload);
	assert_int_equal(a->tx_desc, 4096);
	assert_int_equal(a->burst, 64);

	assert_string_equal(b->device, "net_null0,size=64");
	assert_true(b->ipv6_share == 1);
	assert_int_equal(b->clients.v6.prefix, 48);
	assert_int_equal(b->clients.v6.base.b[1], 0x00);
	assert_int_equal(b->clients.v6.base.b[3], 0xaa);
	assert_int_equal(b->rate.kind, TG_RATE_BPS);
	assert_true(b->rate.value == 1e10);
	assert_true(b->rate.time_factor == 2);
	assert_int_equal(b->n_workers, 2);	/* all workers by default */
	/* Rate targets without `sessions`: half of the run's 10 million
	 * over its two ports. */
	assert_int_equal(a->sessions, 2500000);
	assert_int_equal(b->sessions, 2500000);
}

static void
test_value_parsers(void **state)
{
	struct tg_rate r;
	struct tg_cidr c;
	uint8_t mac[6];

	(void)state;
	assert_int_equal(tg_rate_parse("800kbps", &r), 0);
	assert_true(r.kind == TG_RATE_BPS && r.value == 8e5);
	assert_int_equal(tg_rate_parse("2 Gpps", &r), 0);
	assert_true(r.kind == TG_RATE_PPS && r.value == 2e9);
	assert_int_equal(tg_rate_parse("100 pps", &r), 0);
	assert_int_equal(tg_rate_parse("unlimited", &r), 0);
	assert_int_equal(r.kind, TG_RATE_UNLIMITED);
	assert_int_equal(tg_rate_parse("10 Gbit/s!", &r), -1);
	assert_int_equal(tg_rate_parse("0 pps", &r), -1);
	assert_int_equal(tg_rate_parse("-5 pps", &r), -1);
	assert_int_equal(tg_rate_parse("fast", &r), -1);
	assert_int_equal(tg_rate_parse("10", &r), -1);
	assert_int_equal(tg_rate_parse("inf pps", &r), -1);

	assert_int_equal(tg_cidr_parse("fd00::/64", &c), 0);
	assert_int_equal(c.version, 6);
	assert_int_equal(tg_cidr_parse("10.0.0.0/33", &c), -1);
	assert_int_equal(tg_cidr_parse("10.0.0.0", &c), -1);
	assert_int_equal(tg_cidr_parse("10.0.0.0/", &c), -1);
	assert_int_equal(tg_cidr_parse("10.0.0.0/8x", &c), -1);
	assert_int_equal(tg_cidr_parse("10.0.0/8", &c), -1);

	assert_int_equal(tg_mac_parse("02:00:00:00:00:0a", mac), 0);
	assert_int_equal(mac[5], 10);
	assert_int_equal(tg_mac_parse("02:00:00:00:00", mac), -1);
	assert_int_equal(tg_mac_parse("02:00:00:00:00:0a:", mac), -1);
	assert_int_equal(tg_mac_parse("02-00-00-00-00-0a", mac), -1);
	assert_int_equal(tg_mac_parse("0g:00:00:00:00:0a", mac), -1);
}

static void
test_syntax_and_files(void **state)
{
	char err[TG_ERR_LEN], path[TG_PATH_LEN];

	(void)state;
	parse_fails("run = {\n seed = 1\n", "t.cfg:3: syntax: ");
	assert_int_equal(tg_config_load("/nonexistent/x.cfg", &cfg, err,
					sizeof(err)), -1);
	assert_string_equal(err, "/nonexistent/x.cfg: cannot read: No such "
				 "file or directory");
	/* A model file that is missing, or not a file. */
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " model = \"nope.tgm\"; } );",
		    "t.cfg:2: model: ");
	snprintf(path, sizeof(path), "%s/dir.tgm", tmpdir);
	mkdir(path, 0700);
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n\n"
		    " model = \"dir.tgm\"; } );", "t.cfg:3: model: ");
	assert_non_null(strstr(cfg.path, "t.cfg"));
}

static void
test_unknown_keys(void **state)
{
	(void)state;
	parse_fails("colour = 1;\nports = (" PORT_OK ");",
		    "t.cfg:1: colour: unknown key");
	parse_fails("run = {\n seed = 1;\n colour = \"red\"; };\nports = ("
		    PORT_OK ");", "t.cfg:3: colour: unknown key");
	parse_fails("ports = (\n { name = \"p\"; pcap = \"x\";\n"
		    "   speed = 10; }\n);", "t.cfg:3: speed: unknown key");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " clients = {\n  ipv4 = \"10.0.0.0/8\";\n  ipv5 = \"x\"; };"
		    " } );", "t.cfg:4: ipv5: unknown key");
	parse_fails("eal = { huge = true; };\nports = (" PORT_OK ");",
		    "t.cfg:1: huge: unknown key");
}

static void
test_wrong_types(void **state)
{
	(void)state;
	parse_fails("run = {\n  duration = \"long\";\n};\nports = (" PORT_OK
		    ");", "t.cfg:2: duration: must be a number");
	parse_fails("run = {\n  seed = 1.5;\n};\nports = (" PORT_OK ");",
		    "t.cfg:2: seed: must be an integer");
	parse_fails("run = 3;\nports = (" PORT_OK ");",
		    "t.cfg:1: run: must be a group");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n offload = 1; } );",
		    "t.cfg:2: offload: must be true or false");
	parse_fails("ports = ( { name = 5; pcap = \"x\"; } );",
		    "t.cfg:1: name: must be a string");
	parse_fails("lcores = { workers = [ \"1\" ]; };\nports = (" PORT_OK
		    ");", "t.cfg:1: workers: lcore ids are integers");
	parse_fails("ports = { name = \"p\"; };", "t.cfg:1: ports: must be a "
		    "list");
}

static void
test_out_of_range(void **state)
{
	(void)state;
	parse_fails("run = { duration = -1.0; };\nports = (" PORT_OK ");",
		    "t.cfg:1: duration: -1 is outside 0..1e+07");
	parse_fails("run = { stats_interval = 0.01; };\nports = (" PORT_OK ");",
		    "t.cfg:1: stats_interval: ");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n vlan = 4095; } );",
		    "t.cfg:2: vlan: 4095 is outside 1..4094");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n burst = 0; } );",
		    "t.cfg:2: burst: 0 is outside 1..512");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n tx_desc = 1000; } );",
		    "t.cfg:2: tx_desc: 1000 is not a power of two");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " ipv6_share = 1.5; } );", "t.cfg:2: ipv6_share: ");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " clients = { ipv4 = \"10.0.0.0/8\"; };\n"
		    " ipv6_share = 0.5; } );",
		    "t.cfg:3: ipv6_share: needs ipv6 blocks");
	parse_fails("lcores = {\n control = 2000; };\nports = (" PORT_OK ");",
		    "t.cfg:2: control: 2000 is outside 0..1023");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " time_factor = 0.0; } );", "t.cfg:2: time_factor: ");
	parse_fails("ports = ();", "t.cfg:1: ports: needs 1 to 16 ports");
	parse_fails("run = { seed = 1; };", "t.cfg: ports: missing");
}

static void
test_ports_and_devices(void **state)
{
	(void)state;
	parse_fails("ports = (\n { pcap = \"x\"; } );",
		    "t.cfg:2: name: missing");
	parse_fails("ports = (\n { name = \"a b\"; pcap = \"x\"; } );",
		    "t.cfg:2: name: \"a b\": use letters");
	parse_fails("ports = (\n { name = \"p\"; pcap = \"x\"; },\n"
		    " { name = \"p\"; pcap = \"y\";\n"
		    "   clients = { ipv4 = \"10.9.0.0/16\"; };\n"
		    "   servers = { ipv4 = \"10.8.0.0/16\"; }; } );",
		    "t.cfg:3: name: \"p\" is already the name of port 1");
	parse_fails("ports = (\n { name = \"p\"; } );",
		    "t.cfg:2: device: a port needs exactly one of device or pcap");
	parse_fails("ports = (\n { name = \"p\"; pcap = \"x\"; device = "
		    "\"net_null0\"; } );",
		    "t.cfg:2: device: a port needs exactly one");
	parse_fails("ports = ( { name = \"p\";\n device = \"eth0\"; } );",
		    "t.cfg:2: device: \"eth0\" is neither");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " mac_dst = \"02:00:00:00:00\"; } );",
		    "t.cfg:2: mac_dst: \"02:00:00:00:00\" is not a MAC");
	/* a value over two lines still gets a one-line message (fuzzed) */
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " mac_dst = \"02:00\n:00\"; } );",
		    "t.cfg:2: mac_dst: \"02:00 :00\" is not a MAC");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " rate = \"fast\"; } );", "t.cfg:2: rate: \"fast\" is not");
}

static void
test_pools(void **state)
{
	(void)state;
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " clients = { ipv4 = \"10.0.0.0/40\"; }; } );",
		    "t.cfg:2: ipv4: \"10.0.0.0/40\" is not an IPv4 block");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " clients = { ipv4 = \"fd00::/64\"; }; } );",
		    "t.cfg:2: ipv4: \"fd00::/64\" is not an IPv4 block");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " clients = {\n ipv4 = \"10.1.0.1/16\"; }; } );",
		    "t.cfg:3: ipv4: \"10.1.0.1/16\": host bits set");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " clients = { ipv4 = \"10.1.0.0/31\"; }; } );",
		    "t.cfg:2: ipv4: prefix /31 must be 1..30");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " clients = { }; } );", "t.cfg:2: clients: needs ipv4 or "
		    "ipv6");
	/* overlap inside a port */
	parse_fails("ports = (\n { name = \"p\"; pcap = \"x\";\n"
		    "   clients = { ipv4 = \"10.0.0.0/8\"; };\n"
		    "   servers = { ipv4 = \"10.2.0.0/16\"; }; } );",
		    "t.cfg:2: servers: ipv4 overlaps clients.ipv4 of port p");
	/* overlap across ports (the second port keeps the default pools) */
	parse_fails("ports = (\n { name = \"p\"; pcap = \"x\"; },\n"
		    " { name = \"q\"; pcap = \"y\";\n"
		    "   clients = { ipv6 = \"fd00:2::/48\"; }; } );",
		    "t.cfg:3: clients: ipv6 overlaps servers.ipv6 of port p");
}

static void
test_workers(void **state)
{
	(void)state;
	parse_fails("lcores = { workers = [ 1, 2 ]; };\nports = (\n"
		    " { name = \"p\"; pcap = \"x\";\n workers = [ 3 ]; } );",
		    "t.cfg:4: workers: lcore 3 is not in lcores.workers");
	parse_fails("lcores = { workers = [ 1, 2 ]; };\nports = (\n"
		    " { name = \"p\"; pcap = \"x\";\n workers = [ 1, 2 ]; } );",
		    "t.cfg:4: workers: a pcap port is written by exactly 1");
	parse_fails("lcores = { workers = [ 1, 1 ]; };\nports = (" PORT_OK ");",
		    "t.cfg:1: workers: lcore 1 is listed twice");
	parse_fails("lcores = { control = 1; workers = [ 1 ]; };\nports = ("
		    PORT_OK ");", "t.cfg:1: lcores.workers: lcore 1 is the "
		    "control lcore");
	/* a pcap port takes the first worker; the second serves nothing */
	parse_fails("lcores = { workers = [ 1, 2 ]; };\nports = (" PORT_OK ");",
		    "t.cfg:1: lcores.workers: lcore 2 serves no port");
}

/* Hostile sizes are refused with the line, before anything is allocated:
 * sessions over the bound in all ports together, more EAL memory than the
 * machine has, and config files that are too big or no file at all. */
static void
test_hostile_sizes(void **state)
{
	char err[TG_ERR_LEN], path[TG_PATH_LEN];
	FILE *f;

	(void)state;
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " sessions = 1000000000000L; } );",
		    "t.cfg:2: sessions: 1000000000000 is outside "
		    "1..10000000");
	parse_fails("ports = (\n { name = \"a\"; pcap = \"a\";"
		    " sessions = 6000000; },\n"
		    " { name = \"b\"; pcap = \"b\";\n sessions = 6000000; } );",
		    "t.cfg:4: sessions: 12000000 in all ports, at most "
		    "10000000");
	parse_fails("eal = {\n memory_mb = 1048576; };\nports = (" PORT_OK
		    ");", "t.cfg:2: memory_mb: 1048576 MiB is more than the ");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " burst = 1000000; } );",
		    "t.cfg:2: burst: 1000000 is outside 1..512");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " tx_desc = 1048576; } );",
		    "t.cfg:2: tx_desc: 1048576 is outside 64..16384");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " max_flows = 1000000000; } );",
		    "t.cfg:2: max_flows: 1000000000 is outside "
		    "1024..134217728");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " max_flows = 100; } );",
		    "t.cfg:2: max_flows: 100 is outside 1024..134217728");
	parse_ok("ports = ( { name = \"p\"; pcap = \"x\"; } );");
	assert_int_equal(cfg.ports[0].max_flows, TG_MAX_FLOWS_DEFAULT);
	assert_int_equal(cfg.ports[0].reel, 0);	/* live synthesis */
	parse_ok("ports = ( { name = \"p\"; pcap = \"x\";\n"
		 " max_flows = 10000000; } );");
	assert_int_equal(cfg.ports[0].max_flows, 10000000);
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " reel = 100; } );",
		    "t.cfg:2: reel: 100 is outside 1024..67108864");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " labels = \"l\";\n reel = 5000; } );",
		    "t.cfg:3: reel: a reel port writes no labels (each turn "
		    "plays the reel's flows again): remove `labels` or "
		    "`reel`");
	parse_ok("ports = ( { name = \"p\"; pcap = \"x\"; reel = 5000; } );");
	assert_int_equal(cfg.ports[0].reel, 5000);
	assert_true(cfg.ports[0].fresh_ciphertext);
	parse_ok("ports = ( { name = \"p\"; pcap = \"x\"; reel = 5000;\n"
		 " fresh_ciphertext = false; } );");
	assert_false(cfg.ports[0].fresh_ciphertext);
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " fresh_ciphertext = true; } );",
		    "t.cfg:2: fresh_ciphertext: only a reel port has it (live "
		    "synthesis makes every packet anew): add `reel` or remove "
		    "it");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\"; reel = 5000;\n"
		    " fresh_ciphertext = 1; } );",
		    "t.cfg:2: fresh_ciphertext: must be true or false");
	assert_int_equal(tg_config_load(tmpdir, &cfg, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, ": cannot read: Is a directory"));
	assert_int_equal(tg_config_load("/dev/zero", &cfg, err,
					sizeof(err)), -1);
	assert_string_equal(err,
			    "/dev/zero: cannot read: not a regular file");
	snprintf(path, sizeof(path), "%s/big.cfg", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fseek(f, 1 << 20, SEEK_SET), 0);
	assert_int_equal(fputc('\n', f), '\n');
	assert_int_equal(fclose(f), 0);
	assert_int_equal(tg_config_load(path, &cfg, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "big.cfg: cannot read: 1048577 bytes, "
				    "more than the limit of 1048576"));
}

/* The shipped configs load as they are. */
static void
test_shipped_configs(void **state)
{
	static const char *const names[] = { "default.cfg", "10g-nic.cfg" };
	const char *root = getenv("TG_SOURCE_ROOT");
	char path[TG_PATH_LEN], err[TG_ERR_LEN];

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/config/%s", root ? root : ".",
			 names[i]);
		if (tg_config_load(path, &cfg, err, sizeof(err)) != 0)
			fail_msg("%s", err);
	}
	assert_true(cfg.ports[0].rate.kind == TG_RATE_BPS);
}

/* libconfig 1.5 reads an integer literal without L into 32 bits, silently
 * wrapping it (1000000000000 is -727379968, 4294967396 is 100): lib/cfgfile
 * adds the L, so the getters see the true value and name the key. Strings,
 * comments and floats keep their digits; past 64 bits is refused. */
static void
test_wide_integers(void **state)
{
	static const char big[] = "99999999999999999999";
	char *text;
	size_t n = 0;

	(void)state;
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " sessions = 1000000000000; } );",
		    "t.cfg:2: sessions: 1000000000000 is outside "
		    "1..10000000");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " vlan = 4294967396; } );",	/* 2^32 + 100 */
		    "t.cfg:2: vlan: 4294967396 is outside 1..4094");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " vlan = -4294967196; } );",	/* -2^32 + 100 */
		    "t.cfg:2: vlan: -4294967196 is outside 1..4094");
	parse_fails("run = {\n seed = -4294967296; };\nports = (" PORT_OK
		    ");", "t.cfg:2: seed: -4294967296 is outside 0..");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " vlan = 0x100000064; } );",
		    "t.cfg:2: vlan: 4294967396 is outside 1..4094");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " burst = 0xffffffff; } );",	/* not -1 */
		    "t.cfg:2: burst: 4294967295 is outside 1..512");
	/* an array holds one type: all of its integers get the L */
	parse_fails("lcores = {\n workers = [1, 4294967298]; };\nports = ("
		    PORT_OK ");",
		    "t.cfg:2: workers: lcore 4294967298 is outside 0..");
	parse_fails("ports = ( { name = \"p\"; pcap = \"x\";\n"
		    " sessions = 99999999999999999999; } );",
		    "t.cfg:2: integer literal 99999999999999999999 does not "
		    "fit in 64 bits");
	parse_fails("run = {\n\n seed = -9223372036854775809L; };",
		    "t.cfg:3: integer literal -9223372036854775809 does not "
		    "fit in 64 bits");
	parse_fails("run = { seed = 0x8000000000000000L; };",
		    "t.cfg:1: integer literal 0x8000000000000000 does not "
		    "fit in 64 bits");

	/* in range once read whole; strings and comments are left alone */
	parse_ok("run = { seed = 5000000000; packets = 0x100000000;\n"
		 "  duration = 12345678901e-10; };  # 99999999999999999999\n"
		 "// 99999999999999999999\n/* 99999999999999999999\n*/\n"
		 "ports = ( { name = \"p\"; pcap = \"a\\\"99999999999999999999"
		 "\"\n \"4294967301.pcap\"; } );");
	assert_true(cfg.seed == 5000000000ull);
	assert_true(cfg.packets == 1ull << 32);
	assert_non_null(strstr(cfg.ports[0].pcap_path,
			       "a\"99999999999999999999" "4294967301.pcap"));

	/* The copy with its L added stays within the file's limit (1 MiB):
	 * 350,000 one-digit lcores gain 350,000 bytes. */
	text = malloc(1100000);
	assert_non_null(text);
	n += (size_t)sprintf(text, "lcores = { workers = [");
	for (int i = 0; i < 350000; i++)
		n += (size_t)sprintf(text + n, "1,");
	sprintf(text + n, "%s]; };", big + 10);
	parse_fails(text, "t.cfg: cannot read: 1050038 bytes with the L of "
			  "its wide integers, more than the limit of 1048576");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_every_key),
		cmocka_unit_test(test_value_parsers),
		cmocka_unit_test(test_syntax_and_files),
		cmocka_unit_test(test_unknown_keys),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_ports_and_devices),
		cmocka_unit_test(test_pools),
		cmocka_unit_test(test_workers),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_effects),
		cmocka_unit_test(test_capture),
		cmocka_unit_test(test_shipped_configs),
		cmocka_unit_test(test_hostile_sizes),
		cmocka_unit_test(test_wide_integers),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
