/* SPDX-License-Identifier: BSD-3-Clause
 * eal_args: the EAL command line of a run. The config says which lcores,
 * devices and memory mode to use; EAL options the user typed before `--`
 * come first and replace the config's options of the same kind.
 */
#ifndef TG_EAL_ARGS_H
#define TG_EAL_ARGS_H

#include "tg_config.h"

#define TG_EAL_MAX_ARGV 128

struct tg_eal_argv {
	int argc;
	char *argv[TG_EAL_MAX_ARGV + 1];
	char storage[TG_EAL_MAX_ARGV][TG_DEVICE_LEN];
};

/* Build the EAL argv from the program name, the user's EAL options and
 * the config. Returns 0, or -1 with a message in err if it is too long. */
int tg_eal_argv_build(struct tg_eal_argv *out, const char *prog,
		      int user_argc, char **user_argv,
		      const struct tg_config *cfg, char *err, size_t errlen);

/* True if the device string names a virtual device ("net_..."). */
bool tg_device_is_vdev(const char *device);

/* The ethdev name of a device: a vdev string up to its first comma, or
 * the PCI address as written. */
void tg_device_name(const char *device, char *name, size_t len);

#endif /* TG_EAL_ARGS_H */
