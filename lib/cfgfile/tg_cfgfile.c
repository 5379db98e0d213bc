/* SPDX-License-Identifier: BSD-3-Clause
 * Typed libconfig reading with "file:line: key: what" errors. The text is
 * copied first with libconfig's L added where an integer needs 64 bits,
 * as libconfig 1.5 would wrap it silently.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tg_cfgfile.h"

/* ------------------------------------------------------------------------
 * Wide integer literals, before libconfig sees them.
 *
 * libconfig 1.5 reads an integer literal without the L suffix into an int:
 * 1000000000000 becomes -727379968, 4294967301 becomes 5, 0xffffffff -1,
 * and nothing tells the reader. With the suffix it reads 64 bits, but
 * saturates or wraps past them (99999999999999999999L is INT64_MAX,
 * 0xffffffffffffffffL is -1). So the text is copied first with an L added
 * to every literal that does not fit in 32 bits: libconfig then reads its
 * true value and the typed getters refuse it by key name when it is out of
 * range ("sessions: 1000000000000 is outside 1..10000000"). A literal that
 * does not fit in 64 bits, with or without L, is refused here.
 *
 * The scanner follows libconfig's lexer (scanner.l): `#`, `//` and
 * `/ * * /` comments and "..." strings (with backslash escapes) are copied
 * untouched; names ([A-Za-z*][-A-Za-z0-9_*]*) may hold digits; floats
 * (1.5, .5, 1e12, 2E-3) are numbers, not integers; an integer is
 * [-+]?[0-9]+ or 0[xX][0-9a-fA-F]+ (hex is unsigned: 0x80000000 is read
 * as a negative int), either with an optional L or LL.
 *
 * An array holds scalars of one type ([1, 2L] is a syntax error), so when
 * one integer of an array needs its L, every integer of the array gets
 * one, as tg_model_write writes them.
 */

enum token {
	TOK_END,
	TOK_INT,		/* an integer literal: see struct lexer */
	TOK_OPEN,		/* [ */
	TOK_CLOSE,		/* ] */
	TOK_OTHER,		/* anything else, copied as it is */
	TOK_BAD,		/* an error, in f->err */
};

struct lexer {
	const struct tg_cfgfile *f;
	const char *p;		/* next byte */
	const char *end;
	int line;
	/* the last TOK_INT */
	const char *lit;	/* its first byte, sign included */
	size_t lit_len;		/* without the suffix */
	bool suffixed;		/* L or LL */
	bool fits32;		/* libconfig reads it right without L */
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*';
}

static bool
is_name_char(char c)
{
	return is_name_start(c) || is_digit(c) || c == '-' || c == '_';
}

static int
hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
at(const struct lexer *lx, size_t ahead, char c)
{
	return lx->end - lx->p > (ptrdiff_t)ahead && lx->p[ahead] == c;
}

static void
skip_string(struct lexer *lx)
{
	for (lx->p++; lx->p < lx->end; lx->p++) {
		if (*lx->p == '"') {
			lx->p++;
			return;
		}
		if (*lx->p == '\\' && lx->p + 1 < lx->end)
			lx->p++;
		if (*lx->p == '\n')
			lx->line++;
	}
	/* unterminated: libconfig reports it */
}

static void
skip_line_comment(struct lexer *lx)
{
	while (lx->p < lx->end && *lx->p != '\n')
		lx->p++;
}

static void
skip_block_comment(struct lexer *lx)
{
	for (lx->p += 2; lx->p < lx->end; lx->p++) {
		if (at(lx, 0, '*') && at(lx, 1, '/')) {
			lx->p += 2;
			return;
		}
		if (*lx->p == '\n')
			lx->line++;
	}
}

/* A float from lx->p on (past its sign and integer digits) when what
 * follows makes one: a '.', or an exponent with at least one digit. */
static bool
skip_float_rest(struct lexer *lx)
{
	const char *q = lx->p;

	if (q < lx->end && *q == '.') {
		for (q++; q < lx->end && is_digit(*q); q++)
			;
	}
	if (q < lx->end && (*q == 'e' || *q == 'E')) {
		const char *e = q + 1;

		if (e < lx->end && (*e == '+' || *e == '-'))
			e++;
		if (e < lx->end && is_digit(*e))
			for (q = e; q < lx->end && is_digit(*q); q++)
				;
	}
	if (q == lx->p)
		return false;
	lx->p = q;
	return true;
}

/* The literal's first bytes, for an error message. */
#define SHOWN 40

static int
shown_len(const struct lexer *lx)
{
	return lx->lit_len > SHOWN ? SHOWN : (int)lx->lit_len;
}

