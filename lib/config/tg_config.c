/* SPDX-License-Identifier: BSD-3-Clause
 * The run configuration: schema, defaults and every check (docs/config.md).
 * Values are read with lib/cfgfile, so each error is one line
 * "file:line: key: what is wrong".
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tg_cfgfile.h"
#include "tg_config.h"

#define DEFAULT_DURATION 10.0
#define DEFAULT_STATS_INTERVAL 1.0
#define DEFAULT_IPV6_SHARE 0.1
#define DEFAULT_TX_DESC 1024
#define DEFAULT_BURST 32
#define MAX_LCORE 1023
#define MAX_DURATION 1e7
#define MAX_EFFECT_MS 10000.0	/* round trips and jitter up to 10 s */
#define MAX_EFFECT_SHARE 0.5	/* more loss than this is no network */
/* A run config is a few kB; 1 MiB bounds libconfig's memory (~45 MB). */
#define TG_CONFIG_MAX_BYTES (1u << 20)

/* Everything the parse needs to know besides the settings. */
struct parse {
	struct tg_cfgfile f;
	const char *base_dir;	/* relative paths start here */
	struct tg_config *cfg;
};

/* --- Small value parsers (public: the command line uses them too) ------ */

int
tg_cidr_parse(const char *text, struct tg_cidr *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	char *end;

	if (slash == NULL || (size_t)(slash - text) >= sizeof(addr))
		return -1;
	memcpy(addr, text, (size_t)(slash - text));
	addr[slash - text] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, addr, out->base.b) == 1)
		out->version = 4;
	else if (inet_pton(AF_INET6, addr, out->base.b) == 1)
		out->version = 6;
	else
		return -1;
	if (!isdigit((unsigned char)slash[1]))
		return -1;
	errno = 0;
	unsigned long prefix = strtoul(slash + 1, &end, 10);
	if (errno || *end != '\0' || prefix > (out->version == 4 ? 32u : 128u))
		return -1;
	out->prefix = (uint8_t)prefix;
	return 0;
}

int
tg_mac_parse(const char *text, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		const char *p = text + 3 * i;

		if (!isxdigit((unsigned char)p[0]) ||
		    !isxdigit((unsigned char)p[1]) ||
		    p[2] != (i == 5 ? '\0' : ':'))
			return -1;
		mac[i] = (uint8_t)strtoul((char[]){ p[0], p[1], '\0' }, NULL,
					  16);
	}
	return 0;
}

int
tg_rate_parse(const char *text, struct tg_rate *out)
{
	static const struct {
		const char *unit;
		enum tg_rate_kind kind;
		double scale;
	} units[] = {
		{ "pps", TG_RATE_PPS, 1 },	  { "kpps", TG_RATE_PPS, 1e3 },
		{ "Mpps", TG_RATE_PPS, 1e6 },	  { "Gpps", TG_RATE_PPS, 1e9 },
		{ "bps", TG_RATE_BPS, 1 },	  { "bit/s", TG_RATE_BPS, 1 },
		{ "kbps", TG_RATE_BPS, 1e3 },	  { "kbit/s", TG_RATE_BPS, 1e3 },
		{ "Mbps", TG_RATE_BPS, 1e6 },	  { "Mbit/s", TG_RATE_BPS, 1e6 },
		{ "Gbps", TG_RATE_BPS, 1e9 },	  { "Gbit/s", TG_RATE_BPS, 1e9 },
	};
	char *end;

	out->time_factor = 1.0;
	out->value = 0;
	if (strcmp(text, "model") == 0) {
		out->kind = TG_RATE_MODEL;
		return 0;
	}
	if (strcmp(text, "unlimited") == 0) {
		out->kind = TG_RATE_UNLIMITED;
		return 0;
	}
	errno = 0;
	double v = strtod(text, &end);
	if (end == text || errno || !isfinite(v) || v <= 0)
		return -1;
	while (*end == ' ')
		end++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			out->kind = units[i].kind;
			out->value = v * units[i].scale;
			return 0;
		}
	}
	return -1;
}

/* --- Helpers -------------------------------------------------------------- */

/* `path` as is when absolute, else relative to `dir`. */
static int
resolve_path(const char *dir, const char *path, char *out, size_t len)
{
	int n = path[0] == '/' || dir[0] == '\0'
			? snprintf(out, len, "%s", path)
			: snprintf(out, len, "%s/%s", dir, path);

	return n < 0 || (size_t)n >= len ? -1 : 0;
}

static const config_setting_t *
subgroup(struct parse *p, const config_setting_t *parent, const char *key,
	     const char *const *known, bool *failed)
{
	const config_setting_t *g =
		tg_cfgfile_member(&p->f, parent, key, false, CONFIG_TYPE_GROUP);

	*failed = (g == NULL && p->f.err[0] != '\0') ||
		  (g != NULL && tg_cfgfile_known_keys(&p->f, g, known) != 0);
	return g;
}

