/* SPDX-License-Identifier: MIT */
/*
 * Why a device is turned away (enum gw_refusal) and the table (refusal.c)
 * that gives each refusal the words the device and the log are told and
 * the counter it is counted under.
 */
#ifndef POSTERN_GW_REFUSAL_H
#define POSTERN_GW_REFUSAL_H

struct gw_worker;

/*
 * Why a device was turned away: one value per refusal, carried from where it
 * is decided (tls.c, login.c, verdict.c) to the counter, the log line and the
 * words the device is told (X-Reason). One table (refusal.c) gives each its
 * words (gw_refusal_words) and the counter it is counted under
 * (gw_refusal_counter); rewording a refusal never moves its count. Only a
 * policy's deny carries words of its own, the policy's reason, and so does a
 * ban ("banned until T").
 *
 * The values before GW_REF_COUNTERS are the counters themselves
 * (postern_refusals_total{reason}, `posternctl stats`), in their order
 * there; the ones after it are finer refusals, each counted under one of
 * them. Each counter means one thing, the same whichever step found it
 * (README, "Metrics", lists them). GW_REF_NONE (zero: a fresh connection)
 * is no refusal; where one is needed and none was recorded it reads and
 * counts as a bad certificate.
 */
enum gw_refusal {
	GW_REF_NONE,
	GW_REF_REVOKED,
	GW_REF_EXPIRED,
	GW_REF_NOT_YET_VALID,
	GW_REF_UNKNOWN_CA,
	GW_REF_CRL_OUT_OF_DATE,
	GW_REF_NOT_CLIENT_CERT,
	GW_REF_NO_CERTIFICATE,
	GW_REF_BAD_CERTIFICATE,
	GW_REF_POLICY_DENY,
	GW_REF_POOL_EXHAUSTED,
	GW_REF_RESOURCES,
	GW_REF_COOKIE,			/* CONNECT with an unknown or expired cookie */
	GW_REF_POSTURE_CHECK,		/* the posture check expired or was used */
	GW_REF_BANNED,			/* an operator barred the device for a while */
	GW_REF_COUNTERS,
	/* counted as not_client_cert: issued by the CA, but not as a device's */
	GW_REF_CERT_IS_CA = GW_REF_COUNTERS,
	GW_REF_CERT_NO_EKU,
	GW_REF_CERT_EKU_NOT_CLIENT,
	GW_REF_CERT_BAD_EXTENSIONS,
	GW_REF_NO_DEVICE_NAME,
	/* counted as cookie */
	GW_REF_COOKIE_NONE,
	GW_REF_COOKIE_UNKNOWN_NO_CERT,
	GW_REF_COOKIE_OTHER_CERT,
	/* counted as expired: the device certificate has expired, whether the
	 * handshake or a cookie-only CONNECT found it so */
	GW_REF_COOKIE_CERT_EXPIRED,
	/* counted as posture_check */
	GW_REF_POSTURE_OTHER_DEVICE,
	GW_REF_N
};

/* The words for r; text instead when a policy deny brings its own (else NULL). */
const char *gw_refusal_words(enum gw_refusal r, const char *text);
/* The counter r is counted under (a value below GW_REF_COUNTERS), its key. */
enum gw_refusal gw_refusal_counter(enum gw_refusal r);
const char *gw_refusal_key(enum gw_refusal r);
/* Counts r under its counter. */
void gw_stats_refused(struct gw_worker *w, enum gw_refusal r);

#endif
