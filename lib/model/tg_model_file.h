/* SPDX-License-Identifier: BSD-3-Clause
 * Inside lib/model: what the model-file reader (tg_model_read.c), the
 * checker (tg_model_check.c) and the writer (tg_model_write.c) share.
 * Not for the engine.
 *
 * Reading is in two passes so there is one set of rules: the reader turns
 * libconfig settings into the model structures, refusing only what cannot
 * be stored (wrong types, unknown or missing keys, arrays of mismatched or
 * absurd lengths); then the checker judges the values, for a file and for a
 * model built in memory alike, and builds the derived tables.
 */
#ifndef TG_MODEL_FILE_H
#define TG_MODEL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_cfgfile.h"
#include "tg_model.h"

#define TG_MODEL_FORMAT "tempogen-model"

/* Name <-> value tables shared by reader and writer. */
extern const char *const tg_model_kind_names[];	/* NULL-terminated */
/* "tcp", "udp", "icmp" and TG_PROTO_TCP, _UDP, _ICMP */
extern const char *const tg_model_proto_names[];
extern const uint8_t tg_model_proto_numbers[];
extern const char *const tg_model_payload_names[];	/* NULL-terminated */
extern const char *const tg_model_side_names[2];	/* by enum tg_dir */

/* Index of `proto` in tg_model_proto_numbers, or -1. */
int tg_model_proto_index(uint8_t proto);

/* "^" for the start marker, else "c:ACK:1200" (dir, class, lower bound
 * of the payload bucket). Parsing returns 0, or -1 when `text` is no
 * symbol; *start tells the start marker apart. */
int tg_sym_parse(const char *text, struct tg_sym *sym, bool *start);

/* Control characters (a string of the file quoted with its line breaks)
 * become spaces, so that a message is always one line. */
void tg_model_one_line(char *err);

/* Check `m` and build its derived tables. With `f` and `root` (the
 * loader), errors name the file and the line of the setting that the
 * offending path leads to; without, they name the model. */
int tg_model_check_at(struct tg_model *m, const struct tg_cfgfile *f,
		      const config_setting_t *root, char *err, size_t errlen);

/* ------------------------------------------------------------------------
 * The checker's walk (tg_model_check.c; automata in tg_model_check_auto.c)
 */

#define TG_CHK_PATH_LEN 256

/* Where the checker is: a path into the model, which the file layout
 * mirrors ("services.http.automaton.states[3].p[1]"). */
struct tg_chk {
	const struct tg_model *m;
	const struct tg_cfgfile *f;	/* NULL: a model in memory */
	const config_setting_t *root;
	char *err;
	size_t errlen;
	size_t len;
	char path[TG_CHK_PATH_LEN];
};

/* Append "key" or "[3]" to the path; returns the length that
 * tg_chk_pop() goes back to. Failures leave the path where it failed. */
