/* SPDX-License-Identifier: BSD-3-Clause
 * tg_bytes: 16- and 32-bit integers in network byte order (big-endian) at
 * any address of a frame: the one set of loads and stores for headers.
 * Written byte by byte, which compilers turn into one load or store and a
 * byte swap, on any host.
 */
#ifndef TG_BYTES_H
#define TG_BYTES_H

#include <stdint.h>

static inline uint16_t
tg_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
tg_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static inline void
tg_put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
tg_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif /* TG_BYTES_H */
