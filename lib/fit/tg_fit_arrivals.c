/* SPDX-License-Identifier: BSD-3-Clause
 * What lies between flows: the arrival process (gaps, the next service,
 * time of day), the hosts, and the DNS lookups that precede connections.
 * docs/model.md, "Arrivals", "Hosts", "Dependencies".
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tg_fit_int.h"

#define NS_PER_HOUR 3600000000000ull
#define ZIPF_MAX 5.0
#define TOD_BUCKET_HOURS 6
#define TOD_BUCKETS (24 / TOD_BUCKET_HOURS)
#define TOD_MIN_FLOWS 50	/* flows a time-of-day bucket needs */
#define DEFAULT_START_HOUR 12.0

static const struct tg_lnmix default_arrival = {
	.k = 1, .weight = { 1 }, .mu = { -2.302585092994046 },	/* 100 ms */
	.sigma = { 1.0 } };
static const struct tg_lnmix default_dns_delay = {
	.k = 1, .weight = { 1 }, .mu = { -3.506557897319982 },	/* 30 ms */
	.sigma = { 1.0 } };

static int
compare_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* --- Arrivals ------------------------------------------------------------ */

/* Relative flow rates by time of day (UTC), when every 6-hour bucket has
 * TOD_MIN_FLOWS flows: flows per hour the captures were running (an hour
 * with at least one flow start), scaled to mean 1. Otherwise one bucket
 * of 24 hours at rate 1. tod_rate[b] is bucket b's, as the engine and
 * the model file read it; entries past the last bucket are 0. */
static void
fit_time_of_day(const struct fit_run *run, struct tg_arrivals *ar)
{
	double flows[TOD_BUCKETS] = { 0 }, hours[TOD_BUCKETS] = { 0 };
	double rate[TOD_BUCKETS], mean = 0;
	uint32_t *hour = run->ubuf;
	size_t n = run->f->n_flows;
	unsigned busy = 0;

	ar->start_hour = DEFAULT_START_HOUR;
	ar->tod_bucket_hours = 24;
	memset(ar->tod_rate, 0, sizeof(ar->tod_rate));
	ar->tod_rate[0] = 1;
	for (size_t i = 0; i < n; i++) {
		hour[i] = (uint32_t)(run->f->flows[i].first_ns / NS_PER_HOUR);
		flows[hour[i] % 24 / TOD_BUCKET_HOURS]++;
	}
	qsort(hour, n, sizeof(*hour), compare_u32);
	for (size_t i = 0; i < n; i++)
		if (i == 0 || hour[i] != hour[i - 1])
			hours[hour[i] % 24 / TOD_BUCKET_HOURS]++;
	for (unsigned b = 0; b < TOD_BUCKETS; b++)
		busy += flows[b] >= TOD_MIN_FLOWS;
	if (busy < TOD_BUCKETS)
		return;
	for (unsigned b = 0; b < TOD_BUCKETS; b++) {
		rate[b] = flows[b] / hours[b];
		mean += rate[b] / TOD_BUCKETS;
	}
	ar->tod_bucket_hours = TOD_BUCKET_HOURS;
	for (unsigned b = 0; b < TOD_BUCKETS; b++)
		ar->tod_rate[b] = rate[b] / mean;
}

/* P(next service | previous service): the pairs' frequencies; a service
 * never followed by another gets the overall shares. */
static void
fit_next(const struct fit_run *run, const double *pairs, double *next)
{
	uint32_t n = run->n_services;

	for (uint32_t i = 0; i < n; i++) {
		const double *row = pairs + (size_t)i * n;
		double total = 0;

		for (uint32_t j = 0; j < n; j++)
			total += row[j];
		for (uint32_t j = 0; j < n; j++)
			next[(size_t)i * n + j] =
				total > 0 ? row[j] / total
					  : run->m->fit.services[j].share;
	}
}

struct arrival {
	uint32_t file;
	uint64_t ns;
	uint64_t order;
	uint32_t flow;
};

