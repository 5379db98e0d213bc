/* SPDX-License-Identifier: BSD-3-Clause
 * Reading captures with libpcap: which files, in which order, and the
 * per-reason accounting of what could not be used. Decoding is in
 * tg_decode.c.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "tg_trace.h"

/* Deeper folder trees are taken for a symbolic link loop. */
#define MAX_FOLDER_DEPTH 32

struct tg_trace {
	struct tg_trace_file *files;	/* strings owned */
	uint32_t n_files;
	uint32_t cap_files;
	uint32_t current;		/* the file being read */
	pcap_t *pcap;			/* open on files[current], or NULL */
	unsigned flags;
	FILE *log;
	struct tg_trace_stats stats;
	char error[512];
};

/* --- Finding the files --------------------------------------------------- */

static int
add_file(struct tg_trace *t, const char *path)
{
	if (t->n_files == t->cap_files) {
		uint32_t cap = t->cap_files ? 2 * t->cap_files : 64;
		struct tg_trace_file *f = realloc(t->files, cap * sizeof(*f));

		if (f == NULL)
			return -1;
		t->files = f;
		t->cap_files = cap;
	}
	char *copy = strdup(path);

	if (copy == NULL)
		return -1;
	t->files[t->n_files++] = (struct tg_trace_file){ .path = copy,
							 .linktype = -1 };
	return 0;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The visible names in a folder, sorted bytewise (not by locale, so the
 * order is the same everywhere). */
static char **
sorted_names(DIR *d, size_t *n_out)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;

	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;	/* ., .. and hidden files */
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			char **more = realloc(names, cap * sizeof(*names));

			if (more == NULL)
				goto fail;
			names = more;
		}
		if ((names[n] = strdup(e->d_name)) == NULL)
			goto fail;
		n++;
	}
	if (n > 0)
		qsort(names, n, sizeof(*names), compare_names);
	*n_out = n;
	return names ? names : calloc(1, sizeof(*names));
fail:
	while (n > 0)
		free(names[--n]);
	free(names);
	return NULL;
}

static int add_path(struct tg_trace *t, const char *path, int depth,
		    char *err, size_t errlen);

static int
add_folder(struct tg_trace *t, const char *dir, int depth, char *err,
	   size_t errlen)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	char **names;
	int rc = 0;

	if (d == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	names = sorted_names(d, &n);
	closedir(d);
	if (names == NULL) {
		snprintf(err, errlen, "%s: out of memory", dir);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char *path = NULL;

		if (rc == 0 && asprintf(&path, "%s/%s", dir, names[i]) < 0) {
			path = NULL;
			snprintf(err, errlen, "%s: out of memory", dir);
			rc = -1;
		}
		if (rc == 0)
			rc = add_path(t, path, depth + 1, err, errlen);
		free(path);
		free(names[i]);
	}
	free(names);
	return rc;
}

/* A file, or a folder walked recursively; other kinds of entries inside a
 * folder (sockets, devices, dangling links) are passed over. */
static int
add_path(struct tg_trace *t, const char *path, int depth, char *err,
	 size_t errlen)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		if (depth > 0)
			return 0;	/* vanished or dangling: not ours */
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		if (depth >= MAX_FOLDER_DEPTH) {
			snprintf(err, errlen, "%s: folders nested too deep "
				 "(a link loop?)", path);
			return -1;
		}
		return add_folder(t, path, depth, err, errlen);
	}
	if (S_ISREG(st.st_mode)) {
		if (add_file(t, path) == 0)
			return 0;
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	if (depth > 0)
		return 0;
	snprintf(err, errlen, "%s: not a regular file or a folder", path);
	return -1;
}

/* --- Opening files ------------------------------------------------------- */

static pcap_t *
open_capture(const char *path, char *perr)
{
	return pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, perr);
}

/* Note a file that cannot be used (the caller counts it): its reason is
 * kept and reported on the log. */
static void
file_failed(struct tg_trace *t, struct tg_trace_file *f, const char *why)
{
	free((char *)f->error);
	f->error = strdup(why);	/* NULL if out of memory: still counted */
	if (t->log)
		fprintf(t->log, "%s: %s\n", f->path, why);
	if (t->error[0] == '\0')	/* the first problem is the one told */
		snprintf(t->error, sizeof(t->error), "%s: %s", f->path, why);
}

/* Check that libpcap opens every file, and learn its link type. */
static void
probe_files(struct tg_trace *t)
{
	char perr[PCAP_ERRBUF_SIZE];

	for (uint32_t i = 0; i < t->n_files; i++) {
		struct tg_trace_file *f = &t->files[i];
		pcap_t *p = open_capture(f->path, perr);

		if (p == NULL) {
			t->stats.files_failed++;
			file_failed(t, f, perr);
			continue;
		}
		f->linktype = pcap_datalink(p);
		t->stats.files_opened++;
		pcap_close(p);
	}
}

