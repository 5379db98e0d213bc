/* SPDX-License-Identifier: BSD-3-Clause
 * libFuzzer target for the packet checks of tempogen-eval (lib/eval): the
 * per-packet compliance path (checksums, lengths, addresses, TCP flags,
 * the stateful seq/ack/state/handshake checks over a table of
 * connections) and the sample it fills. An input is a capture file, read
 * by tg_eval_read as tempogen-eval reads one, or a sequence of frames
 * (fuzz_frames.h) given to tg_eval_add_pkt one by one. Every tally must
 * pass no more than it checked. Build and run with scripts/fuzz:
 *   scripts/fuzz eval 60         # 60 s, ASan + UBSan
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_frames.h"
#include "tg_eval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
add(const struct tg_trace_pkt *pkt, void *arg)
{
	if (tg_eval_add_pkt(arg, pkt) != 0)
		abort();	/* out of memory on a fuzz input: a leak */
	return 0;
}

static void
check_sample(const struct tg_eval_sample *s, uint64_t kept)
{
	const struct tg_eval_tally *t = tg_eval_tallies(s);
	const struct tg_eval_totals *tot = tg_eval_totals(s);

	for (unsigned c = 0; c < TG_CHECKS; c++)
		if (t[c].passed > t[c].checked)
			abort();
	if (kept != UINT64_MAX && tot->packets != kept)
		abort();
	/* the per-packet checks see each kept packet */
	if (t[TG_CHECK_ADDR].checked < tot->packets)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tg_eval_sample *s;
	struct tg_trace_stats st;
	char path[64], err[512];

	if (size > 65536 * 4)
		return 0;
	if (fuzz_is_capture(data, size)) {
		const char *paths[1] = { path };
		int fd = fuzz_capture_fd(data, size, path, sizeof(path));

		if (fd < 0)
			return 0;
		int rc = tg_eval_read(paths, 1, false, &s, err, sizeof(err));

		close(fd);
		if (rc == 1)
			abort();	/* out of memory */
		if (rc != 0)
			return 0;
		check_sample(s, UINT64_MAX);
		tg_eval_sample_free(s);
		return 0;
	}
	s = tg_eval_sample_create();
	if (s == NULL)
		abort();
	fuzz_frames(data, size, &st, add, s);
	tg_eval_add_dropped(s, &st);
	if (tg_eval_sample_finish(s) != 0)
		abort();
	check_sample(s, st.packets_kept);
	tg_eval_sample_free(s);
	return 0;
}
