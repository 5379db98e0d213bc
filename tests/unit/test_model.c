/* SPDX-License-Identifier: BSD-3-Clause
 * Model files: the built-in model loads, bad files get one line naming the
 * place, and the draws follow the parameters.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tg_model.h"

static char *builtin_text;

/* The shipped model file, read as text, to derive broken variants from. */
static int
read_shipped(void **state)
{
	const char *root = getenv("TG_SOURCE_ROOT");
	char path[1024];
	FILE *f;
	long n;

	(void)state;
	snprintf(path, sizeof(path), "%s/models/office-parametric.tgm",
		 root ? root : ".");
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	builtin_text = calloc(1, (size_t)n + 1);
	if (fread(builtin_text, 1, (size_t)n, f) != (size_t)n)
		return -1;
	fclose(f);
	return 0;
}

static int
free_shipped(void **state)
{
	(void)state;
	free(builtin_text);
	return 0;
}

/* The shipped text with the first `from` replaced by `to`. */
static char *
variant(const char *from, const char *to)
{
	const char *at = strstr(builtin_text, from);
	size_t n = strlen(builtin_text) + strlen(to) + 1;
	char *out = calloc(1, n);

	assert_non_null(at);
	memcpy(out, builtin_text, (size_t)(at - builtin_text));
	strcat(out, to);
	strcat(out, at + strlen(from));
	return out;
}

static void
expect_error(const char *from, const char *to, const char *message)
{
	struct tg_model m;
	char err[512];
	char *text = variant(from, to);

	int rc = tg_model_parse(text, "m.tgm", &m, err, sizeof(err));

	free(text);
	assert_int_equal(rc, -1);
	if (strstr(err, message) == NULL)
		fail_msg("expected \"%s\" in \"%s\"", message, err);
}

static void
test_builtin_loads(void **state)
{
	struct tg_model m;
	char err[512];
	double sum = 0;

	(void)state;
	assert_int_equal(tg_model_load_builtin(&m, err, sizeof(err)), 0);
	assert_string_equal(m.name, "office-parametric");
	assert_int_equal(m.n_services, 6);
	assert_int_equal(m.par.services[0].proto, TG_PROTO_TCP);
	assert_int_equal(m.par.services[0].port, 80);
	assert_int_equal(m.par.services[0].payload, TG_PAYLOAD_HTTP);
	for (uint32_t i = 0; i < m.n_services; i++)
		sum += m.par.services[i].weight;
	assert_true(fabs(sum - 1.0) < 1e-9);
}

static void
test_bad_models(void **state)
{
	(void)state;
	expect_error("version = 2;", "version = 3;",
		     "m.tgm:5: version: version 3 is not supported");
	expect_error("weight = 0.30;", "weight = 0.31;",
		     "services: weights sum to 1.01, not 1");
	expect_error("rtt = { median = 0.025;", "rtt = { median = -1.0;",
		     "m.tgm:12: median: -1 is outside");
	expect_error("kind = \"parametric\";", "kind = 3;",
		     "m.tgm:6: kind: must be a string");
	expect_error("proto = \"tcp\"; port = 80;", "proto = \"sctp\"; port = 80;",
		     "proto: unknown value \"sctp\"");
	expect_error("name = \"office-parametric\";", "",
		     "m.tgm: name: missing");
	expect_error("rtt = {", "colour = 1; rtt = {",
		     "m.tgm:12: colour: unknown key");
	expect_error("services = (", "services = ( ,",
		     "m.tgm:23: syntax: syntax error");
}

static void
test_missing_file(void **state)
{
	struct tg_model m;
	char err[512];

	(void)state;
	assert_int_equal(tg_model_load("/nonexistent.tgm", &m, err,
				       sizeof(err)), -1);
	assert_non_null(strstr(err, "/nonexistent.tgm"));
}

/* Every flow of the built-in model is a well-formed conversation: TCP
 * opens first and ends with CLOSE or RESET; UDP and ICMP alternate
 * request and response. */
static void
test_flow_steps(void **state)
{
	struct tg_model m;
	struct tg_rng rng;
	char err[512];
	unsigned per_service[TG_MODEL_MAX_SERVICES] = { 0 };

	(void)state;
	assert_int_equal(tg_model_load_builtin(&m, err, sizeof(err)), 0);
	tg_rng_seed(&rng, 5, 0);
	for (int flow = 0; flow < 20000; flow++) {
		struct tg_flow_desc desc;
		struct tg_flow_cursor cur;
		struct tg_step step;
		struct tg_arrival_state arrival = { UINT16_MAX };
		int n = 0, last_intent = -1, last_dir = TG_DIR_S2C;
		uint16_t service;

		tg_model_next_arrival(&m, &rng, 0, &arrival, &service);
		tg_model_flow_new(&m, &rng, service, &desc, &cur);
		per_service[desc.service]++;
		while (tg_model_flow_step(&m, &cur, &rng, &step)) {
			if (n == 0 && desc.proto == TG_PROTO_TCP)
				assert_int_equal(step.intent, TG_INTENT_OPEN);
			if (step.intent == TG_INTENT_DATA) {
				assert_true(step.bytes >= 1);
				assert_int_not_equal(step.dir, last_dir);
				last_dir = step.dir;
			}
			last_intent = step.intent;
			n++;
		}
		if (desc.proto == TG_PROTO_TCP)
			assert_true(last_intent == TG_INTENT_CLOSE ||
				    last_intent == TG_INTENT_RESET);
		else
			assert_int_equal(last_dir, TG_DIR_S2C);
	}
	/* The mix follows the weights (5 standard errors). */
	for (uint32_t i = 0; i < m.n_services; i++) {
		double p = m.par.services[i].weight;

		assert_true(fabs(per_service[i] / 20000.0 - p) <
			    5 * sqrt(p * (1 - p) / 20000));
	}
}

static void
test_arrival_median(void **state)
{
	struct tg_model m;
	struct tg_rng rng;
	char err[512];
	unsigned below = 0;

	(void)state;
	assert_int_equal(tg_model_load_builtin(&m, err, sizeof(err)), 0);
	tg_rng_seed(&rng, 6, 0);
	for (int i = 0; i < 100000; i++) {
		struct tg_arrival_state arrival = { UINT16_MAX };
		uint16_t service;

		below += tg_model_next_arrival(&m, &rng, 0, &arrival,
					       &service) <
			 (uint64_t)(m.par.arrival.median * 1e9);
	}
	assert_true(fabs(below / 100000.0 - 0.5) < 5 * 0.5 / sqrt(100000));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_loads),
		cmocka_unit_test(test_bad_models),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_flow_steps),
		cmocka_unit_test(test_arrival_median),
	};

	return cmocka_run_group_tests(tests, read_shipped, free_shipped);
}