int
tg_trace_open(const char *const *paths, unsigned n_paths,
	      const struct tg_trace_conf *conf, struct tg_trace **out,
	      char *err, size_t errlen)
{
	struct tg_trace *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (conf) {
		t->flags = conf->flags;
		t->log = conf->log;
	}
	for (unsigned i = 0; i < n_paths; i++)
		if (add_path(t, paths[i], 0, err, errlen) != 0)
			goto fail;
	t->stats.files = t->n_files;
	if (t->n_files == 0) {
		snprintf(err, errlen, "no capture files in the given paths");
		goto fail;
	}
	probe_files(t);
	if (t->stats.files_failed && (t->flags & TG_TRACE_STRICT)) {
		snprintf(err, errlen, "%s (%u of %u files cannot be read)",
			 t->error, t->stats.files_failed, t->stats.files);
		goto fail;
	}
	if (t->stats.files_opened == 0) {
		snprintf(err, errlen, "none of the %u files can be read; "
			 "last: %s", t->stats.files, t->error);
		goto fail;
	}
	t->error[0] = '\0';
	*out = t;
	return 0;
fail:
	tg_trace_close(t);
	return -1;
}

/* --- Reading ------------------------------------------------------------- */

/* Open files[current] or the next readable one. 1: open; 0: no file
 * left; -1: strict failure. */
static int
open_current(struct tg_trace *t)
{
	char perr[PCAP_ERRBUF_SIZE];

	for (; t->current < t->n_files; t->current++) {
		struct tg_trace_file *f = &t->files[t->current];

		if (f->linktype < 0)
			continue;	/* failed when probed */
		t->pcap = open_capture(f->path, perr);
		if (t->pcap != NULL)
			return 1;
		/* it changed since it was probed */
		t->stats.files_failed++;
		t->stats.files_opened--;
		f->linktype = -1;
		file_failed(t, f, perr);
		if (t->flags & TG_TRACE_STRICT)
			return -1;
	}
	return 0;
}

static void
close_current(struct tg_trace *t)
{
	pcap_close(t->pcap);
	t->pcap = NULL;
	t->current++;
}

/* libpcap could not read a whole record: the file was cut short. */
static int
file_torn(struct tg_trace *t)
{
	struct tg_trace_file *f = &t->files[t->current];

	t->stats.files_torn++;
	file_failed(t, f, pcap_geterr(t->pcap));
	close_current(t);
	return (t->flags & TG_TRACE_STRICT) ? -1 : 0;
}

static bool
decode_record(struct tg_trace *t, const struct pcap_pkthdr *h,
	      const u_char *data, struct tg_trace_pkt *pkt)
{
	struct tg_trace_file *f = &t->files[t->current];
	enum tg_trace_reason why;

	why = tg_trace_decode(f->linktype, data, h->caplen, h->len, pkt);
	/* Nanosecond precision: tv_usec holds nanoseconds. */
	pkt->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull +
		     (uint64_t)h->ts.tv_usec;
	pkt->file = t->current;
	t->stats.packets_read++;
	t->stats.reasons[why]++;
	f->packets_read++;
	if (why != TG_TRACE_OK)
		return false;
	if (t->flags & TG_TRACE_CHECKSUMS)
		tg_trace_verify(data, pkt);
	t->stats.packets_kept++;
	f->packets_kept++;
	return true;
}

int
tg_trace_next(struct tg_trace *t, struct tg_trace_pkt *pkt)
{
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc;

		if (t->pcap == NULL) {
			rc = open_current(t);
			if (rc <= 0)
				return rc;
		}
		rc = pcap_next_ex(t->pcap, &h, &data);
		if (rc == 1) {
			if (decode_record(t, h, data, pkt))
				return 1;
		} else if (rc == PCAP_ERROR) {
			if (file_torn(t) < 0)
				return -1;
		} else {
			close_current(t);	/* PCAP_ERROR_BREAK: the end */
		}
	}
}

/* --- Results ------------------------------------------------------------- */

const char *
tg_trace_error(const struct tg_trace *t)
{
	return t->error;
}

const struct tg_trace_stats *
tg_trace_stats(const struct tg_trace *t)
{
	return &t->stats;
}

uint32_t
tg_trace_file_count(const struct tg_trace *t)
{
	return t->n_files;
}

const struct tg_trace_file *
tg_trace_file(const struct tg_trace *t, uint32_t index)
{
	return index < t->n_files ? &t->files[index] : NULL;
}

void
tg_trace_stats_print(const struct tg_trace_stats *s, FILE *out)
{
	fprintf(out, "packets read: %llu\n",
		(unsigned long long)s->packets_read);
	for (int r = 0; r < TG_TRACE_REASONS; r++)
		fprintf(out, "%s: %llu\n",
			tg_trace_reason_name((enum tg_trace_reason)r),
			(unsigned long long)s->reasons[r]);
	fprintf(out, "files: %u found, %u opened, %u failed, %u torn\n",
		s->files, s->files_opened, s->files_failed, s->files_torn);
}

void
tg_trace_close(struct tg_trace *t)
{
	if (t == NULL)
		return;
	if (t->pcap)
		pcap_close(t->pcap);
	for (uint32_t i = 0; i < t->n_files; i++) {
		free((char *)t->files[i].path);
		free((char *)t->files[i].error);
	}
	free(t->files);
	free(t);
}
