/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for run configurations (lib/config): arbitrary text goes
 * to tg_config_parse. A bad file gets one line naming it; a good one holds
 * only values within their bounds, and parsing it again gives the same
 * configuration. Build and run with scripts/fuzz:
 *   scripts/fuzz config 60       # 60 s, ASan + UBSan, seeds from config/
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"
#include "tg_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Large: off the stack. */
static struct tg_config cfg, again;

static void
check_str(const char *s, size_t cap, const char *what)
{
	if (memchr(s, '\0', cap) == NULL) {
		fprintf(stderr, "%s is not terminated\n", what);
		abort();
	}
}

static void
check_cfg(const struct tg_config *c)
{
	if (c->n_ports == 0 || c->n_ports > TG_MAX_PORTS ||
	    c->n_workers > TG_MAX_WORKERS || c->eal.n_args > TG_MAX_EAL_ARGS)
		abort();
	check_str(c->path, sizeof(c->path), "path");
	check_str(c->output_dir, sizeof(c->output_dir), "output_dir");
	for (unsigned i = 0; i < c->eal.n_args; i++)
		check_str(c->eal.args[i], sizeof(c->eal.args[i]), "eal arg");
	for (unsigned i = 0; i < c->n_ports; i++) {
		const struct tg_port_cfg *p = &c->ports[i];

		check_str(p->name, sizeof(p->name), "port name");
		check_str(p->device, sizeof(p->device), "device");
		check_str(p->pcap_path, sizeof(p->pcap_path), "pcap path");
		check_str(p->model_path, sizeof(p->model_path), "model");
		if (p->n_workers > TG_MAX_WORKERS || p->vlan_id > 4094 ||
		    p->vlan_pcp > 7 || !(p->ipv6_share >= 0.0) ||
		    p->ipv6_share > 1.0 || p->sessions > TG_MAX_SESSIONS)
			abort();
		if ((p->clients.v4.version && p->clients.v4.prefix > 32) ||
		    (p->servers.v4.version && p->servers.v4.prefix > 32) ||
		    p->clients.v6.prefix > 128 || p->servers.v6.prefix > 128)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[TG_ERR_LEN], *text;

	text = fuzz_text(data, size);
	if (text == NULL)
		return 0;
	memset(&cfg, 0, sizeof(cfg));
	if (tg_config_parse(text, "fuzz", "/nonexistent-fuzz-base", &cfg, err,
			    sizeof(err)) != 0) {
		/* one line, naming the input */
		if (strncmp(err, "fuzz", 4) != 0 || strchr(err, '\n')) {
			fprintf(stderr, "bad message: \"%s\"\n", err);
			abort();
		}
		free(text);
		return 0;
	}
	check_cfg(&cfg);
	/* the parser depends on nothing but its input */
	memset(&again, 0, sizeof(again));
	if (tg_config_parse(text, "fuzz", "/nonexistent-fuzz-base", &again,
			    err, sizeof(err)) != 0 ||
	    memcmp(&cfg, &again, sizeof(cfg)) != 0) {
		fprintf(stderr, "second parse differs\n");
		abort();
	}
	free(text);
	return 0;
}
