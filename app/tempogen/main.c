/* SPDX-License-Identifier: BSD-3-Clause
 * tempogen: the appliance. Start-up reads the config and models, starts
 * EAL, the ports and the workers; the main lcore then becomes the control
 * lcore until the run ends; shut-down flushes every output.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>

#include "control.h"
#include "eal_args.h"
#include "telemetry.h"
#include "tg_model.h"
#include "tg_synth.h"

#define EXIT_USAGE 2	/* bad command line, config or model */
#define EXIT_RUNTIME 1	/* EAL, device or output failure */

/* Set by the signal handler, read by the control loop: the one piece of
 * state a handler may touch. */
static volatile sig_atomic_t signalled;

static void
on_signal(int sig)
{
	signalled = sig;
}

static void
usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [EAL options --] -c FILE [options]\n"
		"\n"
		"Generates realistic traffic from models onto DPDK ports or "
		"into pcap files.\n"
		"EAL options (lcores, devices, memory) come from the config; "
		"any given before\n"
		"'--' replace the config's options of the same kind.\n"
		"\n"
		"options:\n"
		"  -c, --config FILE    run configuration (libconfig), "
		"see docs/config.md\n"
		"  -s, --seed N         override run.seed\n"
		"  -d, --duration SEC   override run.duration\n"
		"  -n, --packets N      override run.packets (per port)\n"
		"  -h, --help           print this help and exit\n"
		"\n"
		"Stops at the duration or packet count, or on SIGINT/SIGTERM; "
		"outputs are\nalways flushed and a summary printed.\n",
		prog);
}

struct app_opts {
	const char *config;
	const char *seed;
	const char *duration;
	const char *packets;
};

static int
parse_app_opts(int argc, char **argv, const char *prog,
	       struct app_opts *opts)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "duration", required_argument, NULL, 'd' },
		{ "packets", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(opts, 0, sizeof(*opts));
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:s:d:n:h", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c': opts->config = optarg; break;
		case 's': opts->seed = optarg; break;
		case 'd': opts->duration = optarg; break;
		case 'n': opts->packets = optarg; break;
		case 'h': usage(stdout, prog); exit(0);
		default: usage(stderr, prog); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog,
			argv[optind]);
		return -1;
	}
	if (opts->config == NULL) {
		fprintf(stderr, "%s: no config given (-c FILE)\n", prog);
		usage(stderr, prog);
		return -1;
	}
	return 0;
}

/* Apply command-line overrides; they obey the config's ranges. */
static int
apply_overrides(const struct app_opts *opts, struct tg_config *cfg,
		const char *prog)
{
	char *end;

	if (opts->seed) {
		errno = 0;
		cfg->seed = strtoull(opts->seed, &end, 0);
		if (errno || *end || opts->seed[0] == '-')
			goto bad_seed;
	}
	if (opts->duration) {
		cfg->duration = strtod(opts->duration, &end);
		if (*end || !(cfg->duration >= 0 && cfg->duration <= 1e7)) {
			fprintf(stderr, "%s: --duration: '%s' is not a number "
				"of seconds from 0 to 1e7\n", prog,
				opts->duration);
			return -1;
		}
	}
	if (opts->packets) {
		errno = 0;
		cfg->packets = strtoull(opts->packets, &end, 0);
		if (errno || *end || opts->packets[0] == '-') {
			fprintf(stderr, "%s: --packets: '%s' is not a count\n",
				prog, opts->packets);
			return -1;
		}
	}
	return 0;
bad_seed:
	fprintf(stderr, "%s: --seed: '%s' is not a non-negative integer\n",
		prog, opts->seed);
	return -1;
}

/* Each port's model: its own file, or the built-in one. */
static int
load_models(const struct tg_config *cfg, struct tg_model *models)
{
	char err[TG_ERR_LEN];

	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const char *path = cfg->ports[i].model_path;
		int rc = path[0] == '\0'
			 ? tg_model_load_builtin(&models[i], err, sizeof(err))
			 : tg_model_load(path, &models[i], err, sizeof(err));

		if (rc != 0) {
			fprintf(stderr, "tempogen: %s\n", err);
			return -1;
		}
	}
	return 0;
}

