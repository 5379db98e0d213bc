/* SPDX-License-Identifier: BSD-3-Clause
 * tg_model: what traffic looks like, and the draws the engine makes from it.
 * No DPDK here.
 *
 * The engine only talks to a model through three questions:
 *   - when does the next flow start (tg_model_arrival_gap),
 *   - what is the new flow (tg_model_flow_new: service, header fields),
 *   - what does the flow do next (tg_model_flow_step: who sends how many
 *     bytes with which intent, after which gap).
 * Today's model is parametric (a service mix with log-normal sizes and
 * times); fitted models answer the same questions from learned tables.
 */
#ifndef TG_MODEL_H
#define TG_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tg_flow.h"
#include "tg_rng.h"

#define TG_MODEL_MAX_SERVICES 64
#define TG_MODEL_NAME_LEN 32

enum tg_payload_kind {
	TG_PAYLOAD_ZERO,	/* all zero bytes */
	TG_PAYLOAD_RANDOM,	/* high-entropy bytes */
	TG_PAYLOAD_HTTP,	/* HTTP/1.1 requests and responses */
	TG_PAYLOAD_DNS,		/* DNS queries and answers */
};

/* A log-normal given by its median and the sigma of its log. */
struct tg_lognorm {
	double median;
	double sigma;
};

/* The TCP/IP stack of one side: what its packets carry in headers. */
struct tg_stack {
	uint8_t ttl;
	uint16_t mss;		/* 0: no MSS option */
	int8_t wscale;		/* -1: no window scale option */
	bool sack;
	bool timestamps;
	uint32_t rcv_buf;
	bool df;
};

struct tg_service {
	char name[TG_MODEL_NAME_LEN];
	uint8_t proto;		/* TG_PROTO_TCP, _UDP, _ICMP */
	uint16_t port;		/* server port (TCP/UDP) */
	double weight;		/* share of flows */
	uint8_t payload;	/* enum tg_payload_kind */
	double exchanges;	/* mean request/response pairs per flow */
	struct tg_lognorm request;	/* bytes per request */
	struct tg_lognorm response;	/* bytes per response */
	struct tg_lognorm think;	/* seconds between exchanges */
	struct tg_lognorm server_time;	/* seconds the server takes */
	double reset_share;	/* flows that end with RST instead of FIN */
	double server_close_share;	/* flows the server closes first */
};

struct tg_model {
	char name[TG_MODEL_NAME_LEN];
	struct tg_lognorm arrival;	/* seconds between flow starts */
	struct tg_lognorm rtt;		/* seconds of round-trip time */
	struct tg_stack client;
	struct tg_stack server;
	uint32_t n_services;
	struct tg_service services[TG_MODEL_MAX_SERVICES];
	double total_weight;
};

/* One step of a flow, as the model wants it. For TCP the engine turns a
 * DATA step of many bytes into MSS-sized segments and the ACKs a real
 * receiver sends; for UDP and ICMP one step is one packet. */
struct tg_step {
	uint8_t dir;		/* enum tg_dir */
	uint8_t intent;		/* enum tg_intent */
	uint32_t bytes;		/* payload bytes for DATA */
	uint64_t gap_ns;	/* time since the previous packet of the flow */
};

/* Where a flow is in its life; small because there may be millions. */
struct tg_flow_cursor {
	uint64_t rtt_ns;	/* the flow's round-trip time */
	uint16_t service;	/* index into model->services */
	uint32_t exchanges_left;
	uint8_t phase;
	uint8_t closer;		/* enum tg_dir that sends the first FIN */
	bool reset;
	bool requested;		/* the first request was sent */
};

/* What the model says about a new flow. */
struct tg_flow_desc {
	uint16_t service;	/* index into model->services */
	uint8_t proto;
	uint16_t server_port;
	struct tg_tcp_endpoint client_tcp;
	struct tg_tcp_endpoint server_tcp;
};

/* The model built into the binary (models/office-parametric.tgm), used
 * when a config names no model. Returns 0 or -1 with a message in err. */
int tg_model_load_builtin(struct tg_model *model, char *err, size_t errlen);

/* Load a model file (libconfig syntax, see docs/model-format.md), checking
 * every value. Returns 0, or -1 with "file:line: what is wrong" in err. */
int tg_model_load(const char *path, struct tg_model *model,
		  char *err, size_t errlen);

/* Parse a model from text; `name` stands for the file in messages. */
int tg_model_parse(const char *text, const char *name,
		   struct tg_model *model, char *err, size_t errlen);

/* Nanoseconds until the next flow starts. */
uint64_t tg_model_arrival_gap(const struct tg_model *model,
			      struct tg_rng *rng);

/* Draw a new flow. */
void tg_model_flow_new(const struct tg_model *model, struct tg_rng *rng,
		       struct tg_flow_desc *desc,
		       struct tg_flow_cursor *cursor);

/* The flow's next step; false when the flow has nothing more to send. */
bool tg_model_flow_step(const struct tg_model *model,
			struct tg_flow_cursor *cursor, struct tg_rng *rng,
			struct tg_step *step);

#endif /* TG_MODEL_H */
