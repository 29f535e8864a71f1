/* SPDX-License-Identifier: MIT */
/*
 * Why a device was turned away, in one table (see enum gw_refusal in
 * model.h): each refusal's counter and the words the device and the log are
 * told. Rewording a refusal never moves its count.
 */
#include <stddef.h>

#include "gateway/model.h"
#include "gateway/refusal.h"

#define NOT_CLIENT "certificate is not a device (client) certificate"

/*
 * Every refusal: the counter it is counted under, that counter's key (the
 * stats key and the metric's reason label, on the counters' own rows) and
 * the words the device is told (X-Reason) and the log says. A client quirk
 * shapes some words: openconnect prints them after "reason: ".
 */
static const struct {
	enum gw_refusal counter;
	const char *key;
	const char *words;
} refusals[GW_REF_N] = {
	[GW_REF_NONE] = { GW_REF_BAD_CERTIFICATE, NULL, "device certificate rejected" },
	[GW_REF_REVOKED] = { GW_REF_REVOKED, "revoked", "device certificate has been revoked" },
	[GW_REF_EXPIRED] = { GW_REF_EXPIRED, "expired", "device certificate has expired" },
	[GW_REF_NOT_YET_VALID] = { GW_REF_NOT_YET_VALID, "not_yet_valid",
				   "device certificate is not yet valid" },
	[GW_REF_UNKNOWN_CA] = { GW_REF_UNKNOWN_CA, "unknown_ca",
				"device certificate was not issued by this gateway's CA" },
	[GW_REF_CRL_OUT_OF_DATE] = { GW_REF_CRL_OUT_OF_DATE, "crl_out_of_date",
				     "the gateway's revocation list is out of date; contact IT" },
	[GW_REF_NOT_CLIENT_CERT] = { GW_REF_NOT_CLIENT_CERT, "not_client_cert", NOT_CLIENT },
	[GW_REF_NO_CERTIFICATE] = { GW_REF_NO_CERTIFICATE, "no_certificate",
				    "a device certificate is required" },
	[GW_REF_BAD_CERTIFICATE] = { GW_REF_BAD_CERTIFICATE, "bad_certificate",
				     "device certificate rejected" },
	[GW_REF_POLICY_DENY] = { GW_REF_POLICY_DENY, "policy_deny", "denied by the posture policy" },
	[GW_REF_POOL_EXHAUSTED] = { GW_REF_POOL_EXHAUSTED, "pool_exhausted",
				    "the VPN address pool is exhausted; try again later" },
	[GW_REF_RESOURCES] = { GW_REF_RESOURCES, "resources",
			       "the gateway is out of resources; try again later" },
	[GW_REF_COOKIE] = { GW_REF_COOKIE, "cookie", "CONNECT with an unknown or expired cookie" },
	[GW_REF_POSTURE_CHECK] = { GW_REF_POSTURE_CHECK, "posture_check",
				   "the posture check expired or was already used; connect again" },
	[GW_REF_BANNED] = { GW_REF_BANNED, "banned", "the device is banned for a while; contact IT" },
	[GW_REF_CERT_IS_CA] = { GW_REF_NOT_CLIENT_CERT, NULL,
				NOT_CLIENT ": it is a CA certificate (basicConstraints CA:TRUE)" },
	[GW_REF_CERT_NO_EKU] = { GW_REF_NOT_CLIENT_CERT, NULL, NOT_CLIENT
				 ": it has no extended key usage (clientAuth is required)" },
	[GW_REF_CERT_EKU_NOT_CLIENT] = { GW_REF_NOT_CLIENT_CERT, NULL, NOT_CLIENT
					 ": its extended key usage does not include clientAuth" },
	[GW_REF_CERT_BAD_EXTENSIONS] = { GW_REF_NOT_CLIENT_CERT, NULL,
					 NOT_CLIENT ": its extensions cannot be read" },
	[GW_REF_NO_DEVICE_NAME] = { GW_REF_NOT_CLIENT_CERT, NULL,
				    "certificate does not name a device (no urn:postern:device)" },
	[GW_REF_COOKIE_NONE] = { GW_REF_COOKIE, NULL, "CONNECT without a session cookie" },
	[GW_REF_COOKIE_UNKNOWN_NO_CERT] = { GW_REF_COOKIE, NULL, "CONNECT with an unknown or "
					    "expired cookie and no certificate" },
	[GW_REF_COOKIE_OTHER_CERT] = { GW_REF_COOKIE, NULL,
				       "CONNECT with a cookie issued to another certificate" },
	[GW_REF_COOKIE_CERT_EXPIRED] = { GW_REF_EXPIRED, NULL, "CONNECT with a cookie whose "
					 "device certificate has expired" },
	[GW_REF_POSTURE_OTHER_DEVICE] = { GW_REF_POSTURE_CHECK, NULL,
					  "the posture check belongs to another device" },
};

/* Out of range reads as no refusal recorded: a bad certificate (fail closed). */
static enum gw_refusal refusal_valid(enum gw_refusal r)
{
	return (unsigned int)r < GW_REF_N ? r : GW_REF_NONE;
}

const char *gw_refusal_words(enum gw_refusal r, const char *text)
{
	return text ? text : refusals[refusal_valid(r)].words;
}

enum gw_refusal gw_refusal_counter(enum gw_refusal r)
{
	return refusals[refusal_valid(r)].counter;
}

const char *gw_refusal_key(enum gw_refusal r)
{
	return refusals[gw_refusal_counter(r)].key;
}

void gw_stats_refused(struct gw_worker *w, enum gw_refusal r)
{
	w->stats.refused++;
	w->stats.refused_by[gw_refusal_counter(r)]++;
}
