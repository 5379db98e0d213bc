/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <intel-ipsec-mb.h>

#include "tg_keystream.h"
#include "tg_rng.h"

#define AES_BLOCK 16
#define AES128_ROUND_KEYS (11 * AES_BLOCK)
/* Bytes one cipher job encrypts: the pool is made of many, so no job
 * meets a length limit of the library. */
#define JOB_BYTES (16u * 1024)
/* Keeps the pool's key apart from every other draw of the run's seed. */
#define KEY_SALT 0x6165732d63747221ULL	/* "aes-ctr!" */

struct tg_keystream {
	/* The library's assembly loads round keys with aligned moves. */
	_Alignas(64) uint8_t enc_keys[AES128_ROUND_KEYS];
	_Alignas(16) uint8_t dec_keys[AES128_ROUND_KEYS];
	IMB_MGR *mgr;		/* this keystream's own: lcores share none */
	uint8_t *pool;
};

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* ctr += blocks, as one 128-bit big-endian integer. */
static void
ctr_add(uint8_t ctr[AES_BLOCK], uint64_t blocks)
{
	for (int i = AES_BLOCK - 1; i >= 0 && blocks; i--) {
		blocks += ctr[i];
		ctr[i] = (uint8_t)blocks;
		blocks >>= 8;
	}
}

/* Blocks before the counter's low 32 bits wrap. How far the library
 * carries past them is its own affair, so a job never crosses that point
 * and ctr_add carries instead: the pool is standard CTR either way. */
static uint64_t
blocks_to_wrap(const uint8_t ctr[AES_BLOCK])
{
	return (uint64_t)UINT32_MAX - get32(ctr + 12) + 1;
}

/* Encrypt len bytes of buf in place, counter blocks from iv on. */
static int
ctr_job(IMB_MGR *mgr, const struct tg_keystream *ks, const uint8_t *iv,
	uint8_t *buf, uint32_t len)
{
	IMB_JOB *job = IMB_GET_NEXT_JOB(mgr);

	job->cipher_mode = IMB_CIPHER_CNTR;
	job->cipher_direction = IMB_DIR_ENCRYPT;
	job->chain_order = IMB_ORDER_CIPHER_HASH;
	job->hash_alg = IMB_AUTH_NULL;
	job->enc_keys = ks->enc_keys;
	job->dec_keys = ks->dec_keys;
	job->key_len_in_bytes = IMB_KEY_128_BYTES;
	job->src = buf;
	job->dst = buf;
	job->cipher_start_src_offset_in_bytes = 0;
	job->msg_len_to_cipher_in_bytes = len;
	job->iv = iv;
	job->iv_len_in_bytes = AES_BLOCK;
	job = IMB_SUBMIT_JOB(mgr);
	if (job == NULL)
		job = IMB_FLUSH_JOB(mgr);
	return job != NULL && job->status == IMB_STATUS_COMPLETED ? 0 : -1;
}

/* pool = AES-CTR keystream from ctr: the encryption of zeros. */
static int
fill_pool(struct tg_keystream *ks, const uint8_t ctr[AES_BLOCK])
{
	uint8_t iv[AES_BLOCK];
	uint32_t done = 0;

	memcpy(iv, ctr, AES_BLOCK);
	memset(ks->pool, 0, TG_KEYSTREAM_POOL);
	while (done < TG_KEYSTREAM_POOL) {
		uint64_t room = blocks_to_wrap(iv) * AES_BLOCK;
		uint32_t len = TG_KEYSTREAM_POOL - done;

		if (len > JOB_BYTES)
			len = JOB_BYTES;
		if (len > room)
			len = (uint32_t)room;
		if (ctr_job(ks->mgr, ks, iv, ks->pool + done, len) != 0)
			return -1;
		ctr_add(iv, len / AES_BLOCK);
		done += len;
	}
	return 0;
}

struct tg_keystream *
tg_keystream_create_key(const uint8_t key[TG_KEYSTREAM_KEY],
			const uint8_t ctr[TG_KEYSTREAM_KEY], char *err,
			size_t errlen)
{
	struct tg_keystream *ks = aligned_alloc(64, sizeof(*ks));

	if (ks == NULL) {
		snprintf(err, errlen, "out of memory for the keystream");
		return NULL;
	}
	memset(ks, 0, sizeof(*ks));
	ks->pool = aligned_alloc(64, TG_KEYSTREAM_POOL);
	ks->mgr = alloc_mb_mgr(0);
	if (ks->pool == NULL || ks->mgr == NULL) {
		snprintf(err, errlen, "out of memory for the keystream");
		goto fail;
	}
	init_mb_mgr_auto(ks->mgr, NULL);
	if (imb_get_errno(ks->mgr) != 0) {
		snprintf(err, errlen, "intel-ipsec-mb: %s",
			 imb_get_strerror(imb_get_errno(ks->mgr)));
		goto fail;
	}
	IMB_AES_KEYEXP_128(ks->mgr, key, ks->enc_keys, ks->dec_keys);
	if (fill_pool(ks, ctr) != 0) {
		snprintf(err, errlen, "intel-ipsec-mb: AES-CTR failed: %s",
			 imb_get_strerror(imb_get_errno(ks->mgr)));
		goto fail;
	}
	return ks;
fail:
	tg_keystream_free(ks);
	return NULL;
}

struct tg_keystream *
tg_keystream_create(uint64_t seed, uint64_t stream, char *err,
		    size_t errlen)
{
	uint8_t key[TG_KEYSTREAM_KEY], ctr[AES_BLOCK] = { 0 };
	struct tg_rng rng;

	tg_rng_seed(&rng, seed ^ KEY_SALT, stream);
	for (unsigned i = 0; i < TG_KEYSTREAM_KEY; i++)
		key[i] = (uint8_t)tg_rng_next(&rng);
	/* A 96-bit nonce and a block counter from 0, as in RFC 3686 and
	 * GCM: the low 32 bits never wrap inside the pool. */
	for (unsigned i = 0; i < 12; i++)
		ctr[i] = (uint8_t)tg_rng_next(&rng);
	return tg_keystream_create_key(key, ctr, err, errlen);
}

void
tg_keystream_free(struct tg_keystream *ks)
{
	if (ks == NULL)
		return;
	if (ks->mgr != NULL)
		free_mb_mgr(ks->mgr);
	free(ks->pool);
	free(ks);
}

const uint8_t *
tg_keystream_pool(const struct tg_keystream *ks)
{
	return ks->pool;
}

/* Where a message's window starts: any byte of the pool. */
static uint32_t
window(uint64_t seed)
{
	seed ^= seed >> 33;
	seed *= 0xff51afd7ed558ccdULL;
	seed ^= seed >> 33;
	return (uint32_t)seed & (TG_KEYSTREAM_POOL - 1);
}

void
tg_keystream_copy(const struct tg_keystream *ks, uint64_t seed, uint64_t pos,
		  uint8_t *out, uint32_t n)
{
	uint32_t at = (uint32_t)((window(seed) + pos) &
				 (TG_KEYSTREAM_POOL - 1));

	while (n > 0) {
		uint32_t run = TG_KEYSTREAM_POOL - at;

		if (run > n)
			run = n;
		memcpy(out, ks->pool + at, run);
		out += run;
		n -= run;
		at = 0;
	}
}