/* Digits from lx->p on, in base 10 or 16, into *v; false past 64 bits. */
static bool
read_digits(struct lexer *lx, int base, uint64_t *v)
{
	bool ok = true;
	int d;

	*v = 0;
	while (lx->p < lx->end && (d = hex_value(*lx->p)) >= 0 && d < base) {
		if (*v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			ok = false;
		else
			*v = *v * (uint64_t)base + (uint64_t)d;
		lx->p++;
	}
	return ok;
}

/* An integer or a float at lx->p (a sign or a digit). */
static enum token
lex_number(struct lexer *lx)
{
	bool neg = *lx->p == '-';
	bool hex = false;
	uint64_t v, max;
	bool ok;

	lx->lit = lx->p;
	if (*lx->p == '-' || *lx->p == '+')
		lx->p++;
	if (lx->p == lx->lit && at(lx, 0, '0') &&
	    (at(lx, 1, 'x') || at(lx, 1, 'X')) && lx->end - lx->p > 2 &&
	    hex_value(lx->p[2]) >= 0) {
		hex = true;
		lx->p += 2;
	}
	ok = read_digits(lx, hex ? 16 : 10, &v);
	if (!hex && skip_float_rest(lx))
		return TOK_OTHER;
	lx->lit_len = (size_t)(lx->p - lx->lit);
	max = neg ? (uint64_t)INT32_MAX + 1 : INT32_MAX;
	lx->fits32 = ok && v <= max;
	max = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
	if (!ok || v > max) {
		snprintf(lx->f->err, lx->f->errlen, "%s:%d: integer literal "
			 "%.*s%s does not fit in 64 bits", lx->f->file,
			 lx->line, shown_len(lx), lx->lit,
			 lx->lit_len > SHOWN ? "..." : "");
		return TOK_BAD;
	}
	lx->suffixed = at(lx, 0, 'L');
	if (lx->suffixed)
		lx->p += at(lx, 1, 'L') ? 2 : 1;
	return TOK_INT;
}

static enum token
next_token(struct lexer *lx)
{
	if (lx->p >= lx->end)
		return TOK_END;
	char c = *lx->p;
	if (c == '"') {
		skip_string(lx);
	} else if (c == '#' || (c == '/' && at(lx, 1, '/'))) {
		skip_line_comment(lx);
	} else if (c == '/' && at(lx, 1, '*')) {
		skip_block_comment(lx);
	} else if (is_name_start(c)) {
		while (lx->p < lx->end && is_name_char(*lx->p))
			lx->p++;
	} else if (is_digit(c) ||
		   ((c == '-' || c == '+') && lx->p + 1 < lx->end &&
		    is_digit(lx->p[1]))) {
		return lex_number(lx);
	} else {
		lx->p++;
		if (c == '\n')
			lx->line++;
		return c == '[' ? TOK_OPEN : c == ']' ? TOK_CLOSE : TOK_OTHER;
	}
	return TOK_OTHER;
}

static bool
needs_suffix(const struct lexer *lx)
{
	return !lx->suffixed && !lx->fits32;
}

/* Whether the array just opened holds an integer that needs its L. Looks
 * ahead no further than the next bracket, so each byte is looked at at
 * most twice whatever the brackets (arrays do not nest). */
static bool
array_is_wide(const struct lexer *lx)
{
	struct lexer ahead = *lx;
	enum token t;

	while ((t = next_token(&ahead)) == TOK_INT || t == TOK_OTHER)
		if (t == TOK_INT && needs_suffix(&ahead))
			return true;
	return false;	/* a TOK_BAD is reported when the copy reaches it */
}

/* Append n bytes to out (NULL: count only); returns n. */
static size_t
put(char *out, size_t at_len, const char *bytes, size_t n)
{
	if (out != NULL)
		memcpy(out + at_len, bytes, n);
	return n;
}

/* The widened copy of text[0..len) into out (NULL: only its length).
 * Returns the length, or -1 with f->err set. */
static long long
widen(const struct tg_cfgfile *f, const char *text, size_t len, char *out)
{
	struct lexer lx = { .f = f, .p = text, .end = text + len, .line = 1 };
	const char *copied = text;	/* input before this is in out */
	bool wide_array = false;
	size_t n = 0;
	enum token t;

	while ((t = next_token(&lx)) != TOK_END) {
		if (t == TOK_BAD)
			return -1;
		if (t == TOK_OPEN)
			wide_array = array_is_wide(&lx);
		else if (t == TOK_CLOSE)
			wide_array = false;
		else if (t == TOK_INT && !lx.suffixed &&
			 (wide_array || !lx.fits32)) {
			const char *after = lx.lit + lx.lit_len;

			n += put(out, n, copied, (size_t)(after - copied));
			n += put(out, n, "L", 1);
			copied = after;
		}
	}
	n += put(out, n, copied, (size_t)(lx.end - copied));
	return (long long)n;
}

/* libconfig reads a string up to its first NUL: the rest of a file would
 * be ignored without a word. */
static int
check_no_nul(const struct tg_cfgfile *f, const char *text, size_t len)
{
	const char *nul = memchr(text, '\0', len);
	int line = 1;

	if (nul == NULL)
		return 0;
	for (const char *p = text; p < nul; p++)
		line += *p == '\n';
	snprintf(f->err, f->errlen, "%s:%d: syntax: a NUL byte", f->file,
		 line);
	return -1;
}

/* A malloc'd, NUL-terminated copy of text[0..len) with libconfig's L
 * suffix added to each integer literal that does not fit in 32 bits (and
 * to the other integers of its array), so libconfig reads its true value.
 * NULL with "file:line: ..." in f->err for a literal beyond 64 bits or a
 * NUL byte, or "file: cannot read: ..." when the copy would be longer
 * than `max` bytes. */
static char *
widen_copy(const struct tg_cfgfile *f, const char *text, size_t len,
		 size_t max)
{
	long long n;
	char *out;

	if (check_no_nul(f, text, len) != 0 ||
	    (n = widen(f, text, len, NULL)) < 0)
		return NULL;
	/* libconfig is never handed more than the limit: an L per literal
	 * could otherwise grow a file at the limit by half. */
	if ((unsigned long long)n > max) {
		snprintf(f->err, f->errlen, "%s: cannot read: %lld bytes with "
			 "the L of its wide integers, more than the limit of "
			 "%zu", f->file, n, max);
		return NULL;
	}
	out = malloc((size_t)n + 1);
	if (out == NULL) {
		snprintf(f->err, f->errlen, "%s: cannot read: out of memory",
			 f->file);
		return NULL;
	}
	widen(f, text, len, out);
	out[n] = '\0';
	return out;
}

/* ------------------------------------------------------------------------
 * Reading
 */

static size_t
max_bytes(const struct tg_cfgfile *f)
{
	return f->max_bytes ? f->max_bytes : TG_CFGFILE_MAX_BYTES;
}

/* Parse text[0..len) once its wide integers have their L
 * (above): both ways in, a file and a string, go through
 * here. */
static int
parse_text(const struct tg_cfgfile *f, config_t *lc, const char *text,
	   size_t len)
{
	char *wide = widen_copy(f, text, len, max_bytes(f));

	if (wide == NULL)
		return -1;
	int ok = config_read_string(lc, wide);
	free(wide);
	if (ok == CONFIG_TRUE)
		return 0;
	snprintf(f->err, f->errlen, "%s:%d: syntax: %s", f->file,
		 config_error_line(lc), config_error_text(lc));
	return -1;
}

int
tg_cfgfile_read(const struct tg_cfgfile *f, config_t *lc, const char *text)
{
	if (f->errlen > 0)
		f->err[0] = '\0';
	return parse_text(f, lc, text, strlen(text));
}

/* Only a regular file of bounded size is parsed: libconfig holds all of
 * it in memory (several times its size), and would read a device or pipe
 * without end; flex's own error on a directory would end the process.
 * Returns the file's size, or -1. */
static long long
check_file(const struct tg_cfgfile *f, FILE *in)
{
	size_t max = max_bytes(f);
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
	return (long long)st.st_size;
}

/* The whole of a checked file of `size` bytes, malloc'd; *len its length.
 * A file that grew since it was checked is refused, not read past its
 * limit. */
static char *
slurp(const struct tg_cfgfile *f, FILE *in, size_t size, size_t *len)
{
	char *text = malloc(size + 1);

	if (text == NULL) {
		snprintf(f->err, f->errlen, "%s: cannot read: out of memory",
			 f->file);
		return NULL;
	}
	*len = fread(text, 1, size + 1, in);
	if (ferror(in) || *len > size) {
		snprintf(f->err, f->errlen, "%s: cannot read: %s", f->file,
			 ferror(in) ? strerror(errno) : "it grew while read");
		free(text);
		return NULL;
	}
	return text;
}

int
tg_cfgfile_read_file(const struct tg_cfgfile *f, config_t *lc)
{
	FILE *in = fopen(f->file, "r");
	char *text = NULL;
	long long size;
	size_t len = 0;

	if (f->errlen > 0)
		f->err[0] = '\0';
	if (in == NULL) {
		snprintf(f->err, f->errlen, "%s: cannot read: %s", f->file,
			 strerror(errno));
		return -1;
	}
	size = check_file(f, in);
	if (size >= 0)
		text = slurp(f, in, (size_t)size, &len);
	fclose(in);
	if (text == NULL)
		return -1;
	int rc = parse_text(f, lc, text, len);
	free(text);
	return rc;
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
