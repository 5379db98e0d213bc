/* SPDX-License-Identifier: BSD-3-Clause
 * The pcap writer, read back with libpcap (an independent reader).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <pcap/pcap.h>

#include "tg_pcap.h"

static char dir[64];

static int
make_dir(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/tg_pcap_XXXXXX");
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static void
frame_of(unsigned i, uint8_t *buf, uint32_t len)
{
	for (uint32_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(i * 31 + k);
}

/* Read `path` back; check every record against frame_of and count them. */
static unsigned
read_back(const char *path, uint64_t ts0, uint64_t step_ns)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(
		path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	struct pcap_pkthdr *h;
	const u_char *data;
	uint8_t want[2000];
	unsigned n = 0;
	int rc;

	assert_non_null(p);
	assert_int_equal(pcap_datalink(p), DLT_EN10MB);
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		uint64_t ts = ts0 + n * step_ns;
		uint32_t len = 60 + n % 1400;

		assert_int_equal(h->ts.tv_sec, ts / 1000000000u);
		assert_int_equal(h->ts.tv_usec, ts % 1000000000u);
		assert_int_equal(h->caplen, len);
		assert_int_equal(h->len, len);
		frame_of(n, want, len);
		assert_memory_equal(data, want, len);
		n++;
	}
	assert_int_equal(rc, PCAP_ERROR_BREAK);	/* a clean end of file */
	pcap_close(p);
	return n;
}

static void
write_frames(struct tg_pcap_writer *w, unsigned count, uint64_t ts0,
	     uint64_t step_ns, unsigned *written)
{
	uint8_t buf[2000];

	for (unsigned i = 0; i < count; i++) {
		uint32_t len = 60 + i % 1400;

		frame_of(i, buf, len);
		if (tg_pcap_write(w, ts0 + i * step_ns, buf, len) != 0)
			return;
		(*written)++;
	}
}

static void
test_round_trip(void **state)
{
	char path[128], err[256];
	const uint64_t ts0 = 1767225600123456789ull, step = 1234567;
	unsigned written = 0;
	struct tg_pcap_writer *w;

	(void)state;
	snprintf(path, sizeof(path), "%s/a.pcap", dir);
	/* A small buffer forces many flushes in the middle of the stream. */
	w = tg_pcap_open(path, 70000, err, sizeof(err));
	assert_non_null(w);
	write_frames(w, 5000, ts0, step, &written);
	assert_int_equal(written, 5000);
	assert_int_equal(tg_pcap_close(w), 0);
	assert_int_equal(read_back(path, ts0, step), 5000);
}

static void
test_unwritable_path(void **state)
{
	char err[256];

	(void)state;
	assert_null(tg_pcap_open("/nonexistent/dir/x.pcap", 0, err,
				 sizeof(err)));
	assert_non_null(strstr(err, "/nonexistent/dir/x.pcap"));
}

/* Files may grow to `bytes` from now on (write(2) fails with EFBIG past
 * it, SIGXFSZ ignored); *old keeps the limit to restore. */
static void
limit_file_size(struct rlimit *old, rlim_t bytes)
{
	struct rlimit lim;

	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, old);
	lim = *old;
	lim.rlim_cur = bytes;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

/* A file size limit (like a full disk) stops the writer with an error, and
 * what is on disk is still a valid capture of whole records. */
static void
test_size_limit_leaves_valid_file(void **state)
{
	char path[128], err[256];
	struct rlimit old;
	unsigned written = 0, on_disk;
	struct tg_pcap_writer *w;
	struct stat st;
	uint64_t bytes;
	int rc;

	(void)state;
	snprintf(path, sizeof(path), "%s/limited.pcap", dir);
	limit_file_size(&old, 300000);

	w = tg_pcap_open(path, 100000, err, sizeof(err));
	assert_non_null(w);
	write_frames(w, 5000, 0, 1000, &written);
	assert_true(written < 5000);	/* the writer noticed */
	assert_int_equal(errno, EFBIG);
	on_disk = (unsigned)tg_pcap_frames(w);
	/* The whole records of a flush cut short stay: the file ends less
	 * than one record (16 + at most 1459 bytes) before the limit. */
	bytes = tg_pcap_file_bytes(w);
	assert_true(bytes > 300000 - 16 - 1459 && bytes <= 300000);
	rc = tg_pcap_close(w);
	setrlimit(RLIMIT_FSIZE, &old);
	assert_int_equal(rc, -1);
	assert_true(on_disk > 0);
	assert_int_equal(read_back(path, 0, 1000), on_disk);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, bytes);
}

/* With its own I/O thread and a few small buffers (so the caller waits
 * for free ones), the file is the same, and the figures are right after a
 * flush. */
static void
test_async_round_trip(void **state)
{
	char path[128], err[256];
	const uint64_t ts0 = 1767225600123456789ull, step = 1234567;
	unsigned written = 0;
	struct tg_pcap_writer *w;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/async.pcap", dir);
	w = tg_pcap_open_async(path, 70000, 3, err, sizeof(err));
	assert_non_null(w);
	write_frames(w, 20000, ts0, step, &written);
	assert_int_equal(written, 20000);
	assert_int_equal(tg_pcap_flush(w), 0);
	assert_int_equal(tg_pcap_frames(w), 20000);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, tg_pcap_file_bytes(w));
	assert_int_equal(tg_pcap_close(w), 0);
	assert_int_equal(read_back(path, ts0, step), 20000);
	assert_null(tg_pcap_open_async("/nonexistent/x.pcap", 0, 4, err,
				       sizeof(err)));
}