static int
compare_arrivals(const void *a, const void *b)
{
	const struct arrival *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->ns != y->ns)
		return x->ns < y->ns ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

/* The flows that are arrivals of the marked process, by file and arrival
 * time: a DNS lookup claimed by a connection is not one (the engine makes
 * it when the connection arrives), and that connection arrives when its
 * lookup did. Connections that never open are arrivals: the engine plays
 * them as such (a scan is a burst of SYNs). Returns how many; NULL *out
 * when out of memory. */
static size_t
arrival_order(const struct fit_run *run, struct arrival **out)
{
	const struct fit_flow *fl = run->f->flows;
	size_t n = run->f->n_flows, m = 0;
	struct arrival *a = malloc((n ? n : 1) * sizeof(*a));

	*out = a;
	if (a == NULL)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!fl[i].lookup)
			a[m++] = (struct arrival){ fl[i].file, fl[i].arrive_ns,
						   fl[i].order, (uint32_t)i };
	qsort(a, m, sizeof(*a), compare_arrivals);
	return m;
}

/* Gaps between consecutive arrivals within each file, marked by the
 * service of the flow before the gap, and scaled by the time-of-day rate
 * at that flow (the engine divides by it). */
int
tg_fit_arrivals(const struct fit_run *run)
{
	struct tg_arrivals *ar = &run->m->fit.arrivals;
	const struct fit_flow *fl = run->f->flows;
	uint32_t n = run->n_services;
	size_t n_flows = run->f->n_flows, m = 0, n_arr;
	double *gaps = malloc(n_flows * sizeof(*gaps));
	uint32_t *prev = malloc(n_flows * sizeof(*prev));
	double *pairs = calloc((size_t)n * n, sizeof(*pairs));
	struct arrival *arr;
	int rc = -1;

	n_arr = arrival_order(run, &arr);
	ar->has_gap_after = calloc(n, sizeof(*ar->has_gap_after));
	ar->gap_after = calloc(n, sizeof(*ar->gap_after));
	ar->next = calloc((size_t)n * n, sizeof(*ar->next));
	if (!gaps || !prev || !pairs || !arr || !ar->has_gap_after ||
	    !ar->gap_after || !ar->next)
		goto out;
	fit_time_of_day(run, ar);
	for (size_t i = 1; i < n_arr; i++) {
		const struct arrival *a = &arr[i - 1], *b = &arr[i];
		uint32_t sa = fl[a->flow].service;
		double rate;

		if (a->file != b->file)
			continue;
		pairs[(size_t)sa * n + fl[b->flow].service]++;
		if ((double)(b->ns - a->ns) > MAX_GAP_S * NS_PER_S)
			continue;	/* the capture paused */
		/* The engine divides a gap by the rate of the hour of the flow
		 * before it: fitted gaps are the seen ones times that rate. */
		rate = tg_model_tod_rate(ar, (double)(a->ns / NS_PER_HOUR % 24));
		gaps[m] = tg_fit_seconds((uint64_t)((double)(b->ns - a->ns) *
						    rate));
		prev[m++] = sa;
	}
	if (tg_fit_mix(run->f, gaps, m, &default_arrival, &ar->gap))
		goto out;
	for (uint32_t s = 0; s < n; s++) {
		size_t k = 0;

		for (size_t i = 0; i < m; i++)
			if (prev[i] == s)
				run->dbuf[k++] = gaps[i];
		/* too few: left empty, as a loaded model has it */
		ar->has_gap_after[s] = k >= run->f->conf.min_transition;
		if (ar->has_gap_after[s] &&
		    tg_fit_mix(run->f, run->dbuf, k, &default_arrival,
			       &ar->gap_after[s]))
			goto out;
	}
	fit_next(run, pairs, ar->next);
	rc = 0;
out:
	free(gaps), free(prev), free(pairs), free(arr);
	return rc;
}

/* --- Hosts --------------------------------------------------------------- */

