/* SPDX-License-Identifier: BSD-3-Clause
 * Typed libconfig reading with "file:line: key: what" errors.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "tg_cfgfile.h"

int
tg_cfgfile_read(const struct tg_cfgfile *f, config_t *lc, const char *text)
{
	if (f->errlen > 0)
		f->err[0] = '\0';
	if (config_read_string(lc, text) == CONFIG_TRUE)
		return 0;
	snprintf(f->err, f->errlen, "%s:%d: syntax: %s", f->file,
		 config_error_line(lc), config_error_text(lc));
	return -1;
}

/* Only a regular file of bounded size is parsed: libconfig holds all of
 * it in memory (several times its size), and would read a device or pipe
 * without end; flex's own error on a directory would end the process. */
static int
check_file(const struct tg_cfgfile *f, FILE *in)
{
	size_t max = f->max_bytes ? f->max_bytes : TG_CFGFILE_MAX_BYTES;
	struct stat st;

	if (fstat(fileno(in), &st) != 0) {
		snprintf(f->err, f->errlen, "%s: cannot read: %s", f->file,
			 strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(f->err, f->errlen, "%s: cannot read: %s", f->file,
			 S_ISDIR(st.st_mode) ? strerror(EISDIR)
					     : "not a regular file");
		return -1;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(f->err, f->errlen, "%s: cannot read: %lld bytes, more "
			 "than the limit of %zu", f->file,
			 (long long)st.st_size, max);
		return -1;
	}
	return 0;
}

int
tg_cfgfile_read_file(const struct tg_cfgfile *f, config_t *lc)
{
	FILE *in = fopen(f->file, "r");

	if (f->errlen > 0)
		f->err[0] = '\0';
	if (in == NULL) {
		snprintf(f->err, f->errlen, "%s: cannot read: %s", f->file,
			 strerror(errno));
		return -1;
	}
	if (check_file(f, in) != 0) {
		fclose(in);
		return -1;
	}
	int ok = config_read(lc, in);
	fclose(in);
	if (ok == CONFIG_TRUE)
		return 0;
	snprintf(f->err, f->errlen, "%s:%d: syntax: %s", f->file,
		 config_error_line(lc), config_error_text(lc));
	return -1;
}

int
tg_cfgfile_fail(const struct tg_cfgfile *f, const config_setting_t *at,
		const char *key, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	/* The root group has no line of its own: name the file only. */
	int line = at ? config_setting_source_line(at) : 0;
	if (line > 0)
		snprintf(f->err, f->errlen, "%s:%d: %s: %s", f->file, line,
			 key, what);
	else
		snprintf(f->err, f->errlen, "%s: %s: %s", f->file, key, what);
	/* One line, whatever a quoted value holds (libconfig strings may
	 * span lines or hold any control character): as
	 * tg_model_one_line does for models. */
	for (char *c = f->err; f->errlen > 0 && *c != '\0'; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	return -1;
}

int
tg_cfgfile_known_keys(const struct tg_cfgfile *f,
		      const config_setting_t *group, const char *const *known)
{
	int n = config_setting_length(group);

	for (int i = 0; i < n; i++) {
		const config_setting_t *s = config_setting_get_elem(group, i);
		const char *name = config_setting_name(s);
		bool found = false;

		for (int k = 0; known[k] && !found; k++)
			found = strcmp(name, known[k]) == 0;
		if (!found)
			return tg_cfgfile_fail(f, s, name, "unknown key");
	}
	return 0;
}

static const char *
type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a number";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "true or false";
	case CONFIG_TYPE_GROUP:
		return "a group { ... }";
	case CONFIG_TYPE_ARRAY:
		return "an array [ ... ]";
	case CONFIG_TYPE_LIST:
		return "a list ( ... )";
	}
	return "something else";
}

