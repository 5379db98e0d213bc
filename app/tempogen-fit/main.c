/* SPDX-License-Identifier: BSD-3-Clause
 * tempogen-fit: learns a model from real captures and writes it as a model
 * file. No DPDK: it reads pcap/pcapng with lib/trace, assembles flows, and
 * fits them with lib/fit (methods in docs/model.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tg_clock.h"
#include "tg_fit.h"
#include "tg_flows.h"
#include "tg_model.h"
#include "tg_trace.h"

#define EXIT_USAGE 2	/* bad command line or input */
#define EXIT_RUNTIME 1	/* out of memory, output not written */
#define PROGRESS_EVERY_NS 500000000ull
#define SOURCE_LEN 256

struct fit_opts {
	const char *check;	/* --check: validate this model file only */
	const char *output;
	const char *name;
	unsigned components;
	unsigned order;
	bool strict;
	bool quiet;
	const char *const *paths;
	unsigned n_paths;
};

/* What the read loop has done so far, for the progress line. */
struct progress {
	bool show;
	uint64_t start_ns;
	uint64_t last_ns;
	uint32_t file;		/* the file being read */
	uint64_t bytes_done;	/* sizes of the files already read */
};

static void
usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [options] PATH... -o FILE\n"
		"       %s --check MODEL\n"
		"\n"
		"Learns a tempogen model from pcap/pcapng captures (files or "
		"folders, read\nrecursively) and writes it as a model file "
		"(docs/model-format.md).\n"
		"\n"
		"options:\n"
		"  -o, --output FILE     model file to write ('-': standard "
		"output)\n"
		"  -n, --name NAME       the model's name [the output's base "
		"name]\n"
		"  -k, --components K    most log-normal components per "
		"mixture, 1-%d [4]\n"
		"      --order K         longest packet context of the "
		"automaton, 1-%d [2]\n"
		"      --strict          a capture that cannot be opened or "
		"ends torn is an error\n"
		"  -q, --quiet           no progress line\n"
		"      --check MODEL     only load and validate MODEL; say "
		"whether saving it\n"
		"                        again would give the same bytes\n"
		"  -h, --help            print this help and exit\n"
		"\n"
		"Prints what it read, skipped (by reason) and learned. "
		"SOURCE_DATE_EPOCH, when\nset, fixes the date recorded in the "
		"model.\n",
		prog, prog, TG_LNMIX_MAX, TG_AUTO_MAX_ORDER);
}

static int
parse_count(const char *prog, const char *opt, const char *arg,
	    unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || end == arg || v < lo || v > hi) {
		fprintf(stderr, "%s: %s: '%s' is not a whole number from %u "
			"to %u\n", prog, opt, arg, lo, hi);
		return -1;
	}
	*out = (unsigned)v;
	return 0;
}

/* 0, 1 for --help, or -1 after printing what is wrong. */
static int
parse_args(int argc, char **argv, struct fit_opts *o)
{
	enum { OPT_ORDER = 256, OPT_STRICT, OPT_CHECK };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "name", required_argument, NULL, 'n' },
		{ "components", required_argument, NULL, 'k' },
		{ "order", required_argument, NULL, OPT_ORDER },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "check", required_argument, NULL, OPT_CHECK },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = argv[0];
	int c;

	memset(o, 0, sizeof(*o));
	o->components = 4;
	o->order = 2;
	while ((c = getopt_long(argc, argv, "o:n:k:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o->output = optarg; break;
		case 'n': o->name = optarg; break;
		case 'k':
			if (parse_count(prog, "--components", optarg, 1,
					TG_LNMIX_MAX, &o->components))
				return -1;
			break;
		case OPT_ORDER:
			if (parse_count(prog, "--order", optarg, 1,
					TG_AUTO_MAX_ORDER, &o->order))
				return -1;
			break;
		case OPT_STRICT: o->strict = true; break;
		case OPT_CHECK: o->check = optarg; break;
		case 'q': o->quiet = true; break;
		case 'h': return 1;
		default:
			fprintf(stderr, "%s: see --help\n", prog);
			return -1;
		}
	}
	if (o->check) {
		if (optind < argc || o->output) {
			fprintf(stderr, "%s: --check takes one model file and "
				"nothing else\n", prog);
			return -1;
		}
		return 0;
	}
	if (optind >= argc) {
		fprintf(stderr, "%s: no capture given (see --help)\n", prog);
		return -1;
	}
	if (o->output == NULL) {
		fprintf(stderr, "%s: no output given: -o FILE (see --help)\n",
			prog);
		return -1;
	}
	o->paths = (const char *const *)&argv[optind];
	o->n_paths = (unsigned)(argc - optind);
	return 0;
}

