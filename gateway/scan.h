/* SPDX-License-Identifier: MIT */
/*
 * The host-scan (posture) exchange (scan.c): the challenge, the agent's
 * report, the wait page, and the token the next login redeems.
 */
#ifndef POSTERN_GW_SCAN_H
#define POSTERN_GW_SCAN_H

#include <stdbool.h>
#include <stdint.h>

#include "gateway/conn.h"
#include "gateway/http.h"
#include "gateway/model.h"

/*
 * One host-scan exchange in progress: created when a device with a valid
 * certificate logs in under a policy with agent = required, ended when its
 * token is redeemed by the login that follows the scan. The token is the
 * sdesktop cookie: a secret, compared in constant time. A report counts only
 * when posted with the same certificate, once.
 */
struct gw_scan {
	struct gw_scan *next;
	uint8_t token[GW_COOKIE_LEN];
	char ticket[2 * GW_TICKET_LEN + 1];	/* hex; names the scan in token.xml */
	struct pst_identity id;
	time_t expires;				/* monotonic */
	bool reported;				/* a report counted: the token is used up */
	char problem[PST_REASON_MAX];		/* why no report counted yet, if one came */
	struct pst_facts facts;			/* the agent's report */
};

int gw_scan_new(struct gw_worker *w, const struct pst_identity *id, struct gw_scan **out);
struct gw_scan *gw_scan_find(struct gw_worker *w, const char *token_hex, size_t len);
void gw_scan_end(struct gw_worker *w, struct gw_scan *sc);
void gw_scans_expire(struct gw_worker *w);
void gw_scans_free(struct gw_worker *w);
void gw_scan_challenge(struct gw_conn *c, const struct gw_scan *sc);
/* The endpoints under /+CSCOE+/; false when the request is not for one. */
bool gw_scan_request(struct gw_conn *c, const struct gw_http_req *req, const uint8_t *body);

#endif