static bool
is_integer(const config_setting_t *s)
{
	int t = config_setting_type(s);

	return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

const config_setting_t *
tg_cfgfile_member(const struct tg_cfgfile *f, const config_setting_t *group,
		  const char *key, bool required, int type)
{
	const config_setting_t *s = config_setting_get_member(group, key);

	if (f->errlen > 0)
		f->err[0] = '\0';
	if (s == NULL) {
		if (required)
			tg_cfgfile_fail(f, group, key, "missing");
		return NULL;
	}
	int t = config_setting_type(s);
	bool ok = t == type ||
		  (type == CONFIG_TYPE_FLOAT && is_integer(s)) ||
		  (type == CONFIG_TYPE_INT && t == CONFIG_TYPE_INT64) ||
		  /* [] and () hold the same thing when empty or uniform */
		  (type == CONFIG_TYPE_LIST && t == CONFIG_TYPE_ARRAY);
	if (!ok) {
		tg_cfgfile_fail(f, s, key, "must be %s", type_name(type));
		return NULL;
	}
	return s;
}

/* Shared by the getters: the member, or NULL with *rc set. */
static const config_setting_t *
getter_member(const struct tg_cfgfile *f, const config_setting_t *group,
	      const char *key, bool required, int type, int *rc)
{
	const config_setting_t *s =
		tg_cfgfile_member(f, group, key, required, type);

	*rc = (s == NULL && f->err[0] != '\0') ? -1 : 0;
	return s;
}

int
tg_cfgfile_number(const struct tg_cfgfile *f, const config_setting_t *group,
		  const char *key, bool required, double lo, double hi,
		  double *out)
{
	int rc;
	const config_setting_t *s =
		getter_member(f, group, key, required, CONFIG_TYPE_FLOAT, &rc);
	if (s == NULL)
		return rc;

	double v = is_integer(s) ? (double)config_setting_get_int64(s)
				 : config_setting_get_float(s);
	if (!isfinite(v) || v < lo || v > hi)
		return tg_cfgfile_fail(f, s, key, "%g is outside %g..%g", v,
				       lo, hi);
	*out = v;
	return 0;
}

int
tg_cfgfile_integer(const struct tg_cfgfile *f, const config_setting_t *group,
		   const char *key, bool required, int64_t lo, int64_t hi,
		   int64_t *out)
{
	int rc;
	const config_setting_t *s =
		getter_member(f, group, key, required, CONFIG_TYPE_INT, &rc);
	if (s == NULL)
		return rc;

	int64_t v = config_setting_get_int64(s);
	if (v < lo || v > hi)
		return tg_cfgfile_fail(f, s, key, "%lld is outside %lld..%lld",
				       (long long)v, (long long)lo,
				       (long long)hi);
	*out = v;
	return 0;
}

int
tg_cfgfile_bool(const struct tg_cfgfile *f, const config_setting_t *group,
		const char *key, bool required, bool *out)
{
	int rc;
	const config_setting_t *s =
		getter_member(f, group, key, required, CONFIG_TYPE_BOOL, &rc);
	if (s == NULL)
		return rc;
	*out = config_setting_get_bool(s);
	return 0;
}

int
tg_cfgfile_string(const struct tg_cfgfile *f, const config_setting_t *group,
		  const char *key, bool required, const char **out)
{
	int rc;
	const config_setting_t *s = getter_member(f, group, key, required,
						  CONFIG_TYPE_STRING, &rc);
	if (s == NULL)
		return rc;
	*out = config_setting_get_string(s);
	return 0;
}

int
tg_cfgfile_choice(const struct tg_cfgfile *f, const config_setting_t *group,
		  const char *key, bool required, const char *const *names,
		  int *out)
{
	const char *v = NULL;

	if (tg_cfgfile_string(f, group, key, required, &v) != 0)
		return -1;
	if (v == NULL)
		return 0;
	for (int i = 0; names[i]; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = i;
			return 0;
		}
	}
	return tg_cfgfile_fail(f, config_setting_get_member(group, key), key,
			       "unknown value \"%s\"", v);
}
