/* SPDX-License-Identifier: BSD-3-Clause
 * tg_fit: learns a fitted model (struct tg_model, kind fitted) from the
 * flows of real captures (lib/trace). No DPDK here. The methods are
 * described in docs/model.md.
 *
 * Use: create a fitter, hand it every finished flow (tg_fit_add_flow fits
 * tg_flows' callback), then tg_fit_finish builds and checks the model.
 * Flows may come in any order; the fitter sorts what needs order.
 */
#ifndef TG_FIT_H
#define TG_FIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tg_flows.h"
#include "tg_model.h"

/* Zero fields take the defaults in brackets. */
struct tg_fit_conf {
	unsigned k_max;		/* [4] most log-normal components */
	unsigned order;		/* [2] longest automaton context */
	uint32_t min_context;	/* [20] packets a context needs to be a
				 * state of its own (else it backs off) */
	uint32_t min_transition;	/* [30] gaps a transition needs for a
					 * mixture of its own */
	uint32_t min_service_flows;	/* [3] fewer: folded into other-* */
	uint64_t dns_window_ns;	/* [10 s] a DNS query this long before a
				 * connection of the same client precedes it */
	const char *name;	/* ["fitted"] the model's name */
	const char *source;	/* the input paths, for provenance */
};

/* What went into the model and what did not, by reason. */
struct tg_fit_stats {
	uint64_t flows;		/* handed to the fitter */
	uint64_t flows_used;
	uint64_t packets_used;
	uint64_t skipped_other_proto;	/* not TCP, UDP or ICMP echo */
	uint64_t skipped_midflow;	/* TCP without a handshake: counted
					 * in the mix, not in the automaton */
	uint64_t folded_rare;	/* flows of services with too few flows,
				 * folded into other-tcp / other-udp */
	uint32_t services;
};

struct tg_fitter;

struct tg_fitter *tg_fit_create(const struct tg_fit_conf *conf);

/* Account one finished flow (also usable as a tg_flow_cb with the fitter
 * as its argument). */
void tg_fit_add_flow(const struct tg_flow_rec *flow, void *fitter);

/* Fit the model into *out (kind fitted, checked with tg_model_check) and
 * fill `stats`; once per fitter. The provenance's file, packet and flow
 * counts are filled from what the fitter was handed; the caller may set
 * them from its reader's counts afterwards, and sets the date. Returns 0,
 * or -1 with a message (no flows, no memory, a check failed; *out is then
 * freed). */
int tg_fit_finish(struct tg_fitter *f, struct tg_model *out,
		  struct tg_fit_stats *stats, char *err, size_t errlen);

void tg_fit_free(struct tg_fitter *f);

/* Print what the model holds, one line per service, for people. */
void tg_fit_summary(const struct tg_model *model, FILE *out);

#endif /* TG_FIT_H */