/* Hosts are (file, address): files are separate networks and times. */
struct host_key {
	uint32_t file;
	struct tg_ip_addr a;
	struct tg_ip_addr b;	/* pairs: the server; else zero */
};

static int
compare_host_keys(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct host_key));
}

static int
compare_counts_down(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x < y) - (x > y);
}

enum host_what { HOST_CLIENT, HOST_SERVER, HOST_PAIR };

/* Flows per distinct host (or pair), most first, into counts; returns
 * how many there are. */
static size_t
count_hosts(const struct fit_run *run, enum host_what what,
	    struct host_key *keys, uint64_t *counts)
{
	size_t n = run->f->n_flows, m = 0;

	memset(keys, 0, n * sizeof(*keys));
	for (size_t i = 0; i < n; i++) {
		const struct fit_flow *ff = &run->f->flows[i];

		keys[i].file = ff->file;
		keys[i].a = what == HOST_SERVER ? ff->server : ff->client;
		if (what == HOST_PAIR)
			keys[i].b = ff->server;
	}
	qsort(keys, n, sizeof(*keys), compare_host_keys);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || compare_host_keys(&keys[i], &keys[i - 1]))
			counts[m++] = 0;
		counts[m - 1]++;
	}
	qsort(counts, m, sizeof(*counts), compare_counts_down);
	return m;
}

/* Log-likelihood of the flows' host ranks under P(r) ~ r^-s, r = 1..n. */
static double
zipf_loglik(const uint64_t *counts, size_t n, double total, double s)
{
	double norm = 0, ranks = 0;

	for (size_t r = 0; r < n; r++) {
		double lr = log((double)r + 1);

		norm += exp(-s * lr);
		ranks += (double)counts[r] * lr;
	}
	return -s * ranks - total * log(norm);
}

/* The discrete maximum-likelihood Zipf exponent of flows per host ranked
 * by their counts, in [0, ZIPF_MAX]; the log-likelihood is concave in s,
 * so a golden-section search finds it. One host: 0. */
static double
zipf_exponent(const uint64_t *counts, size_t n)
{
	const double g = 0.6180339887498949;
	double total = 0, lo = 0, hi = ZIPF_MAX;

	if (n < 2)
		return 0;
	for (size_t r = 0; r < n; r++)
		total += (double)counts[r];
	double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
	double f1 = zipf_loglik(counts, n, total, x1);
	double f2 = zipf_loglik(counts, n, total, x2);

	for (int it = 0; it < 60; it++) {
		if (f1 < f2) {
			lo = x1, x1 = x2, f1 = f2;
			x2 = lo + g * (hi - lo);
			f2 = zipf_loglik(counts, n, total, x2);
		} else {
			hi = x2, x2 = x1, f2 = f1;
			x1 = hi - g * (hi - lo);
			f1 = zipf_loglik(counts, n, total, x1);
		}
	}
	return 0.5 * (lo + hi);
}

/* RFC 1918, shared address space 100.64/10, link-local 169.254/16;
 * IPv6 unique-local fc00::/7 and link-local fe80::/10. */
static bool
is_private(const struct tg_ip_addr *addr, bool ipv6)
{
	const uint8_t *b = addr->b;

	if (ipv6)
		return (b[0] & 0xfe) == 0xfc ||
		       (b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
	return b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) ||
	       (b[0] == 192 && b[1] == 168) ||
	       (b[0] == 100 && (b[1] & 0xc0) == 64) ||
	       (b[0] == 169 && b[1] == 254);
}