/* A file size limit met by the I/O thread (writing buffers of `size`
 * one by one, or with many buffers several at once, cut short inside
 * one of them): the caller sees the error at a later write or at the
 * flush, and the file keeps whole records. */
static void
check_async_size_limit(const char *name, size_t size, unsigned buffers)
{
	char path[128], err[256];
	struct rlimit old;
	unsigned written = 0, on_disk;
	struct tg_pcap_writer *w;
	struct stat st;
	int rc;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	limit_file_size(&old, 300000);
	w = tg_pcap_open_async(path, size, buffers, err, sizeof(err));
	assert_non_null(w);
	write_frames(w, 5000, 0, 1000, &written);
	assert_true(written < 5000);
	assert_int_equal(tg_pcap_flush(w), -1);
	assert_int_equal(errno, EFBIG);
	on_disk = (unsigned)tg_pcap_frames(w);
	assert_true(on_disk > 0 && on_disk < written);
	assert_true(tg_pcap_file_bytes(w) <= 300000);
	rc = tg_pcap_close(w);
	setrlimit(RLIMIT_FSIZE, &old);
	assert_int_equal(rc, -1);
	assert_int_equal(read_back(path, 0, 1000), on_disk);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > 300000 - 16 - 1459);
}

static void
test_async_size_limit(void **state)
{
	(void)state;
	check_async_size_limit("async-limited.pcap", 100000, 4);
	check_async_size_limit("gathered-limited.pcap", 70000, 32);
}

/* Whether files in the test directory can be opened with O_DIRECT. */
static bool
direct_io_works(void)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/probe", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_DIRECT, 0644);
	if (fd < 0)
		return false;
	close(fd);
	unlink(path);
	return true;
}

/* The I/O thread writes page multiples past the page cache where the file
 * system allows (records cut between buffers and carried over), a flush
 * in the middle writes the rest through the cache and the writer goes on
 * that way: the file is the same. Every third frame comes in two
 * pieces. */
static void
test_async_direct(void **state)
{
	char path[128], err[256];
	const uint64_t ts0 = 1767225600123456789ull, step = 1234567;
	bool direct = direct_io_works();
	struct tg_pcap_writer *w;
	uint8_t buf[2000];
	uint64_t before;
	struct stat st;

	(void)state;
	if (!direct)
		print_message("%s has no O_DIRECT: the page cache path only\n",
			      dir);
	snprintf(path, sizeof(path), "%s/direct.pcap", dir);
	w = tg_pcap_open_async(path, 70000, 3, err, sizeof(err));
	assert_non_null(w);
	for (unsigned i = 0; i < 20000; i++) {
		uint32_t len = 60 + i % 1400;

		uint32_t head = i % 3 ? len : i % len;	/* some in two */

		frame_of(i, buf, len);
		assert_int_equal(tg_pcap_write_split(w, ts0 + i * step, buf,
						     head, buf + head,
						     len - head), 0);
		if (i != 15000)
			continue;
		assert_int_equal(tg_pcap_flush(w), 0);
		assert_int_equal(tg_pcap_frames(w), 15001);
		before = tg_pcap_direct_bytes(w);
		assert_true(direct ? before > 0 : before == 0);
		assert_int_equal(before % 4096, 0);
		assert_true(before <= tg_pcap_file_bytes(w));
	}
	assert_int_equal(tg_pcap_flush(w), 0);
	assert_int_equal(tg_pcap_frames(w), 20000);
	assert_int_equal(tg_pcap_direct_bytes(w), before);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, tg_pcap_file_bytes(w));
	assert_int_equal(tg_pcap_close(w), 0);
	assert_int_equal(read_back(path, ts0, step), 20000);
}

/* Many small buffers filled faster than the disk takes them: the I/O
 * thread writes queued ones together (writev), and the file is the
 * same, every record whole across the buffers' seams. */
static void
test_async_gathered(void **state)
{
	char path[128], err[256];
	const uint64_t ts0 = 1767225600123456789ull, step = 1234567;
	const unsigned frames = 60000, buffers = 16;
	const size_t size = 70000;	/* about the writer's least */
	unsigned written = 0;
	struct tg_pcap_writer *w;
	uint64_t calls, filled;
	struct stat st;

	(void)state;
	snprintf(path, sizeof(path), "%s/gathered.pcap", dir);
	w = tg_pcap_open_async(path, size, buffers, err, sizeof(err));
	assert_non_null(w);
	write_frames(w, frames, ts0, step, &written);
	assert_int_equal(written, frames);
	assert_int_equal(tg_pcap_flush(w), 0);
	assert_int_equal(tg_pcap_frames(w), frames);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, tg_pcap_file_bytes(w));
	calls = tg_pcap_write_calls(w);
	filled = tg_pcap_file_bytes(w) / size;
	assert_true(calls > 0);
	/* Whether the disk fell behind depends on the disk. */
	print_message("%" PRIu64 " write calls for ~%" PRIu64
		      " buffers%s\n", calls, filled,
		      calls < filled ? " (gathered)" : "");
	assert_int_equal(tg_pcap_close(w), 0);
	assert_int_equal(read_back(path, ts0, step), frames);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_unwritable_path),
		cmocka_unit_test(test_size_limit_leaves_valid_file),
		cmocka_unit_test(test_async_round_trip),
		cmocka_unit_test(test_async_size_limit),
		cmocka_unit_test(test_async_direct),
		cmocka_unit_test(test_async_gathered),
	};

	return cmocka_run_group_tests(tests, make_dir, NULL);
}