static int
make_output_dir(const struct tg_config *cfg)
{
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		if (!cfg->ports[i].is_pcap &&
		    cfg->ports[i].labels_path[0] == '\0' &&
		    cfg->ports[i].capture_path[0] == '\0')
			continue;
		if (mkdir(cfg->output_dir, 0755) != 0 && errno != EEXIST) {
			fprintf(stderr, "tempogen: %s: run.output_dir: %s: %s\n",
				cfg->path, cfg->output_dir, strerror(errno));
			return -1;
		}
		break;
	}
	return 0;
}

/* Every worker lcore must exist and must not be the control lcore. */
static int
check_lcores(const struct tg_config *cfg)
{
	if (rte_get_main_lcore() != cfg->control_lcore) {
		fprintf(stderr, "tempogen: control lcore is %u but EAL's main "
			"lcore is %u\n", cfg->control_lcore,
			rte_get_main_lcore());
		return -1;
	}
	for (unsigned i = 0; i < cfg->n_workers; i++) {
		unsigned l = cfg->workers[i];

		if (!rte_lcore_is_enabled(l) || l == rte_get_main_lcore()) {
			fprintf(stderr, "tempogen: worker lcore %u is not "
				"available to EAL (check -l/--lcores)\n", l);
			return -1;
		}
	}
	return 0;
}

static int
start_workers(struct tg_run *run, const struct tg_model *const *models)
{
	const struct tg_config *cfg = run->cfg;
	char err[TG_ERR_LEN];

	for (unsigned i = 0; i < cfg->n_workers; i++) {
		if (tg_worker_init(&run->workers[i], cfg->workers[i],
				   run->ports, cfg, models, &run->stop, err,
				   sizeof(err)) != 0) {
			fprintf(stderr, "tempogen: %s\n", err);
			return -1;
		}
	}
	if (run->capture != NULL &&
	    tg_capture_attach(run->capture, run->workers, cfg->n_workers, err,
			      sizeof(err)) != 0) {
		fprintf(stderr, "tempogen: %s\n", err);
		return -1;
	}
	for (unsigned i = 0; i < cfg->n_workers; i++) {
		int rc = rte_eal_remote_launch(tg_worker_main,
					       &run->workers[i],
					       cfg->workers[i]);

		if (rc != 0) {
			fprintf(stderr, "tempogen: cannot start lcore %u: %s\n",
				cfg->workers[i], rte_strerror(-rc));
			return -1;
		}
	}
	if (run->capture != NULL &&
	    tg_capture_launch(run->capture, err, sizeof(err)) != 0) {
		fprintf(stderr, "tempogen: %s\n", err);
		return -1;
	}
	return 0;
}

static void
set_signal_handler(int sig, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void
install_signal_handlers(void)
{
	set_signal_handler(SIGINT, on_signal);
	set_signal_handler(SIGTERM, on_signal);
}

/* Split argv at "--": EAL options before it, ours after. Without "--"
 * every argument is ours. */
static int
split_args(int argc, char **argv, int *eal_argc)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			*eal_argc = i - 1;
			return i;
		}
	*eal_argc = 0;
	return 0;
}

static int
run_appliance(struct tg_config *cfg, const struct tg_model *const *models,
	      struct tg_eal_argv *eal)
{
	/* Large, and read by telemetry callbacks: static storage. */
	static struct tg_run run;
	static struct tg_worker workers[TG_MAX_WORKERS];
	char err[TG_ERR_LEN];
	int rc = EXIT_RUNTIME;
	double seconds;