int
tg_fit_hosts(const struct fit_run *run)
{
	struct tg_hosts_model *h = &run->m->fit.hosts;
	size_t n = run->f->n_flows;
	struct host_key *keys = malloc(n * sizeof(*keys));
	uint64_t *counts = malloc(n * sizeof(*counts));
	double internal = 0;

	if (keys == NULL || counts == NULL) {
		free(keys), free(counts);
		return -1;
	}
	h->clients = count_hosts(run, HOST_CLIENT, keys, counts);
	h->client_zipf = zipf_exponent(counts, h->clients);
	h->servers = count_hosts(run, HOST_SERVER, keys, counts);
	h->server_zipf = zipf_exponent(counts, h->servers);
	/* Every flow of a (file, client, server) pair but the first goes to
	 * a server its client used before. */
	h->repeat_server = (double)(n - count_hosts(run, HOST_PAIR, keys,
						    counts)) / (double)n;
	for (size_t i = 0; i < n; i++)
		internal += is_private(&run->f->flows[i].server,
				       run->f->flows[i].ipv6);
	h->server_internal = internal / (double)n;
	free(keys), free(counts);
	return 0;
}

/* --- DNS before connections ---------------------------------------------- */

struct lookup {
	uint32_t file;
	struct tg_ip_addr client;
	uint64_t t;
	uint32_t flow;
};

static int
compare_lookups(const void *a, const void *b)
{
	const struct lookup *x = a, *y = b;
	int c = x->file != y->file ? (x->file > y->file ? 1 : -1)
				   : memcmp(&x->client, &y->client,
					    sizeof(x->client));

	return c ? c : (x->t > y->t) - (x->t < y->t);
}

/* The latest lookup of the flow's client at or before its start, or
 * NULL. */
static const struct lookup *
last_lookup(const struct lookup *l, size_t n, const struct fit_flow *ff)
{
	struct lookup want = { .file = ff->file, .client = ff->client,
			       .t = ff->first_ns };
	size_t lo = 0, hi = n;	/* the first entry after `want` is in lo..hi */

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (compare_lookups(&l[mid], &want) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || l[lo - 1].file != want.file ||
	    memcmp(&l[lo - 1].client, &want.client, sizeof(want.client)))
		return NULL;
	return &l[lo - 1];
}

/* A lookup belongs to the first non-DNS flow of its client that starts at
 * most dns_window_ns after it, in the same file, with no newer lookup in
 * between: the engine makes one lookup per flow it marks dns_first, so a
 * lookup whose answer serves several connections (a browser opening six)
 * must count once, and not also as a flow of its own in the arrivals.
 * The claimed lookup is marked, and the flow arrives at its time. */
int
tg_fit_dns(const struct fit_run *run)
{
	struct fit_flow *fl = run->f->flows;
	size_t n = run->f->n_flows, n_dns = 0, n_delays = 0;
	uint64_t window = run->f->conf.dns_window_ns;
	struct lookup *l = malloc((n ? n : 1) * sizeof(*l));
	double *hits = calloc(run->n_services, sizeof(*hits));
	double *others = calloc(run->n_services, sizeof(*others));
	int rc = -1;

	if (l == NULL || hits == NULL || others == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (fl[i].dns)
			l[n_dns++] = (struct lookup){ fl[i].file, fl[i].client,
						      fl[i].first_ns,
						      (uint32_t)i };
	qsort(l, n_dns, sizeof(*l), compare_lookups);
	/* In start order, so the first connection after a lookup claims it. */
	for (size_t k = 0; k < n; k++) {
		struct fit_flow *ff = &fl[run->by_time[k]];
		const struct lookup *q;

		if (ff->dns || ff->syn_fate != TG_SYN_ANSWERED)
			continue;
		others[ff->service]++;
		q = last_lookup(l, n_dns, ff);
		if (q == NULL || ff->first_ns - q->t > window ||
		    fl[q->flow].lookup)
			continue;
		fl[q->flow].lookup = true;
		ff->arrive_ns = q->t;
		hits[ff->service]++;
		run->dbuf[n_delays++] = tg_fit_seconds(ff->first_ns - q->t);
	}
	for (uint32_t s = 0; s < run->n_services; s++)
		run->m->fit.services[s].dns_first =
			tg_fit_share(hits[s], others[s], 0);
	rc = tg_fit_mix(run->f, run->dbuf, n_delays, &default_dns_delay,
			&run->m->fit.dns_delay);
out:
	free(l), free(hits), free(others);
	return rc;
}
