/* SPDX-License-Identifier: BSD-3-Clause
 * Reading captures with libpcap: which files, in which order, and the
 * per-reason accounting of what could not be used.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>

#include "tg_trace.h"

struct tg_trace {
	char **files;		/* sorted, owned */
	uint32_t n_files;
	uint32_t cap_files;
	uint32_t current;	/* index of the open file */
	pcap_t *pcap;
	int linktype;
	FILE *log;
	struct tg_trace_stats stats;
};

static int
add_file(struct tg_trace *t, const char *path)
{
	if (t->n_files == t->cap_files) {
		uint32_t cap = t->cap_files ? 2 * t->cap_files : 64;
		char **files = realloc(t->files, cap * sizeof(*files));

		if (files == NULL)
			return -1;
		t->files = files;
		t->cap_files = cap;
	}
	t->files[t->n_files] = strdup(path);
	return t->files[t->n_files++] ? 0 : -1;
}

static int
compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files below `dir`, recursively; sorted later as a whole. */
static int
add_folder(struct tg_trace *t, const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (d == NULL || depth > 32)
		return d ? (closedir(d), 0) : -1;
	while (rc == 0 && (e = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;	/* ., .. and hidden files */
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     e->d_name) >= sizeof(path) ||
		    stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			rc = add_folder(t, path, depth + 1) < 0 ? -1 : 0;
		else if (S_ISREG(st.st_mode))
			rc = add_file(t, path);
	}
	closedir(d);
	return rc;
}

struct tg_trace *
tg_trace_open(const char *const *paths, unsigned n_paths, FILE *log,
	      char *err, size_t errlen)
{
	struct tg_trace *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->log = log;
	for (unsigned i = 0; i < n_paths; i++) {
		struct stat st;
		uint32_t before = t->n_files;

		if (stat(paths[i], &st) != 0) {
			snprintf(err, errlen, "%s: %s", paths[i],
				 strerror(errno));
			goto fail;
		}
		if ((S_ISDIR(st.st_mode) ? add_folder(t, paths[i], 0)
					 : add_file(t, paths[i])) != 0) {
			snprintf(err, errlen, "%s: cannot list: %s", paths[i],
				 strerror(errno));
			goto fail;
		}
		qsort(t->files + before, t->n_files - before,
		      sizeof(*t->files), compare_names);
	}
	if (t->n_files == 0) {
		snprintf(err, errlen, "no capture files in the given paths");
		goto fail;
	}
	return t;
fail:
	tg_trace_close(t);
	return NULL;
}

/* Open the next file that libpcap accepts; false when none is left. */
static bool
open_next_file(struct tg_trace *t)
{
	char perr[PCAP_ERRBUF_SIZE];

	while (t->current < t->n_files) {
		const char *name = t->files[t->current];

		t->pcap = pcap_open_offline_with_tstamp_precision(
			name, PCAP_TSTAMP_PRECISION_NANO, perr);
		if (t->pcap != NULL) {
			t->linktype = pcap_datalink(t->pcap);
			t->stats.files++;
			return true;
		}
		t->stats.files_failed++;
		if (t->log)
			fprintf(t->log, "%s: skipped: %s\n", name, perr);
		t->current++;
	}
	return false;
}

static void
close_file(struct tg_trace *t)
{
	pcap_close(t->pcap);
	t->pcap = NULL;
	t->current++;
}

int
tg_trace_next(struct tg_trace *t, struct tg_trace_pkt *pkt)
{
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		int rc;

		if (t->pcap == NULL && !open_next_file(t))
			return 0;
		rc = pcap_next_ex(t->pcap, &h, &data);
		if (rc == 0)
			continue;	/* offline reads never time out */
		if (rc < 0) {
			if (rc == PCAP_ERROR) {
				t->stats.read_errors++;
				if (t->log)
					fprintf(t->log, "%s: after %s\n",
						t->files[t->current],
						pcap_geterr(t->pcap));
			}
			close_file(t);
			continue;
		}
		t->stats.frames++;
		pkt->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ull +
			     (uint64_t)h->ts.tv_usec;	/* ns precision */
		pkt->file = t->current;
		enum tg_skip why = tg_trace_decode(t->linktype, data,
						   h->caplen, h->len, pkt);
		t->stats.skipped[why]++;
		if (why == TG_SKIP_NONE) {
			t->stats.decoded++;
			return 1;
		}
	}
}

const char *
tg_trace_file_name(const struct tg_trace *t, uint32_t index)
{
	return index < t->n_files ? t->files[index] : "?";
}

uint32_t
tg_trace_file_count(const struct tg_trace *t)
{
	return t->n_files;
}

const struct tg_trace_stats *
tg_trace_stats(const struct tg_trace *t)
{
	return &t->stats;
}

void
tg_trace_print_stats(const struct tg_trace *t, FILE *stream)
{
	const struct tg_trace_stats *s = &t->stats;

	fprintf(stream, "files: %llu read, %llu could not be opened, %llu "
		"ended in a torn record\n", (unsigned long long)s->files,
		(unsigned long long)s->files_failed,
		(unsigned long long)s->read_errors);
	fprintf(stream, "frames: %llu, decoded %llu\n",
		(unsigned long long)s->frames, (unsigned long long)s->decoded);
	for (int r = 1; r < TG_SKIP_COUNT; r++)
		if (s->skipped[r])
			fprintf(stream, "skipped, %s: %llu\n",
				tg_skip_name((enum tg_skip)r),
				(unsigned long long)s->skipped[r]);
}

void
tg_trace_close(struct tg_trace *t)
{
	if (t == NULL)
		return;
	if (t->pcap)
		pcap_close(t->pcap);
	for (uint32_t i = 0; i < t->n_files; i++)
		free(t->files[i]);
	free(t->files);
	free(t);
}
