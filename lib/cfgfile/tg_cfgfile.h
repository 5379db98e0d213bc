/* SPDX-License-Identifier: BSD-3-Clause
 * tg_cfgfile: typed reading of libconfig settings with one-line errors
 *   file:line: key: what is wrong
 * shared by the run configuration (lib/config) and model files (lib/model),
 * so both report bad input the same way. No DPDK here.
 */
#ifndef TG_CFGFILE_H
#define TG_CFGFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>

/* The file being read and where its error message goes. */
struct tg_cfgfile {
	const char *file;	/* name used in messages */
	char *err;
	size_t errlen;
	size_t max_bytes;	/* largest file; 0: TG_CFGFILE_MAX_BYTES */
};

/* Read `text` into `lc` (which the caller inits and destroys). On a syntax
 * error writes "file:line: syntax: ..." and returns -1. Integer literals
 * beyond 32 bits are read whole, not wrapped as libconfig 1.5 would
 * without their L; one beyond 64 bits is an error
 * ("file:line: integer literal ... does not fit in 64 bits"). The text
 * libconfig parses, L suffixes added, is at most max_bytes long. */
int tg_cfgfile_read(const struct tg_cfgfile *f, config_t *lc,
		    const char *text);

/* Largest file read by default (bytes): 32 times the fitted default model.
 * libconfig holds a file in memory at up to 45 times its size (a 16 MiB
 * array of small numbers takes 700 MB), so this bounds the memory a
 * hostile file can take before any of its values is checked. */
#define TG_CFGFILE_MAX_BYTES (16u << 20)

/* The same for the file named f->file: "file: cannot read: why" when it
 * cannot be opened, is not a regular file or is over its size limit
 * (before or after its L suffixes are added). */
int tg_cfgfile_read_file(const struct tg_cfgfile *f, config_t *lc);

/* Write "file:line: key: what" (line of `at`, or "file: key: what" when `at`
 * has no line) and return -1, so callers can `return tg_cfgfile_fail(...)`. */
int tg_cfgfile_fail(const struct tg_cfgfile *f, const config_setting_t *at,
		    const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Reject any member of `group` whose name is not in the NULL-terminated
 * `known` list. */
int tg_cfgfile_known_keys(const struct tg_cfgfile *f,
			  const config_setting_t *group,
			  const char *const *known);

/* Getters. With `required` false a missing key leaves *out unchanged and
 * returns 0; a present key of the wrong type or out of range is an error.
 * Integers are accepted where numbers are; numbers must be finite. */
int tg_cfgfile_number(const struct tg_cfgfile *f,
		      const config_setting_t *group, const char *key,
		      bool required, double lo, double hi, double *out);
int tg_cfgfile_integer(const struct tg_cfgfile *f,
		       const config_setting_t *group, const char *key,
		       bool required, int64_t lo, int64_t hi, int64_t *out);
int tg_cfgfile_bool(const struct tg_cfgfile *f, const config_setting_t *group,
		    const char *key, bool required, bool *out);
/* *out points into libconfig's storage (valid until config_destroy). */
int tg_cfgfile_string(const struct tg_cfgfile *f,
		      const config_setting_t *group, const char *key,
		      bool required, const char **out);
/* A string that must be one of the NULL-terminated `names`; *out = index. */
int tg_cfgfile_choice(const struct tg_cfgfile *f,
		      const config_setting_t *group, const char *key,
		      bool required, const char *const *names, int *out);
/* A member of the given libconfig type (CONFIG_TYPE_GROUP, _LIST, _ARRAY).
 * Returns NULL when missing (an error only if `required`) or of the wrong
 * type (always an error; check f->err[0] to tell the two apart). */
const config_setting_t *tg_cfgfile_member(const struct tg_cfgfile *f,
					  const config_setting_t *group,
					  const char *key, bool required,
					  int type);

#endif /* TG_CFGFILE_H */
