/* SPDX-License-Identifier: BSD-3-Clause
 * tempogen-eval: how close synthetic traffic is to real traffic, and how
 * valid both are. No DPDK: it reads pcap/pcapng with lib/trace and
 * compares with lib/eval (metrics in docs/eval.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tg_eval.h"

#define EXIT_USAGE 2	/* bad command line or unreadable input */
#define EXIT_RUNTIME 1	/* out of memory, output not written */

struct eval_opts {
	bool json;
	bool strict;
	const char *plot_dir;
	const char *const *real;
	unsigned n_real;
	const char *const *synth;
	unsigned n_synth;
};

static void
usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [options] REAL... -- SYNTH...\n"
		"\n"
		"Compares synthetic traffic with the real traffic it was "
		"learned from: a table\nof distances per feature (0: the "
		"same), and the share of packets and\nconnections passing "
		"each compliance check, on both sides (docs/eval.md).\n"
		"REAL and SYNTH are pcap/pcapng files or folders (read "
		"recursively).\n"
		"\n"
		"options:\n"
		"      --json        print the table as JSON\n"
		"      --plot DIR    write SVG plots and index.html into DIR\n"
		"      --strict      a capture that cannot be opened or ends "
		"torn is an error\n"
		"  -h, --help        print this help and exit\n",
		prog);
}

/* Split the operands at "--" (getopt already consumed the first "--"
 * when it came before any operand, so it is looked for here too). */
static int
split_operands(const char *prog, int argc, char **argv, struct eval_opts *o)
{
	int sep = -1;

	for (int i = optind; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			sep = i;
			break;
		}
	if (sep < 0 && optind > 1 && strcmp(argv[optind - 1], "--") == 0)
		sep = optind - 1;
	if (sep < 0) {
		fprintf(stderr, "%s: REAL... -- SYNTH... expected: no '--' "
			"(see --help)\n", prog);
		return -1;
	}
	o->real = (const char *const *)&argv[optind];
	o->n_real = sep >= optind ? (unsigned)(sep - optind) : 0;
	o->synth = (const char *const *)&argv[sep + 1];
	o->n_synth = (unsigned)(argc - sep - 1);
	if (o->n_real == 0 || o->n_synth == 0) {
		fprintf(stderr, "%s: no %s capture given (see --help)\n", prog,
			o->n_real == 0 ? "real" : "synthetic");
		return -1;
	}
	return 0;
}

/* 0, 1 for --help, or -1 after printing what is wrong. */
static int
parse_args(int argc, char **argv, struct eval_opts *o)
{
	enum { OPT_JSON = 256, OPT_PLOT, OPT_STRICT };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	opterr = 0;	/* one line of our own, not getopt's and ours */
	/* "+": stop at the first operand, so "--" stays in place. */
	while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: o->json = true; break;
		case OPT_PLOT: o->plot_dir = optarg; break;
		case OPT_STRICT: o->strict = true; break;
		case 'h': return 1;
		default:
			fprintf(stderr, "%s: bad option '%s' (see --help)\n",
				argv[0], argv[optind - 1]);
			return -1;
		}
	}
	return split_operands(argv[0], argc, argv, o);
}

static int
read_side(const char *prog, const char *const *paths, unsigned n,
	  bool strict, struct tg_eval_sample **out)
{
	char err[1024];
	int rc = tg_eval_read(paths, n, strict, out, err, sizeof(err));

	if (rc != 0)
		fprintf(stderr, "%s: %s\n", prog, err);
	return rc;
}

int
main(int argc, char **argv)
{
	struct tg_eval_sample *real = NULL, *synth = NULL;
	struct tg_eval_table *table = NULL;
	struct eval_opts o;
	char err[1024];
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
	rc = read_side(argv[0], o.real, o.n_real, o.strict, &real);
	if (rc == 0)
		rc = read_side(argv[0], o.synth, o.n_synth, o.strict, &synth);
	if (rc == 0 && ((table = malloc(sizeof(*table))) == NULL ||
			tg_eval_compare(real, synth, table) != 0)) {
		fprintf(stderr, "%s: out of memory\n", argv[0]);
		rc = EXIT_RUNTIME;
	}
	if (rc == 0 && o.plot_dir &&
	    tg_eval_plot(real, synth, table, o.plot_dir, err,
			 sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", argv[0], err);
		rc = EXIT_RUNTIME;
	}
	if (rc == 0) {
		if (o.json)
			tg_eval_print_json(table, stdout);
		else
			tg_eval_print(table, stdout);
		if (fflush(stdout) != 0 || ferror(stdout)) {
			fprintf(stderr, "%s: standard output: %s\n", argv[0],
				strerror(errno));
			rc = EXIT_RUNTIME;
		}
	}
	free(table);
	tg_eval_sample_free(real);
	tg_eval_sample_free(synth);
	return rc;
}
