/* SPDX-License-Identifier: BSD-3-Clause
 * tg_synth_measure_session: a model's output per session, found by
 * running it (the engine is the only exact account of what a model does:
 * time of day, flow lengths, handshakes and effects all count).
 */
#include <stdio.h>
#include <stdlib.h>

#include "tg_synth.h"

#define NS_PER_SEC 1000000000ull
/* Flows the measure wants to see: enough for a mean within a few per
 * cent, few enough to run in well under a second. */
#define MEASURE_FLOWS 20000.0
#define GAP_SAMPLE 4096
#define SCRATCH_FRAMES 64
#define SCRATCH_FRAME_LEN 2048

/* Run `s` up to `until`; add what it wrote into *packets and *bytes. */
static void
run_until(struct tg_synth *s, struct tg_synth_pkt *pkts, uint64_t until,
	  uint64_t *packets, uint64_t *bytes)
{
	unsigned k;

	do {
		k = tg_synth_burst(s, pkts, SCRATCH_FRAMES, until);
		for (unsigned i = 0; i < k; i++)
			*bytes += pkts[i].len;
		*packets += k;
	} while (k > 0);
}

/* Sessions for the measure: as many as make MEASURE_FLOWS start in the
 * counted time, from the mean of a sample of the model's gaps between a
 * session's flows (a model whose sessions are busy needs few). */
static uint32_t
measure_sessions(const struct tg_synth_params *p, double seconds)
{
	struct tg_arrival_state st = { .prev_service = UINT16_MAX };
	struct tg_rng rng;
	uint16_t service;
	double sum = 0, want;

	tg_rng_seed(&rng, p->seed, p->stream);
	for (unsigned i = 0; i < GAP_SAMPLE; i++)
		sum += (double)tg_model_next_arrival(p->model, &rng, 0, &st,
						     &service);
	want = MEASURE_FLOWS * (sum / GAP_SAMPLE) / (seconds * NS_PER_SEC);
	return want < 1 ? 1
	       : want > TG_SYNTH_MEASURE_SESSIONS ? TG_SYNTH_MEASURE_SESSIONS
						  : (uint32_t)want;
}

int
tg_synth_measure_session(const struct tg_synth_params *params,
			 struct tg_synth_rate *out, char *err, size_t errlen)
{
	struct tg_synth_params p = *params;
	struct tg_synth_pkt pkts[SCRATCH_FRAMES];
	const uint64_t end = TG_SYNTH_MEASURE_S * NS_PER_SEC;
	const uint64_t warm = end / 3;
	uint64_t packets = 0, bytes = 0;
	uint32_t sessions = measure_sessions(params,
					     (double)(end - warm) / NS_PER_SEC);
	uint8_t *frames = malloc(SCRATCH_FRAMES * SCRATCH_FRAME_LEN);
	struct tg_synth *s;
	double session_seconds;

	p.sessions = sessions;
	p.active_sessions = 0;
	/* Its few thousand flows need no bigger table than the default,
	 * whatever the port's max_flows. */
	if (p.max_flows > TG_MAX_FLOWS_DEFAULT)
		p.max_flows = TG_MAX_FLOWS_DEFAULT;
	p.labels = false;
	s = frames ? tg_synth_create(&p, err, errlen) : NULL;
	if (s == NULL) {
		if (frames == NULL)
			snprintf(err, errlen, "out of memory");
		free(frames);
		return -1;
	}
	for (unsigned i = 0; i < SCRATCH_FRAMES; i++) {
		pkts[i].buf = frames + (size_t)i * SCRATCH_FRAME_LEN;
		pkts[i].cap = SCRATCH_FRAME_LEN;
	}
	run_until(s, pkts, warm, &(uint64_t){ 0 }, &(uint64_t){ 0 });
	run_until(s, pkts, end, &packets, &bytes);
	tg_synth_free(s);
	free(frames);
	session_seconds = (double)sessions *
			  (double)(end - warm) / (double)NS_PER_SEC;
	out->packets = (double)packets / session_seconds;
	out->bits = (double)bytes * 8 / session_seconds;
	return 0;
}