/* A string setting copied into a fixed buffer that must hold it. */
static int
get_text(struct parse *p, const config_setting_t *group, const char *key,
	 bool required, char *out, size_t len)
{
	const char *v = NULL;

	if (tg_cfgfile_string(&p->f, group, key, required, &v) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (strlen(v) >= len)
		return tg_cfgfile_fail(&p->f,
				       config_setting_get_member(group, key),
				       key, "longer than %zu characters",
				       len - 1);
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

static int
get_unsigned(struct parse *p, const config_setting_t *group, const char *key,
	     int64_t lo, int64_t hi, unsigned *out)
{
	int64_t v = *out;

	if (tg_cfgfile_integer(&p->f, group, key, false, lo, hi, &v) != 0)
		return -1;
	*out = (unsigned)v;
	return 0;
}

/* --- run, lcores, eal ---------------------------------------------------- */

static int
parse_run(struct parse *p, const config_setting_t *root)
{
	static const char *const keys[] = { "seed", "duration", "packets",
					    "output_dir", "stats_interval",
					    NULL };
	struct tg_config *cfg = p->cfg;
	char dir[TG_PATH_LEN] = "out";
	int64_t seed = (int64_t)cfg->seed, packets = 0;
	bool failed;
	const config_setting_t *run =
		subgroup(p, root, "run", keys, &failed);

	if (failed)
		return -1;
	if (run != NULL &&
	    (tg_cfgfile_integer(&p->f, run, "seed", false, 0, INT64_MAX,
				&seed) ||
	     tg_cfgfile_number(&p->f, run, "duration", false, 0, MAX_DURATION,
			       &cfg->duration) ||
	     tg_cfgfile_integer(&p->f, run, "packets", false, 0, INT64_MAX,
				&packets) ||
	     get_text(p, run, "output_dir", false, dir, sizeof(dir)) ||
	     tg_cfgfile_number(&p->f, run, "stats_interval", false, 0.1,
			       3600, &cfg->stats_interval)))
		return -1;
	cfg->seed = (uint64_t)seed;
	cfg->packets = (uint64_t)packets;
	if (resolve_path(p->base_dir, dir, cfg->output_dir,
			 sizeof(cfg->output_dir)) != 0)
		return tg_cfgfile_fail(&p->f, run, "output_dir", "too long");
	return 0;
}

static bool
has_worker(const unsigned *list, unsigned n, unsigned lcore)
{
	for (unsigned i = 0; i < n; i++)
		if (list[i] == lcore)
			return true;
	return false;
}

/* An array of distinct lcore ids, into out[0..*n). */
static int
parse_lcore_list(struct parse *p, const config_setting_t *group,
		 const char *key, unsigned *out, unsigned *n)
{
	const config_setting_t *a =
		tg_cfgfile_member(&p->f, group, key, false, CONFIG_TYPE_ARRAY);
	int len;

	if (a == NULL)
		return p->f.err[0] ? -1 : 0;
	len = config_setting_length(a);
	if (len < 1 || len > TG_MAX_WORKERS)
		return tg_cfgfile_fail(&p->f, a, key, "needs 1 to %d lcores",
				       TG_MAX_WORKERS);
	*n = 0;
	for (int i = 0; i < len; i++) {
		const config_setting_t *e = config_setting_get_elem(a, i);
		long long v;

		if (config_setting_type(e) != CONFIG_TYPE_INT &&
		    config_setting_type(e) != CONFIG_TYPE_INT64)
			return tg_cfgfile_fail(&p->f, a, key,
					       "lcore ids are integers");
		v = config_setting_get_int64(e);
		if (v < 0 || v > MAX_LCORE)
			return tg_cfgfile_fail(&p->f, a, key, "lcore %lld is "
					       "outside 0..%d", v, MAX_LCORE);
		if (has_worker(out, *n, (unsigned)v))
			return tg_cfgfile_fail(&p->f, a, key, "lcore %lld is "
					       "listed twice", v);
		out[(*n)++] = (unsigned)v;
	}
	return 0;
}

static int
parse_lcores(struct parse *p, const config_setting_t *root)
{
	static const char *const keys[] = { "control", "workers", "capture",
					    NULL };
	struct tg_config *cfg = p->cfg;
	bool failed;
	const config_setting_t *g =
		subgroup(p, root, "lcores", keys, &failed);
	int64_t capture = -1;

	if (failed)
		return -1;
	if (g == NULL)
		return 0;
	if (get_unsigned(p, g, "control", 0, MAX_LCORE, &cfg->control_lcore) ||
	    parse_lcore_list(p, g, "workers", cfg->workers, &cfg->n_workers) ||
	    tg_cfgfile_integer(&p->f, g, "capture", false, 0, MAX_LCORE,
			       &capture))
		return -1;
	if (has_worker(cfg->workers, cfg->n_workers, cfg->control_lcore))
		return tg_cfgfile_fail(&p->f, g, "lcores.workers",
				       "lcore %u is the control lcore",
				       cfg->control_lcore);
	cfg->capture_lcore = (int)capture;
	/* The writer polls its rings: it needs an lcore of its own. */
	if (capture >= 0 &&
	    ((unsigned)capture == cfg->control_lcore ||
	     has_worker(cfg->workers, cfg->n_workers, (unsigned)capture)))
		return tg_cfgfile_fail(&p->f,
				       config_setting_get_member(g, "capture"),
				       "capture", "lcore %" PRId64 " is the "
				       "control lcore or a worker", capture);
	return 0;
}

/* EAL reserves memory_mb whether or not the machine has it (without
 * hugepages: ordinary memory it may touch, inviting the OOM killer), so
 * more than the machine's memory is refused here, with the line. */
static int
check_memory_mb(struct parse *p, const config_setting_t *g, unsigned mb)
{
	long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
	uint64_t have;

	if (mb == 0 || pages <= 0 || page <= 0)
		return 0;	/* EAL's default, or unknown: EAL decides */
	have = ((uint64_t)pages * (uint64_t)page) >> 20;
	if (mb <= have)
		return 0;
	return tg_cfgfile_fail(&p->f, config_setting_get_member(g, "memory_mb"),
			       "memory_mb", "%u MiB is more than the %" PRIu64
			       " MiB of memory of this machine", mb, have);
}

static int
parse_eal(struct parse *p, const config_setting_t *root)
{
	static const char *const keys[] = { "no_huge", "in_memory", "no_pci",
					    "memory_mb", "args", NULL };
	struct tg_eal_cfg *eal = &p->cfg->eal;
	bool failed;
	const config_setting_t *g = subgroup(p, root, "eal", keys, &failed);
	const config_setting_t *args;

	if (failed)
		return -1;
	if (g == NULL)
		return 0;
	if (tg_cfgfile_bool(&p->f, g, "no_huge", false, &eal->no_huge) ||
	    tg_cfgfile_bool(&p->f, g, "in_memory", false, &eal->in_memory) ||
	    tg_cfgfile_bool(&p->f, g, "no_pci", false, &eal->no_pci) ||
	    get_unsigned(p, g, "memory_mb", 0, 1 << 20, &eal->memory_mb) ||
	    check_memory_mb(p, g, eal->memory_mb))
		return -1;
	args = tg_cfgfile_member(&p->f, g, "args", false, CONFIG_TYPE_ARRAY);
	if (args == NULL)
		return p->f.err[0] ? -1 : 0;
	if (config_setting_length(args) > TG_MAX_EAL_ARGS)
		return tg_cfgfile_fail(&p->f, args, "args", "at most %d "
				       "arguments", TG_MAX_EAL_ARGS);
	for (int i = 0; i < config_setting_length(args); i++) {
		const char *a = config_setting_get_string_elem(args, i);

		if (a == NULL || strlen(a) >= TG_DEVICE_LEN)
			return tg_cfgfile_fail(&p->f, args, "args", "argument "
					       "%d must be a string shorter "
					       "than %d", i + 1,
					       TG_DEVICE_LEN);
		memcpy(eal->args[eal->n_args++], a, strlen(a) + 1);
	}
	return 0;
}

/* --- ports --------------------------------------------------------------- */

static bool
valid_name(const char *name)
{
	if (name[0] == '\0')
		return false;
	for (const char *c = name; *c; c++)
		if (!isalnum((unsigned char)*c) && *c != '_' && *c != '-')
			return false;
	return true;
}

/* A PCI address "0000:01:00.0" (domain optional) or a vdev "net_...". */
static bool
valid_device(const char *dev)
{
	unsigned dom, bus, slot, fn;
	char tail;

	if (strncmp(dev, "net_", 4) == 0)
		return dev[4] != '\0';
	if (sscanf(dev, "%x:%x:%x.%x%c", &dom, &bus, &slot, &fn, &tail) == 4)
		return true;
	return sscanf(dev, "%x:%x.%x%c", &bus, &slot, &fn, &tail) == 3;
}

static int
get_mac(struct parse *p, const config_setting_t *port, const char *key,
	uint8_t mac[6])
{
	const char *v = NULL;

	if (tg_cfgfile_string(&p->f, port, key, false, &v) != 0)
		return -1;
	if (v != NULL && tg_mac_parse(v, mac) != 0)
		return tg_cfgfile_fail(&p->f,
				       config_setting_get_member(port, key),
				       key, "\"%s\" is not a MAC address like "
				       "02:00:00:00:00:01", v);
	return 0;
}

/* One CIDR of a pool: the right family, host bits zero, room for hosts. */
static int
get_cidr(struct parse *p, const config_setting_t *pool, const char *key,
	 uint8_t version, struct tg_cidr *out)
{
	const char *v = NULL;
	const config_setting_t *s = config_setting_get_member(pool, key);
	struct tg_cidr c;
	unsigned bits = version == 4 ? 32 : 128;

	if (tg_cfgfile_string(&p->f, pool, key, false, &v) != 0)
		return -1;
	if (v == NULL)
		return 0;
	if (tg_cidr_parse(v, &c) != 0 || c.version != version)
		return tg_cfgfile_fail(&p->f, s, key, "\"%s\" is not an IPv%u "
				       "block like %s", v, version,
				       version == 4 ? "10.0.0.0/16"
						    : "fd00::/64");
	if (c.prefix < 1 || c.prefix > bits - 2)
		return tg_cfgfile_fail(&p->f, s, key, "prefix /%u must be "
				       "1..%u", c.prefix, bits - 2);
	for (unsigned b = c.prefix; b < bits; b++)
		if (c.base.b[b / 8] & (0x80 >> (b % 8)))
			return tg_cfgfile_fail(&p->f, s, key,
					       "\"%s\": host bits set", v);
	*out = c;
	return 0;
}

static int
parse_pool(struct parse *p, const config_setting_t *port, const char *key,
	   struct tg_pool *pool)
{
	static const char *const keys[] = { "ipv4", "ipv6", NULL };
	bool failed;
	const config_setting_t *g = subgroup(p, port, key, keys, &failed);

	if (failed)
		return -1;
	if (g == NULL)
		return 0;	/* keep the defaults */
	memset(pool, 0, sizeof(*pool));
	if (get_cidr(p, g, "ipv4", 4, &pool->v4) ||
	    get_cidr(p, g, "ipv6", 6, &pool->v6))
		return -1;
	if (pool->v4.version == 0 && pool->v6.version == 0)
		return tg_cfgfile_fail(&p->f, g, key, "needs ipv4 or ipv6");
	return 0;
}

static bool
cidr_overlap(const struct tg_cidr *a, const struct tg_cidr *b)
{
	unsigned prefix = a->prefix < b->prefix ? a->prefix : b->prefix;

	if (a->version == 0 || a->version != b->version)
		return false;
	for (unsigned bit = 0; bit < prefix; bit++) {
		uint8_t mask = (uint8_t)(0x80 >> (bit % 8));

		if ((a->base.b[bit / 8] & mask) != (b->base.b[bit / 8] & mask))
			return false;
	}
	return true;
}

static int
parse_rate(struct parse *p, const config_setting_t *port,
	   struct tg_port_cfg *pc)
{
	const char *v = NULL;
	double factor = 1.0;

	if (tg_cfgfile_string(&p->f, port, "rate", false, &v) != 0 ||
	    tg_cfgfile_number(&p->f, port, "time_factor", false, 1e-3, 1e6,
			      &factor) != 0)
		return -1;
	if (v != NULL && tg_rate_parse(v, &pc->rate) != 0)
		return tg_cfgfile_fail(&p->f,
				       config_setting_get_member(port, "rate"),
				       "rate", "\"%s\" is not \"model\", "
				       "\"unlimited\", a packet rate "
				       "(\"2 Mpps\") or a bit rate "
				       "(\"10 Gbit/s\")", v);
	pc->rate.time_factor = factor;
	return 0;
}

/* device = "..." or pcap = "...", exactly one. */
static int
parse_output(struct parse *p, const config_setting_t *port,
	     struct tg_port_cfg *pc)
{
	char pcap[TG_PATH_LEN] = "";

	if (get_text(p, port, "device", false, pc->device,
		     sizeof(pc->device)) ||
	    get_text(p, port, "pcap", false, pcap, sizeof(pcap)))
		return -1;
	if ((pc->device[0] != '\0') == (pcap[0] != '\0'))
		return tg_cfgfile_fail(&p->f, port, "device", "a port needs "
				       "exactly one of device or pcap");
	if (pc->device[0] && !valid_device(pc->device))
		return tg_cfgfile_fail(&p->f,
				       config_setting_get_member(port,
								 "device"),
				       "device", "\"%s\" is neither a PCI "
				       "address (0000:01:00.0) nor a vdev "
				       "(net_...)", pc->device);
	pc->is_pcap = pcap[0] != '\0';
	if (pc->is_pcap &&
	    resolve_path(p->cfg->output_dir, pcap, pc->pcap_path,
			 sizeof(pc->pcap_path)) != 0)
		return tg_cfgfile_fail(&p->f, port, "pcap", "path too long");
	return 0;
}

/* capture = "..." (optional, device ports): a pcap of what the port sent,
 * next to the pcaps. */
static int
parse_capture(struct parse *p, const config_setting_t *port,
	      struct tg_port_cfg *pc)
{
	const config_setting_t *s = config_setting_get_member(port, "capture");
	char capture[TG_PATH_LEN] = "";

	if (get_text(p, port, "capture", false, capture, sizeof(capture)))
		return -1;
	if (s == NULL)
		return 0;
	if (capture[0] == '\0')
		return tg_cfgfile_fail(&p->f, s, "capture", "empty file name");
	if (pc->is_pcap)
		return tg_cfgfile_fail(&p->f, s, "capture", "only device ports "
				       "have a capture tap (a pcap port's file "
				       "is already its capture)");
	if (resolve_path(p->cfg->output_dir, capture, pc->capture_path,
			 sizeof(pc->capture_path)) != 0)
		return tg_cfgfile_fail(&p->f, s, "capture", "path too long");
	if (strcmp(pc->capture_path, pc->labels_path) == 0)
		return tg_cfgfile_fail(&p->f, s, "capture", "\"%s\" is also "
				       "the port's labels", capture);
	return 0;
}

/* labels = "..." (optional): the ground truth file, next to the pcaps. */
static int
parse_labels(struct parse *p, const config_setting_t *port,
	     struct tg_port_cfg *pc)
{
	const config_setting_t *s = config_setting_get_member(port, "labels");
	char labels[TG_PATH_LEN] = "";

	if (get_text(p, port, "labels", false, labels, sizeof(labels)))
		return -1;
	if (s == NULL)
		return 0;
	if (labels[0] == '\0')
		return tg_cfgfile_fail(&p->f, s, "labels", "empty file name");
	if (resolve_path(p->cfg->output_dir, labels, pc->labels_path,
			 sizeof(pc->labels_path)) != 0)
		return tg_cfgfile_fail(&p->f, s, "labels", "path too long");
	if (pc->is_pcap && strcmp(pc->labels_path, pc->pcap_path) == 0)
		return tg_cfgfile_fail(&p->f, s, "labels", "\"%s\" is also "
				       "the port's pcap", labels);
	return 0;
}

static int
parse_model_path(struct parse *p, const config_setting_t *port,
		 struct tg_port_cfg *pc)
{
	char model[TG_PATH_LEN] = "";

	if (get_text(p, port, "model", false, model, sizeof(model)))
		return -1;
	if (model[0] == '\0')
		return 0;
	const config_setting_t *s = config_setting_get_member(port, "model");
	if (resolve_path(p->base_dir, model, pc->model_path,
			 sizeof(pc->model_path)) != 0)
		return tg_cfgfile_fail(&p->f, s, "model", "path too long");
	struct stat st;
	if (access(pc->model_path, R_OK) != 0 || stat(pc->model_path, &st))
		return tg_cfgfile_fail(&p->f, s, "model", "%s: %s",
				       pc->model_path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return tg_cfgfile_fail(&p->f, s, "model", "%s: not a file",
				       pc->model_path);
	return 0;
}

static int
parse_port_workers(struct parse *p, const config_setting_t *port,
		   struct tg_port_cfg *pc)
{
	const struct tg_config *cfg = p->cfg;

	if (config_setting_get_member(port, "workers") == NULL) {
		/* A pcap file is written by one worker: the first. */
		pc->n_workers = pc->is_pcap ? 1 : cfg->n_workers;
		memcpy(pc->workers, cfg->workers,
		       pc->n_workers * sizeof(pc->workers[0]));
		return 0;
	}
	if (parse_lcore_list(p, port, "workers", pc->workers, &pc->n_workers))
		return -1;
	const config_setting_t *s = config_setting_get_member(port, "workers");
	for (unsigned i = 0; i < pc->n_workers; i++)
		if (!has_worker(cfg->workers, cfg->n_workers, pc->workers[i]))
			return tg_cfgfile_fail(&p->f, s, "workers", "lcore %u "
					       "is not in lcores.workers",
					       pc->workers[i]);
	if (pc->is_pcap && pc->n_workers != 1)
		return tg_cfgfile_fail(&p->f, s, "workers", "a pcap port is "
				       "written by exactly 1 worker");
	return 0;
}

static int
check_ipv6_share(struct parse *p, const config_setting_t *port,
		 struct tg_port_cfg *pc, bool share_given)
{
	bool v4 = pc->clients.v4.version && pc->servers.v4.version;
	bool v6 = pc->clients.v6.version && pc->servers.v6.version;
	const config_setting_t *s = config_setting_get_member(port,
							      "ipv6_share");

	if (!v4 && !v6)
		return tg_cfgfile_fail(&p->f, port, "clients", "clients and "
				       "servers share no address family");
	if (!share_given) {
		pc->ipv6_share = !v6 ? 0 : !v4 ? 1 : DEFAULT_IPV6_SHARE;
		return 0;
	}
	if (pc->ipv6_share > 0 && !v6)
		return tg_cfgfile_fail(&p->f, s, "ipv6_share", "needs ipv6 "
				       "blocks in clients and servers");
	if (pc->ipv6_share < 1 && !v4)
		return tg_cfgfile_fail(&p->f, s, "ipv6_share", "must be 1: "
				       "clients or servers have no ipv4");
	return 0;
}

static void
port_defaults(struct tg_port_cfg *pc, int line)
{
	memset(pc, 0, sizeof(*pc));
	pc->line = line;
	tg_mac_parse("02:00:00:00:00:01", pc->mac_src);
	tg_mac_parse("02:00:00:00:00:02", pc->mac_dst);
	tg_cidr_parse("10.1.0.0/16", &pc->clients.v4);
	tg_cidr_parse("fd00:1::/64", &pc->clients.v6);
	tg_cidr_parse("198.18.0.0/20", &pc->servers.v4);
	tg_cidr_parse("fd00:2::/64", &pc->servers.v6);
	pc->ipv6_share = DEFAULT_IPV6_SHARE;
	tg_rate_parse("model", &pc->rate);
	pc->sessions = 1;
	pc->max_flows = TG_MAX_FLOWS_DEFAULT;
	pc->offload = true;
	pc->fresh_ciphertext = true;
	pc->tx_desc = DEFAULT_TX_DESC;
	pc->burst = DEFAULT_BURST;
}

static int
parse_port_link(struct parse *p, const config_setting_t *port,
		struct tg_port_cfg *pc)
{
	unsigned vlan = 0, pcp = 0, tx_desc = pc->tx_desc, burst = pc->burst;

	if (get_mac(p, port, "mac_src", pc->mac_src) ||
	    get_mac(p, port, "mac_dst", pc->mac_dst) ||
	    get_unsigned(p, port, "vlan", 1, 4094, &vlan) ||
	    get_unsigned(p, port, "vlan_pcp", 0, 7, &pcp) ||
	    tg_cfgfile_bool(&p->f, port, "offload", false, &pc->offload) ||
	    get_unsigned(p, port, "tx_desc", 64, 16384, &tx_desc) ||
	    get_unsigned(p, port, "burst", 1, 512, &burst))
		return -1;
	if (tx_desc & (tx_desc - 1))
		return tg_cfgfile_fail(&p->f,
				       config_setting_get_member(port,
								 "tx_desc"),
				       "tx_desc", "%u is not a power of two",
				       tx_desc);
	pc->vlan_id = (uint16_t)vlan;
	pc->vlan_pcp = (uint8_t)pcp;
	pc->tx_desc = (uint16_t)tx_desc;
	pc->burst = (uint16_t)burst;
	return 0;
}

/* effects = { rtt_ms = 40; jitter_ms = 2; loss = 0.01; ... }: off unless
 * one of them is non-zero. */
static int
parse_effects(struct parse *p, const config_setting_t *port,
	      struct tg_port_cfg *pc)
{
	static const char *const keys[] = { "rtt_ms", "jitter_ms", "loss",
					    "reorder", "duplicate", NULL };
	struct tg_effects_cfg *fx = &pc->effects;
	bool failed;
	const config_setting_t *g = subgroup(p, port, "effects", keys,
					     &failed);

	if (failed)
		return -1;
	if (g == NULL)
		return 0;
	if (tg_cfgfile_number(&p->f, g, "rtt_ms", false, 0, MAX_EFFECT_MS,
			      &fx->rtt_ms) ||
	    tg_cfgfile_number(&p->f, g, "jitter_ms", false, 0, MAX_EFFECT_MS,
			      &fx->jitter_ms) ||
	    tg_cfgfile_number(&p->f, g, "loss", false, 0, MAX_EFFECT_SHARE,
			      &fx->loss) ||
	    tg_cfgfile_number(&p->f, g, "reorder", false, 0,
			      MAX_EFFECT_SHARE, &fx->reorder) ||
	    tg_cfgfile_number(&p->f, g, "duplicate", false, 0,
			      MAX_EFFECT_SHARE, &fx->duplicate))
		return -1;
	if (fx->loss + fx->reorder + fx->duplicate > MAX_EFFECT_SHARE)
		return tg_cfgfile_fail(&p->f, g, "effects", "loss + reorder + "
				       "duplicate must be at most %g",
				       MAX_EFFECT_SHARE);
	fx->enabled = fx->rtt_ms > 0 || fx->jitter_ms > 0 || fx->loss > 0 ||
		      fx->reorder > 0 || fx->duplicate > 0;
	return 0;
}

/* reel = N (optional): record N packets and play them in a loop;
 * fresh_ciphertext (a reel's only): new keystream in every packet. */
static int
parse_reel(struct parse *p, const config_setting_t *port,
	   struct tg_port_cfg *pc)
{
	const config_setting_t *fresh = config_setting_get_member(
		port, "fresh_ciphertext");

	if (get_unsigned(p, port, "reel", TG_REEL_PACKETS_MIN,
			 TG_REEL_PACKETS_MAX, &pc->reel) ||
	    tg_cfgfile_bool(&p->f, port, "fresh_ciphertext", false,
			    &pc->fresh_ciphertext))
		return -1;
	if (fresh != NULL && !pc->reel)
		return tg_cfgfile_fail(&p->f, fresh, "fresh_ciphertext",
				       "only a reel port has it (live "
				       "synthesis makes every packet anew): "
				       "add `reel` or remove it");
	if (pc->reel && pc->labels_path[0] != '\0')
		return tg_cfgfile_fail(&p->f,
				       config_setting_get_member(port, "reel"),
				       "reel", "a reel port writes no labels "
				       "(each turn plays the reel's flows "
				       "again): remove `labels` or `reel`");
	return 0;
}

static int
parse_port(struct parse *p, const config_setting_t *port,
	   struct tg_port_cfg *pc, unsigned n_ports)
{
	static const char *const keys[] = {
		"name", "device", "pcap", "mac_src", "mac_dst", "vlan",
		"vlan_pcp", "clients", "servers", "ipv6_share", "rate",
		"time_factor", "model", "sessions", "workers", "offload",
		"tx_desc", "burst", "labels", "effects", "capture", "max_flows",
		"reel", "fresh_ciphertext", NULL
	};
	bool share_given = config_setting_get_member(port, "ipv6_share");
	unsigned sessions = 1;

	port_defaults(pc, config_setting_source_line(port));
	if (tg_cfgfile_known_keys(&p->f, port, keys) ||
	    get_text(p, port, "name", true, pc->name, sizeof(pc->name)))
		return -1;
	if (!valid_name(pc->name))
		return tg_cfgfile_fail(&p->f,
				       config_setting_get_member(port, "name"),
				       "name", "\"%s\": use letters, digits, "
				       "'_' and '-'", pc->name);
	if (parse_output(p, port, pc) || parse_labels(p, port, pc) ||
	    parse_capture(p, port, pc) || parse_port_link(p, port, pc) ||
	    parse_pool(p, port, "clients", &pc->clients) ||
	    parse_pool(p, port, "servers", &pc->servers) ||
	    tg_cfgfile_number(&p->f, port, "ipv6_share", false, 0, 1,
			      &pc->ipv6_share) ||
	    check_ipv6_share(p, port, pc, share_given) ||
	    parse_rate(p, port, pc) || parse_model_path(p, port, pc))
		return -1;
	/* A packet or bit rate target grows the population up to `sessions`
	 * (the control lcore picks how many run). */
	if (pc->rate.kind == TG_RATE_PPS || pc->rate.kind == TG_RATE_BPS)
		sessions = TG_RATE_SESSIONS_SHARE / n_ports;
	if (get_unsigned(p, port, "sessions", 1, TG_MAX_SESSIONS, &sessions) ||
	    get_unsigned(p, port, "max_flows", TG_MAX_FLOWS_MIN,
			 TG_MAX_FLOWS_MAX, &pc->max_flows) ||
	    parse_port_workers(p, port, pc) || parse_effects(p, port, pc) ||
	    parse_reel(p, port, pc))
		return -1;
	pc->sessions = sessions;
	return 0;
}

/* Pools must not overlap, within a port or across ports: a flow's
 * addresses tell which port and role they belong to. */
static int
check_pools_apart(struct parse *p, const config_setting_t *ports)
{
	const struct tg_config *cfg = p->cfg;

	for (unsigned a = 0; a < 2 * cfg->n_ports; a++) {
		const struct tg_port_cfg *pa = &cfg->ports[a / 2];
		const struct tg_pool *qa = a % 2 ? &pa->servers : &pa->clients;

		for (unsigned b = a + 1; b < 2 * cfg->n_ports; b++) {
			const struct tg_port_cfg *pb = &cfg->ports[b / 2];
			const struct tg_pool *qb =
				b % 2 ? &pb->servers : &pb->clients;
			const char *what = NULL;

			if (cidr_overlap(&qa->v4, &qb->v4))
				what = "ipv4";
			else if (cidr_overlap(&qa->v6, &qb->v6))
				what = "ipv6";
			if (what == NULL)
				continue;
			return tg_cfgfile_fail(
				&p->f, config_setting_get_elem(ports, b / 2),
				b % 2 ? "servers" : "clients",
				"%s overlaps %s.%s of port %s", what,
				a % 2 ? "servers" : "clients", what, pa->name);
		}
	}
	return 0;
}

/* The files a port writes, with the key that names each; "" when unset. */
static void
port_outputs(const struct tg_port_cfg *pc, const char *key[3],
	     const char *path[3])
{
	key[0] = "pcap";
	path[0] = pc->is_pcap ? pc->pcap_path : "";
	key[1] = "labels";
	path[1] = pc->labels_path;
	key[2] = "capture";
	path[2] = pc->capture_path;
}

/* No file written by port i (pcap, labels, capture) is also written by an
 * earlier port. */
static int
check_outputs_apart(struct parse *p, const config_setting_t *port, int i)
{
	const char *key[3], *path[3], *okey[3], *opath[3];

	port_outputs(&p->cfg->ports[i], key, path);
	for (int j = 0; j < i; j++) {
		port_outputs(&p->cfg->ports[j], okey, opath);
		for (int a = 0; a < 3; a++)
			for (int b = 0; b < 3; b++)
				if (path[a][0] && strcmp(path[a], opath[b]) == 0)
					return tg_cfgfile_fail(
						&p->f,
						config_setting_get_member(
							port, key[a]),
						key[a], "%s is also written by "
						"port %s", path[a],
						p->cfg->ports[j].name);
	}
	return 0;
}

/* Sessions cost memory and start-up time (about 30 bytes and 2 us each):
 * the bound holds for all ports together, not only for each. */
static int
check_sessions_total(struct parse *p, const config_setting_t *port,
		     unsigned n_ports)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < n_ports; i++)
		total += p->cfg->ports[i].sessions;
	if (total <= TG_MAX_SESSIONS)
		return 0;
	return tg_cfgfile_fail(&p->f, config_setting_get_member(port,
								"sessions"),
			       "sessions", "%" PRIu64 " in all ports, at most "
			       "%u", total, TG_MAX_SESSIONS);
}

static int
parse_ports(struct parse *p, const config_setting_t *root)
{
	struct tg_config *cfg = p->cfg;
	const config_setting_t *list =
		tg_cfgfile_member(&p->f, root, "ports", true, CONFIG_TYPE_LIST);
	int n;

	if (list == NULL)
		return -1;
	n = config_setting_length(list);
	if (n < 1 || n > TG_MAX_PORTS)
		return tg_cfgfile_fail(&p->f, list, "ports", "needs 1 to %d "
				       "ports", TG_MAX_PORTS);
	for (int i = 0; i < n; i++) {
		const config_setting_t *port = config_setting_get_elem(list, i);

		if (config_setting_type(port) != CONFIG_TYPE_GROUP)
			return tg_cfgfile_fail(&p->f, port, "ports", "port %d "
					       "is not a group { ... }", i + 1);
		if (parse_port(p, port, &cfg->ports[i], (unsigned)n))
			return -1;
		if (check_sessions_total(p, port, (unsigned)i + 1) ||
		    check_outputs_apart(p, port, i))
			return -1;
		for (int j = 0; j < i; j++)
			if (strcmp(cfg->ports[j].name, cfg->ports[i].name) == 0)
				return tg_cfgfile_fail(
					&p->f,
					config_setting_get_member(port, "name"),
					"name", "\"%s\" is already the name "
					"of port %d", cfg->ports[i].name,
					j + 1);
		cfg->n_ports++;
	}
	return check_pools_apart(p, list);
}

/* Every worker lcore must have a port to serve. */
static int
check_workers_used(struct parse *p, const config_setting_t *root)
{
	const struct tg_config *cfg = p->cfg;

	for (unsigned w = 0; w < cfg->n_workers; w++) {
		bool used = false;

		for (unsigned i = 0; i < cfg->n_ports && !used; i++)
			used = has_worker(cfg->ports[i].workers,
					  cfg->ports[i].n_workers,
					  cfg->workers[w]);
		if (!used)
			return tg_cfgfile_fail(
				&p->f, config_setting_get_member(root, "lcores"),
				"lcores.workers", "lcore %u serves no port",
				cfg->workers[w]);
	}
	return 0;
}

/* A capture tap needs the writer lcore, and the writer lcore a tap. */
static int
check_capture_lcore(struct parse *p, const config_setting_t *root)
{
	const struct tg_config *cfg = p->cfg;
	const config_setting_t *lcores = config_setting_get_member(root,
								   "lcores");

	for (unsigned i = 0; i < cfg->n_ports; i++) {
		if (cfg->ports[i].capture_path[0] == '\0' ||
		    cfg->capture_lcore >= 0)
			continue;
		return tg_cfgfile_fail(
			&p->f, config_setting_get_member(
				       config_setting_get_elem(
					       config_setting_get_member(
						       root, "ports"), i),
				       "capture"),
			"capture", "needs lcores.capture, the lcore that "
			"writes the capture");
	}
	for (unsigned i = 0; i < cfg->n_ports; i++)
		if (cfg->ports[i].capture_path[0] != '\0')
			return 0;
	if (cfg->capture_lcore < 0)
		return 0;
	return tg_cfgfile_fail(&p->f, config_setting_get_member(lcores,
								"capture"),
			       "lcores.capture", "lcore %d writes no capture: "
			       "no port has a capture", cfg->capture_lcore);
}

static void
config_defaults(struct tg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->seed = 1;
	cfg->duration = DEFAULT_DURATION;
	cfg->stats_interval = DEFAULT_STATS_INTERVAL;
	cfg->control_lcore = 0;
	cfg->workers[0] = 1;
	cfg->n_workers = 1;
	cfg->capture_lcore = -1;
}

static int
parse_root(struct parse *p, const config_t *lc)
{
	static const char *const keys[] = { "run", "lcores", "eal", "ports",
					    NULL };
	const config_setting_t *root = config_root_setting(lc);

	if (tg_cfgfile_known_keys(&p->f, root, keys) || parse_run(p, root) ||
	    parse_lcores(p, root) || parse_eal(p, root) ||
	    parse_ports(p, root) || check_workers_used(p, root) ||
	    check_capture_lcore(p, root))
		return -1;
	return 0;
}

/* Shared by load and parse: text is NULL to read the file p->f.file. */
static int
parse_config(const char *text, const char *name, const char *base_dir,
	     struct tg_config *cfg, char *err, size_t errlen)
{
	struct parse p = {
		.f = { .file = name, .err = err, .errlen = errlen,
		       .max_bytes = TG_CONFIG_MAX_BYTES },
		.base_dir = base_dir,
		.cfg = cfg,
	};
	config_t lc;
	int rc;

	config_defaults(cfg);
	snprintf(cfg->path, sizeof(cfg->path), "%s", name);
	config_init(&lc);
	rc = text ? tg_cfgfile_read(&p.f, &lc, text)
		  : tg_cfgfile_read_file(&p.f, &lc);
	if (rc == 0)
		rc = parse_root(&p, &lc);
	config_destroy(&lc);
	return rc;
}

int
tg_config_parse(const char *text, const char *name, const char *base_dir,
		struct tg_config *cfg, char *err, size_t errlen)
{
	return parse_config(text, name, base_dir, cfg, err, errlen);
}

int
tg_config_load(const char *path, struct tg_config *cfg, char *err,
	       size_t errlen)
{
	char dir[TG_PATH_LEN];
	const char *slash = strrchr(path, '/');

	if (strlen(path) >= TG_PATH_LEN) {
		snprintf(err, errlen, "%.64s...: path too long", path);
		return -1;
	}
	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (dir[0] == '\0')
		snprintf(dir, sizeof(dir), "/");
	return parse_config(NULL, path, dir, cfg, err, errlen);
}