	if (rte_eal_init(eal->argc, eal->argv) < 0) {
		fprintf(stderr, "tempogen: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return EXIT_RUNTIME;
	}
	memset(workers, 0, sizeof(workers));
	run.cfg = cfg;
	run.workers = workers;
	atomic_init(&run.stop, false);
	if (check_lcores(cfg) != 0)
		goto out;
	if (tg_ports_start(run.ports, cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "tempogen: %s\n", err);
		goto stop_ports;
	}
	if (tg_capture_create(cfg, &run.capture, err, sizeof(err)) != 0) {
		fprintf(stderr, "tempogen: %s\n", err);
		goto free_workers;
	}
	if (start_workers(&run, models) != 0) {
		atomic_store(&run.stop, true);
		rte_eal_mp_wait_lcore();
		goto free_workers;
	}
	/* Now that the workers' ports and taps are set up for good: the
	 * callbacks read those, and the counters, from another thread. */
	if (tg_telemetry_start(&run) != 0)
		fprintf(stderr, "tempogen: telemetry commands not registered "
			"(statistics still print)\n");
	seconds = tg_control_loop(&run, &signalled);
	if (signalled)
		printf("stopped by signal %d\n", (int)signalled);
	rc = tg_control_summary(&run, seconds) == 0 && run.hung == 0
	     ? 0 : EXIT_RUNTIME;
	if (run.hung > 0) {
		/* A worker is stuck (in a write that never returns): its
		 * memory is still in use and EAL cannot wait for its lcore.
		 * The others closed their outputs; exit without clean-up. */
		fflush(NULL);
		return rc;
	}
free_workers:
	tg_telemetry_end();
	tg_capture_free(run.capture);	/* before the pools of its mbufs */
	/* Ports before workers: closing a port gives the mbufs its TX rings
	 * still hold back to the workers' pools (and a reel's frames). */
	tg_ports_stop(run.ports, cfg->n_ports);
	for (unsigned i = 0; i < cfg->n_workers; i++)
		tg_worker_free(&workers[i]);
	goto out;
stop_ports:
	tg_ports_stop(run.ports, cfg->n_ports);
out:
	rte_eal_cleanup();
	return rc;
}

/* Memory the system can still give, from /proc/meminfo; 0 if unknown. */
static uint64_t
memory_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	unsigned long long kib = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "MemAvailable: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return (uint64_t)kib * 1024;
}

/* The flow tables of every worker of every port (`max_flows` each) must
 * fit in the memory the system has: calloc of untouched pages succeeds
 * whatever the size, and the run would be killed once the flows fill
 * them. Checked once, before anything starts. */
static int
check_flow_memory(const struct tg_config *cfg,
		  const struct tg_model *const *models)
{
	uint64_t need = 0, have = memory_available();

	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct tg_port_cfg *pc = &cfg->ports[i];
		struct tg_synth_params p = {
			.model = models[i], .port = pc,
			.max_flows = pc->max_flows,
			.labels = pc->labels_path[0] != '\0',
		};

		need += tg_synth_flow_memory(&p) * pc->n_workers;
	}
	if (have == 0 || need <= have)
		return 0;
	fprintf(stderr, "tempogen: the flow tables (max_flows of each port, "
		"per worker) need %.1f MiB, the system has %.1f MiB "
		"available: lower max_flows (docs/config.md)\n",
		(double)need / (1 << 20), (double)have / (1 << 20));
	return -1;
}

/* A file size limit (ulimit -f) must not kill the run: with SIGXFSZ
 * ignored, write() fails with EFBIG instead, and the pcap writer cuts the
 * file back to its last whole record and the run ends with one error line,
 * as on a full disk. */
static void
ignore_file_size_signal(void)
{
	set_signal_handler(SIGXFSZ, SIG_IGN);
}

int
main(int argc, char **argv)
{
	static struct tg_config cfg;
	static struct tg_model models[TG_MAX_PORTS];
	static struct tg_eal_argv eal;
	const struct tg_model *model_of_port[TG_MAX_PORTS];
	const char *prog = "tempogen";
	struct app_opts opts;
	char err[TG_ERR_LEN];
	int eal_argc, sep = split_args(argc, argv, &eal_argc);

	ignore_file_size_signal();
	/* From the start: a signal during start-up ends the run as soon as
	 * it starts, with whole outputs and a summary, rather than killing
	 * the process half-way. */
	install_signal_handlers();
	if (parse_app_opts(argc - sep, argv + sep, prog, &opts) != 0)
		return EXIT_USAGE;
	if (tg_config_load(opts.config, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "tempogen: %s\n", err);
		return EXIT_USAGE;
	}
	if (apply_overrides(&opts, &cfg, prog) != 0 ||
	    load_models(&cfg, models) != 0)
		return EXIT_USAGE;
	for (unsigned i = 0; i < cfg.n_ports; i++)
		model_of_port[i] = &models[i];
	if (check_flow_memory(&cfg, model_of_port) != 0)
		return EXIT_USAGE;
	if (tg_eal_argv_build(&eal, prog, eal_argc, argv + 1, &cfg, err,
			      sizeof(err)) != 0) {
		fprintf(stderr, "tempogen: %s\n", err);
		return EXIT_USAGE;
	}
	if (make_output_dir(&cfg) != 0)
		return EXIT_RUNTIME;
	return run_appliance(&cfg, model_of_port, &eal);
}
