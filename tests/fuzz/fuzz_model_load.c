/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for model files (lib/model): arbitrary text goes to
 * tg_model_parse; whatever loads must save, load again and save to the
 * same bytes, and free cleanly. Build and run with scripts/fuzz:
 *   scripts/fuzz model 60        # 60 s, ASan + UBSan, seeds from models/
 * or by hand with clang:
 *   python3 scripts/embed-text.py models/office-parametric.tgm \
 *     /tmp/builtin.c tg_model_builtin_text
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *     -fno-sanitize-recover=all -D_GNU_SOURCE -Ilib/model -Ilib/cfgfile \
 *     -Ilib/sample -Ilib/flow -Ilib/pkt tests/fuzz/fuzz_model_load.c \
 *     lib/model/tg_model_*.c lib/model/tg_symbols.c lib/cfgfile/tg_cfgfile.c \
 *     lib/sample/tg_sample.c lib/sample/tg_rng.c /tmp/builtin.c \
 *     -lconfig -lm -o /tmp/fuzz_model_load
 *   LSAN_OPTIONS=suppressions=tests/fuzz/lsan.supp \
 *     /tmp/fuzz_model_load -max_len=16384 tests/fuzz/seeds/model
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_text.h"
#include "tg_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *
save(const struct tg_model *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (out == NULL || tg_model_save(m, out) != 0 || fclose(out) != 0)
		abort();
	return text;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_model m, again;
	char err[512], *text, *first, *second;

	text = fuzz_text(data, size);
	if (text == NULL)
		return 0;
	if (tg_model_parse(text, "fuzz", &m, err, sizeof(err)) != 0) {
		/* one line, naming the input */
		if (strncmp(err, "fuzz", 4) != 0 || strchr(err, '\n'))
			abort();
		free(text);
		return 0;
	}
	first = save(&m);
	if (tg_model_parse(first, "saved", &again, err, sizeof(err)) != 0) {
		fprintf(stderr, "saved model does not load: %s\n%s\n", err,
			first);
		abort();
	}
	second = save(&again);
	if (strcmp(first, second) != 0) {
		fprintf(stderr, "save/load/save differs:\n%s\n---\n%s\n",
			first, second);
		abort();
	}
	/* a checked model checks again, and frees once */
	if (tg_model_check(&again, err, sizeof(err)) != 0)
		abort();
	tg_model_free(&again);
	tg_model_free(&m);
	free(first);
	free(second);
	free(text);
	return 0;
}
