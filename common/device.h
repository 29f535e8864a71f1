/* SPDX-License-Identifier: MIT */
/*
 * The device-certificate contract: what postern-ca writes into a device's
 * certificate and what the gateway, the posture agent and the dry run read
 * back from it, in one place so that writer and readers cannot drift apart.
 *
 *   subject CN   the device id; OU its group; "name" (2.5.4.41) its owner
 *   SAN URI      urn:postern:device:ID          (the CN, repeated exactly)
 *   SAN URI      urn:postern:ownership:corporate | urn:postern:ownership:byod
 *
 * Device ids and groups become file names, log fields and CSV keys, so they
 * are plain ASCII, tested byte by byte whatever the locale: 1 to
 * CM_DEVICE_ID_MAX of [A-Za-z0-9._-], the first a letter or a digit (no
 * ".hidden", no "-rf", no "../x"). An owner's name is well-formed UTF-8
 * without control characters (common/utf8.h), 1 to CM_OWNER_MAX characters.
 */
#ifndef POSTERN_COMMON_DEVICE_H
#define POSTERN_COMMON_DEVICE_H

#include <stdbool.h>
#include <stddef.h>

#define CM_DEVICE_ID_MAX	64	/* bytes of a device id or group */
#define CM_OWNER_MAX		128	/* characters of an owner's name */
#define CM_OWNER_BYTES_MAX	(CM_OWNER_MAX * 4)

#define CM_URN_DEVICE		"urn:postern:device:"
#define CM_URN_OWNERSHIP	"urn:postern:ownership:"
/* Room for either URI and its NUL. */
#define CM_DEVICE_URI_MAX	(sizeof(CM_URN_DEVICE) + CM_DEVICE_ID_MAX)

/* Whose device it is: the company's, or the user's own. */
enum cm_ownership {
	CM_OWNERSHIP_CORPORATE,
	CM_OWNERSHIP_BYOD,
};

/* What one subjectAltName URI says. */
enum cm_uri_kind {
	CM_URI_OTHER,		/* not ours (or an ownership we do not know): ignored */
	CM_URI_DEVICE,
	CM_URI_OWNERSHIP,
};

struct cm_device_uri {
	enum cm_uri_kind kind;
	char device_id[CM_DEVICE_ID_MAX + 1];	/* CM_URI_DEVICE */
	enum cm_ownership ownership;		/* CM_URI_OWNERSHIP */
};

/* A device id or a group: the len bytes at s follow the grammar above. */
bool cm_device_id_valid(const char *s, size_t len);
/* "corporate" or "byod". */
const char *cm_ownership_name(enum cm_ownership o);
/* The len bytes at s name an ownership. 0 or -EINVAL. */
int cm_ownership_parse(const char *s, size_t len, enum cm_ownership *out);

/* "urn:postern:device:ID" into buf. 0, -EINVAL for a bad id, -ENOSPC. */
int cm_device_uri_format(const char *device_id, char *buf, size_t len);
/* "urn:postern:ownership:NAME" into buf. 0 or -ENOSPC. */
int cm_ownership_uri_format(enum cm_ownership o, char *buf, size_t len);
/*
 * Reads one SAN URI of len bytes. 0 with out filled (CM_URI_OTHER for any
 * URI that is not ours); -EINVAL for a urn:postern:device: URI whose id
 * breaks the grammar, which makes the certificate no device's.
 */
int cm_device_uri_parse(const char *uri, size_t len, struct cm_device_uri *out);

#endif
