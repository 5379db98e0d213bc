/* SPDX-License-Identifier: BSD-3-Clause
 * What the libconfig fuzzers (fuzz_config.c, fuzz_model_load.c) share: the
 * input as a NUL-terminated text, or none.
 */
#ifndef FUZZ_TEXT_H
#define FUZZ_TEXT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd copy of the input with a NUL after it, or NULL when there is
 * no memory or the text has an @include: libconfig follows @include to
 * any file, which is no test of ours (and /dev/zero would never end). */
static inline char *
fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		return NULL;
	memcpy(text, data, size);
	text[size] = '\0';
	if (strstr(text, "@include") != NULL) {
		free(text);
		return NULL;
	}
	return text;
}

#endif /* FUZZ_TEXT_H */