static uint64_t
file_size(const struct tg_trace *t, uint32_t index)
{
	const struct tg_trace_file *f = tg_trace_file(t, index);
	struct stat st;

	return f && stat(f->path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

static void
progress_print(struct progress *pr, const struct tg_trace *t, bool last)
{
	const struct tg_trace_stats *st = tg_trace_stats(t);
	double secs =
		(double)(tg_clock_ns(CLOCK_MONOTONIC) - pr->start_ns) / 1e9;
	double mb = (double)pr->bytes_done / 1e6;

	fprintf(stderr, "\rfiles %u/%u  packets %llu  %.1f MB  %.1f MB/s ",
		last ? tg_trace_file_count(t) : pr->file,
		tg_trace_file_count(t), (unsigned long long)st->packets_read,
		mb, secs > 0 ? mb / secs : 0.0);
	if (last)
		fputc('\n', stderr);
}

/* A new file began: the previous ones are done. */
static void
progress_file(struct progress *pr, const struct tg_trace *t, uint32_t file)
{
	while (pr->file < file)
		pr->bytes_done += file_size(t, pr->file++);
	if (pr->show &&
	    tg_clock_ns(CLOCK_MONOTONIC) - pr->last_ns >= PROGRESS_EVERY_NS) {
		pr->last_ns = tg_clock_ns(CLOCK_MONOTONIC);
		progress_print(pr, t, false);
	}
}

/* Read every packet into flows, and every finished flow into the fitter.
 * Returns 0, or -1 after printing why. */
static int
read_captures(const char *prog, struct tg_trace *t, struct tg_flows *flows,
	      struct progress *pr)
{
	struct tg_trace_pkt pkt;
	int rc;

	while ((rc = tg_trace_next(t, &pkt)) != 0) {
		if (rc < 0) {
			/* Only in strict mode: the reader already named the
			 * file and the reason. */
			fprintf(stderr, "%s: %s\n", prog, tg_trace_error(t));
			return -1;
		}
		if (pkt.file != pr->file)
			progress_file(pr, t, pkt.file);
		if (tg_flows_add(flows, &pkt) != 0) {
			fprintf(stderr, "%s: out of memory assembling flows\n",
				prog);
			return -1;
		}
	}
	tg_flows_flush(flows);
	progress_file(pr, t, tg_trace_file_count(t));
	if (pr->show)
		progress_print(pr, t, true);
	return 0;
}

/* Files libpcap could not open, or that end in a cut record: read what
 * could be read, and say so. */
static void
report_bad_files(const char *prog, const struct tg_trace *t)
{
	for (uint32_t i = 0; i < tg_trace_file_count(t); i++) {
		const struct tg_trace_file *f = tg_trace_file(t, i);

		if (f->error)
			fprintf(stderr, "%s: warning: %s: %s\n", prog, f->path,
				f->error);
	}
}

static void
provenance_date(char *out, size_t len)
{
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	time_t when = epoch ? (time_t)strtoll(epoch, NULL, 10) : time(NULL);
	struct tm tm;

	gmtime_r(&when, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
join_paths(const struct fit_opts *o, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < o->n_paths && used + 1 < len; i++) {
		int n = snprintf(out + used, len - used, "%s%s", i ? " " : "",
				 o->paths[i]);

		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* The model's name: --name, else the output's base name without its
 * extension. */
static void
model_name(const struct fit_opts *o, char *out, size_t len)
{
	const char *base = strrchr(o->output, '/');
	char *dot;

	if (o->name) {
		snprintf(out, len, "%s", o->name);
		return;
	}
	base = base ? base + 1 : o->output;
	snprintf(out, len, "%s", strcmp(base, "-") ? base : "fitted");
	dot = strrchr(out, '.');
	if (dot && dot != out)
		*dot = '\0';
}

/* Write to FILE.tmp and rename, so a failed run never leaves half a
 * model where a good one was. */
static int
write_model(const char *prog, const char *path, const struct tg_model *m)
{
	char tmp[4096];
	FILE *out;

	if (strcmp(path, "-") == 0) {
		if (tg_model_save(m, stdout) != 0 || fflush(stdout) != 0) {
			fprintf(stderr, "%s: standard output: %s\n", prog,
				strerror(errno));
			return -1;
		}
		return 0;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	out = fopen(tmp, "w");
	if (out == NULL) {
		fprintf(stderr, "%s: %s: %s\n", prog, tmp, strerror(errno));
		return -1;
	}
	if (tg_model_save(m, out) != 0 || fflush(out) != 0 ||
	    fsync(fileno(out)) != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, tmp, strerror(errno));
		fclose(out);
		unlink(tmp);
		return -1;
	}
	if (fclose(out) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static void
print_summary(FILE *out, const struct tg_trace *t, const struct tg_flows *fl,
	      const struct tg_fit_stats *fs, const struct tg_model *m,
	      double secs, uint64_t bytes)
{
	const struct tg_flows_stats *st = tg_flows_stats(fl);

	fprintf(out, "read %u files, %.1f MB in %.2f s (%.1f MB/s)\n",
		tg_trace_file_count(t), (double)bytes / 1e6, secs,
		secs > 0 ? (double)bytes / 1e6 / secs : 0.0);
	fprintf(out, "packets by reason:\n");
	tg_trace_stats_print(tg_trace_stats(t), out);
	fprintf(out, "flows: %llu assembled", (unsigned long long)st->flows);
	for (int e = 0; e < TG_END_KINDS; e++)
		fprintf(out, ", %llu %s", (unsigned long long)st->by_end[e],
			tg_flow_end_name((enum tg_flow_end)e));
	fprintf(out, "\nflows used: %llu (%llu packets); not used: %llu "
		"other protocols; %llu TCP without handshake (not in the "
		"automaton); %llu in rare services folded into other-*\n",
		(unsigned long long)fs->flows_used,
		(unsigned long long)fs->packets_used,
		(unsigned long long)fs->skipped_other_proto,
		(unsigned long long)fs->skipped_midflow,
		(unsigned long long)fs->folded_rare);
	tg_fit_summary(m, out);
}

static int
fit(const char *prog, const struct fit_opts *o)
{
	/* No reader log: a failure is one line from here, and files passed
	 * over are listed once, after the read (report_bad_files). */
	struct tg_trace_conf tconf = { .flags = o->strict ? TG_TRACE_STRICT : 0 };
	char err[512], name[TG_MODEL_NAME_LEN], source[SOURCE_LEN];
	struct progress pr = { .show = !o->quiet && isatty(STDERR_FILENO) };
	struct tg_fit_conf fconf = { .k_max = o->components,
				     .order = o->order };
	struct tg_flows_conf flconf = { .on_flow = tg_fit_add_flow };
	struct tg_trace *t = NULL;
	struct tg_flows *flows = NULL;
	struct tg_fitter *fitter = NULL;
	struct tg_fit_stats fstats;
	struct tg_model model;
	int status = EXIT_RUNTIME;

	memset(&model, 0, sizeof(model));
	model_name(o, name, sizeof(name));
	join_paths(o, source, sizeof(source));
	fconf.name = name;
	fconf.source = source;
	if (tg_trace_open(o->paths, o->n_paths, &tconf, &t, err,
			  sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return EXIT_USAGE;
	}
	fitter = tg_fit_create(&fconf);
	flconf.arg = fitter;
	flows = fitter ? tg_flows_create(&flconf) : NULL;
	if (flows == NULL) {
		fprintf(stderr, "%s: out of memory\n", prog);
		goto out;
	}
	pr.start_ns = pr.last_ns = tg_clock_ns(CLOCK_MONOTONIC);
	if (read_captures(prog, t, flows, &pr) != 0) {
		status = o->strict ? EXIT_USAGE : EXIT_RUNTIME;
		goto out;
	}
	report_bad_files(prog, t);
	if (tg_fit_finish(fitter, &model, &fstats, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		status = EXIT_USAGE;
		goto out;
	}
	model.fit.prov.files = tg_trace_file_count(t);
	model.fit.prov.packets = tg_trace_stats(t)->packets_read;
	model.fit.prov.flows = tg_flows_stats(flows)->flows;
	provenance_date(model.fit.prov.date, sizeof(model.fit.prov.date));
	if (write_model(prog, o->output, &model) != 0)
		goto out;
	print_summary(strcmp(o->output, "-") ? stdout : stderr, t, flows,
		      &fstats, &model,
		      (double)(tg_clock_ns(CLOCK_MONOTONIC) - pr.start_ns) / 1e9,
		      pr.bytes_done);
	status = 0;
out:
	tg_model_free(&model);
	tg_flows_free(flows);
	tg_fit_free(fitter);
	tg_trace_close(t);
	return status;
}

/* The whole of a file, or NULL. */
static char *
slurp(const char *path, size_t *len)
{
	FILE *in = fopen(path, "rb");
	char *buf = NULL;
	long size;

	if (in && fseek(in, 0, SEEK_END) == 0 && (size = ftell(in)) >= 0 &&
	    fseek(in, 0, SEEK_SET) == 0 && (buf = malloc((size_t)size + 1)) &&
	    fread(buf, 1, (size_t)size, in) == (size_t)size) {
		*len = (size_t)size;
	} else {
		free(buf);
		buf = NULL;
	}
	if (in)
		fclose(in);
	return buf;
}

/* --check: load and validate; then say whether the file is exactly what
 * saving the loaded model writes (true of every file tempogen-fit wrote
 * and nobody edited since). */
static int
check_model(const char *prog, const char *path)
{
	struct tg_model model;
	char err[512], *file, *saved = NULL;
	size_t file_len = 0, saved_len = 0;
	FILE *mem;
	bool same;

	if (tg_model_load(path, &model, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", prog, err);
		tg_model_free(&model);
		return EXIT_USAGE;
	}
	file = slurp(path, &file_len);
	mem = open_memstream(&saved, &saved_len);
	if (file == NULL || mem == NULL || tg_model_save(&model, mem) != 0 ||
	    fclose(mem) != 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		free(file);
		free(saved);
		tg_model_free(&model);
		return EXIT_RUNTIME;
	}
	same = file_len == saved_len && memcmp(file, saved, file_len) == 0;
	printf("%s: valid %s model \"%s\", %u services; %s\n", path,
	       model.kind == TG_MODEL_FITTED ? "fitted" : "parametric",
	       model.name, model.n_services,
	       same ? "saving it gives the same bytes"
		    : "saving it would change its layout (edited by hand?)");
	free(file);
	free(saved);
	tg_model_free(&model);
	return 0;
}

int
main(int argc, char **argv)
{
	struct fit_opts o;
	int rc;

	/* A file size limit (ulimit -f) must give an error message, not
	 * kill us: with SIGXFSZ ignored, writes fail with EFBIG. */
	signal(SIGXFSZ, SIG_IGN);
	rc = parse_args(argc, argv, &o);
	if (rc > 0) {
		usage(stdout, argv[0]);
		return 0;
	}
	if (rc < 0)
		return EXIT_USAGE;	/* the one line was printed */
	if (o.check)
		return check_model(argv[0], o.check);
	return fit(argv[0], &o);
}
