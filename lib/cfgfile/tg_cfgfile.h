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
};

/* Read `text` into `lc` (which the caller inits and destroys). On a syntax
 * error writes "file:line: syntax: ..." and returns -1. */
int tg_cfgfile_read(const struct tg_cfgfile *f, config_t *lc,
		    const char *text);

/* The same for the file named f->file: "file: cannot read: why" when it
 * cannot be opened. */
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
