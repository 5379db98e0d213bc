/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <string.h>

#include "eal_args.h"

bool
tg_device_is_vdev(const char *device)
{
	return strncmp(device, "net_", 4) == 0;
}

void
tg_device_name(const char *device, char *name, size_t len)
{
	size_t n = strcspn(device, ",");

	if (n >= len)
		n = len - 1;
	memcpy(name, device, n);
	name[n] = '\0';
}

/* Did the user give any of these options (as "-x", "-xVALUE", "--opt" or
 * "--opt=VALUE")? */
static bool
user_gave(int argc, char **argv, const char *const *opts)
{
	for (int i = 0; i < argc; i++) {
		for (const char *const *o = opts; *o; o++) {
			size_t n = strlen(*o);

			if (strncmp(argv[i], *o, n) != 0)
				continue;
			if (argv[i][n] == '\0' || argv[i][n] == '=' ||
			    (*o)[1] != '-')
				return true;
		}
	}
	return false;
}

static int
push(struct tg_eal_argv *out, const char *arg, char *err, size_t errlen)
{
	if (out->argc >= TG_EAL_MAX_ARGV) {
		snprintf(err, errlen, "too many EAL arguments (more than %d)",
			 TG_EAL_MAX_ARGV);
		return -1;
	}
	snprintf(out->storage[out->argc], TG_DEVICE_LEN, "%s", arg);
	out->argv[out->argc] = out->storage[out->argc];
	out->argc++;
	out->argv[out->argc] = NULL;
	return 0;
}

/* "-l 0,1,2 --main-lcore 0" from the control, worker and capture
 * lcores. */
static int
push_lcores(struct tg_eal_argv *out, const struct tg_config *cfg, char *err,
	    size_t errlen)
{
	char list[TG_DEVICE_LEN];
	char main_lcore[16];
	int n = snprintf(list, sizeof(list), "%u", cfg->control_lcore);

	for (unsigned i = 0; i < cfg->n_workers && n < (int)sizeof(list); i++)
		n += snprintf(list + n, sizeof(list) - (size_t)n, ",%u",
			      cfg->workers[i]);
	if (cfg->capture_lcore >= 0 && n < (int)sizeof(list))
		snprintf(list + n, sizeof(list) - (size_t)n, ",%d",
			 cfg->capture_lcore);
	snprintf(main_lcore, sizeof(main_lcore), "%u", cfg->control_lcore);
	if (push(out, "-l", err, errlen) || push(out, list, err, errlen) ||
	    push(out, "--main-lcore", err, errlen) ||
	    push(out, main_lcore, err, errlen))
		return -1;
	return 0;
}

static int
push_memory(struct tg_eal_argv *out, const struct tg_eal_cfg *eal,
	    char *err, size_t errlen)
{
	char mb[16];

	if (eal->no_huge && push(out, "--no-huge", err, errlen))
		return -1;
	/* Without hugepages DPDK 22.11 runs in legacy memory mode, which it
	 * refuses to combine with --in-memory; --no-shconf is the part of
	 * --in-memory that matters then (no files in /var/run/dpdk). */
	if (eal->in_memory &&
	    push(out, eal->no_huge ? "--no-shconf" : "--in-memory", err,
		 errlen))
		return -1;
	if (eal->memory_mb) {
		snprintf(mb, sizeof(mb), "%u", eal->memory_mb);
		if (push(out, "-m", err, errlen) || push(out, mb, err, errlen))
			return -1;
	}
	return 0;
}

static int
push_devices(struct tg_eal_argv *out, const struct tg_config *cfg,
	     bool user_pci, char *err, size_t errlen)
{
	if (cfg->eal.no_pci && !user_pci && push(out, "--no-pci", err, errlen))
		return -1;
	for (unsigned i = 0; i < cfg->n_ports; i++) {
		const struct tg_port_cfg *p = &cfg->ports[i];
		bool vdev = tg_device_is_vdev(p->device);

		if (p->is_pcap || (!vdev && user_pci))
			continue;
		if (push(out, vdev ? "--vdev" : "-a", err, errlen) ||
		    push(out, p->device, err, errlen))
			return -1;
	}
	return 0;
}

int
tg_eal_argv_build(struct tg_eal_argv *out, const char *prog, int user_argc,
		  char **user_argv, const struct tg_config *cfg, char *err,
		  size_t errlen)
{
	static const char *const lcore_opts[] = { "-l", "-c", "--lcores",
						  "--main-lcore", NULL };
	static const char *const mem_opts[] = { "--no-huge", "-m",
						"--socket-mem", "--in-memory",
						NULL };
	static const char *const pci_opts[] = { "-a", "-b", "--allow",
						"--block", "--no-pci", NULL };

	char *eal_args[TG_MAX_EAL_ARGS];

	for (unsigned i = 0; i < cfg->eal.n_args; i++)
		eal_args[i] = (char *)cfg->eal.args[i];
	out->argc = 0;
	if (push(out, prog, err, errlen))
		return -1;
	for (int i = 0; i < user_argc; i++)
		if (push(out, user_argv[i], err, errlen))
			return -1;
	/* An lcore map in eal.args ("--lcores", "0@0,1@1,2@0": more lcores
	 * than cores) replaces the generated list too. */
	if (!user_gave(user_argc, user_argv, lcore_opts) &&
	    !user_gave((int)cfg->eal.n_args, eal_args, lcore_opts) &&
	    push_lcores(out, cfg, err, errlen))
		return -1;
	if (!user_gave(user_argc, user_argv, mem_opts) &&
	    push_memory(out, &cfg->eal, err, errlen))
		return -1;
	if (push_devices(out, cfg, user_gave(user_argc, user_argv, pci_opts),
			 err, errlen))
		return -1;
	for (unsigned i = 0; i < cfg->eal.n_args; i++)
		if (push(out, cfg->eal.args[i], err, errlen))
			return -1;
	return 0;
}