size_t tg_chk_push(struct tg_chk *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void tg_chk_pop(struct tg_chk *c, size_t mark);
/* The message for the current path; returns -1. */
int tg_chk_fail(struct tg_chk *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Member `key` of the current path: a probability, an integer in
 * lo..hi. */
int tg_chk_prob(struct tg_chk *c, const char *key, double v);
int tg_chk_integer(struct tg_chk *c, const char *key, double v, double lo,
		   double hi);
/* `what` at the current path sum to 1. */
int tg_chk_sums(struct tg_chk *c, double sum, const char *what);
/* A mixture, a histogram with values in lo..hi (`what` names them for
 * messages); empty is only an error when `required`. Rebuilds the
 * histogram's alias table. */
int tg_chk_lnmix(struct tg_chk *c, const char *key, const struct tg_lnmix *x,
		 bool required);
int tg_chk_hist(struct tg_chk *c, const char *key, struct tg_hist *h,
		bool required, uint32_t lo, uint32_t hi, const char *what);
/* A service's automaton (its symbols suit `proto`); builds the states'
 * alias tables and the context lookup. */
int tg_chk_automaton(struct tg_chk *c, struct tg_automaton *a,
		     uint8_t proto);

/* ------------------------------------------------------------------------
 * The reading pass (tg_model_read.c; fitted models in
 * tg_model_read_fit.c). Each returns 0, or -1 with the message in f->err.
 * Optional members that are absent leave *out as it was.
 */

/* Member `key` of group `g` of libconfig type `type` (tg_cfgfile_member),
 * or NULL when absent and not required. */
int tg_rd_member(const struct tg_cfgfile *f, const config_setting_t *g,
		 const char *key, bool required, int type,
		 const config_setting_t **out);
/* Any number, stored as it is (even inf: the checker refuses it). */
int tg_rd_double(const struct tg_cfgfile *f, const config_setting_t *g,
		 const char *key, bool required, double *out);
int tg_rd_u64(const struct tg_cfgfile *f, const config_setting_t *g,
	      const char *key, bool required, uint64_t *out);
int tg_rd_u32(const struct tg_cfgfile *f, const config_setting_t *g,
	      const char *key, bool required, uint32_t max, uint32_t *out);
/* An array (`type` CONFIG_TYPE_ARRAY) or list (CONFIG_TYPE_LIST) of at
 * most `max` entries, refused before anything is allocated for it. */
int tg_rd_seq(const struct tg_cfgfile *f, const config_setting_t *g,
	      const char *key, bool required, int type, uint32_t max,
	      const config_setting_t **out, uint32_t *n);
/* An array of exactly `n` entries, as its sibling `other` has. */
int tg_rd_array_of(const struct tg_cfgfile *f, const config_setting_t *g,
		   const char *key, bool required, uint32_t n,
		   const char *other, const config_setting_t **out);
/* The entries of an array: numbers; integers in 0..max. */
int tg_rd_doubles(const struct tg_cfgfile *f, const config_setting_t *arr,
		  const char *key, double *out);
int tg_rd_integer_at(const struct tg_cfgfile *f, const config_setting_t *arr,
		     uint32_t i, const char *key, uint32_t max, uint32_t *out);
int tg_rd_integers(const struct tg_cfgfile *f, const config_setting_t *arr,
		   const char *key, uint32_t max, uint32_t *out);
int tg_rd_oom(const struct tg_cfgfile *f, const config_setting_t *at,
	      const char *key);
/* Entry i of a list, which must be a group. */
int tg_rd_group_at(const struct tg_cfgfile *f, const config_setting_t *list,
		   uint32_t i, const char *key, const config_setting_t **out);
/* A string into a field of `size` bytes; longer is refused. */
int tg_rd_text(const struct tg_cfgfile *f, const config_setting_t *g,
	       const char *key, char *out, size_t size);
/* { w = [..]; mu = [..]; sigma = [..]; } as setting `s`, or as member
 * `key` of `g`. */
int tg_rd_lnmix_group(const struct tg_cfgfile *f, const config_setting_t *s,
		      struct tg_lnmix *x);
int tg_rd_lnmix(const struct tg_cfgfile *f, const config_setting_t *g,
		const char *key, bool required, struct tg_lnmix *x);
/* { lo = [..]; hi = [..]; p = [..]; }, the same two ways; a histogram
 * member is always optional (the checker says when it is required). */
int tg_rd_hist_group(const struct tg_cfgfile *f, const config_setting_t *s,
		     struct tg_hist *h);
int tg_rd_hist(const struct tg_cfgfile *f, const config_setting_t *g,
	       const char *key, struct tg_hist *h);
/* The tables of a fitted model, below the root group. */
int tg_rd_fitted(const struct tg_cfgfile *f, const config_setting_t *root,
		 struct tg_model *m);

/* Fill `m` (zeroed first) from the parsed file; the values are checked
 * afterwards by tg_model_check_at. 0, or -1 with the error in f->err;
 * what was allocated stays in `m` for tg_model_free. */
int tg_model_read(const struct tg_cfgfile *f, const config_t *cfg,
		  struct tg_model *m);

#endif /* TG_MODEL_FILE_H */
