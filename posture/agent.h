/* SPDX-License-Identifier: MIT */
/*
 * The CSD wrapper (agent.c), the posture agent proper: what openconnect
 * passes a --csd-wrapper, the checks of the gateway's key before the token
 * leaves, and pst_agent_report, which collects this device's facts
 * (posture/collect.h) and posts them to the gateway. Only the
 * postern-posture program uses this; the gateway never sees it.
 */
#ifndef POSTERN_POSTURE_AGENT_H
#define POSTERN_POSTURE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#define PST_AGENT_TIMEOUT_MS	15000	/* the whole post, connect to status line */
#define PST_PIN_LEN		32	/* SHA-256 of the server's SubjectPublicKeyInfo */
#define PST_HOST_MAX		255	/* a DNS name, or "[v6 literal]" */

/* What openconnect's wrapper arguments tell us. */
struct pst_csd_args {
	char host[PST_HOST_MAX + 1];	/* from -url: a DNS name or "[v6]", or "" */
	uint16_t port;			/* from -url, 0 when it names none */
};

/* Parses argv[1..] as openconnect passes them to a --csd-wrapper. 0, or
 * -EINVAL with err. */
int pst_csd_args_parse(int argc, char **argv, struct pst_csd_args *out, char *err,
		       size_t errlen);
/* "https://HOST[:PORT][/PATH]": host and port (0 when none). 0 or -EINVAL. */
int pst_url_parse(const char *url, char *host, size_t hostlen, uint16_t *port);
/* A decimal port 1..65535, the whole string. 0 or -EINVAL. */
int pst_port_parse(const char *text, uint16_t *port);
/* A cookie value (RFC 6265 cookie-octets), 1 to 256 of them. */
bool pst_token_valid(const char *token);

/* CSD_SHA256: base64 of PST_PIN_LEN bytes, 44 characters. 0 or -EINVAL. */
int pst_pin_parse(const char *b64, uint8_t pin[PST_PIN_LEN]);
/* 0 when cert's public key hashes to pin, -EPERM when not, -ENOMEM. */
int pst_pin_check(X509 *cert, const uint8_t pin[PST_PIN_LEN]);

/*
 * The status of an HTTP response whose first bytes are buf: 0 with *status,
 * -EAGAIN when the status line is not complete yet, -EBADMSG when it is not
 * an HTTP/1.x status line.
 */
int pst_http_status(const char *buf, size_t len, int *status);

/* What became of a report the gateway answered. */
struct pst_agent_result {
	int status;			/* the gateway's HTTP status; 200: accepted */
	size_t n_facts;
	char hostname[PST_HOST_MAX + 1];	/* CSD_HOSTNAME, the gateway */
	uint16_t port;
};

/*
 * The wrapper: argv as openconnect gives it. Collects the facts and posts
 * them within PST_AGENT_TIMEOUT_MS of network time; 0 with the gateway's
 * answer in *res, or -errno with one line in err. Prints nothing; the
 * program bounds the rest (a resolver that never answers) and ignores
 * SIGPIPE.
 */
int pst_agent_report(int argc, char **argv, struct pst_agent_result *res, char *err,
		     size_t errlen);

#endif
