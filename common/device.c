/* SPDX-License-Identifier: MIT */
/*
 * The device-certificate contract (see common/device.h): the id grammar,
 * the ownership names and the urn:postern: URIs, both ways.
 */
#include "common/device.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/macros.h"

static const char *const device_ownership_names[] = {
	[CM_OWNERSHIP_CORPORATE] = "corporate",
	[CM_OWNERSHIP_BYOD] = "byod",
};

/* ASCII only: isalnum() would follow the locale. */
static bool device_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool cm_device_id_valid(const char *s, size_t len)
{
	size_t i;

	if (!s || len == 0 || len > CM_DEVICE_ID_MAX || !device_alnum(s[0]))
		return false;
	for (i = 1; i < len; i++) {
		if (!device_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
	}
	return true;
}

const char *cm_ownership_name(enum cm_ownership o)
{
	return device_ownership_names[o == CM_OWNERSHIP_BYOD ? CM_OWNERSHIP_BYOD
							     : CM_OWNERSHIP_CORPORATE];
}

int cm_ownership_parse(const char *s, size_t len, enum cm_ownership *out)
{
	size_t i;

	for (i = 0; s && i < CM_ARRAY_SIZE(device_ownership_names); i++) {
		if (len == strlen(device_ownership_names[i]) &&
		    !memcmp(s, device_ownership_names[i], len)) {
			*out = (enum cm_ownership)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int device_uri_put(char *buf, size_t len, const char *prefix, const char *rest)
{
	int n = snprintf(buf, len, "%s%s", prefix, rest);

	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int cm_device_uri_format(const char *device_id, char *buf, size_t len)
{
	if (!device_id || !cm_device_id_valid(device_id, strlen(device_id)))
		return -EINVAL;
	return device_uri_put(buf, len, CM_URN_DEVICE, device_id);
}

int cm_ownership_uri_format(enum cm_ownership o, char *buf, size_t len)
{
	return device_uri_put(buf, len, CM_URN_OWNERSHIP, cm_ownership_name(o));
}

static bool device_uri_prefix(const char *uri, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len > n && !memcmp(uri, prefix, n);
}

int cm_device_uri_parse(const char *uri, size_t len, struct cm_device_uri *out)
{
	size_t n;

	memset(out, 0, sizeof(*out));
	if (device_uri_prefix(uri, len, CM_URN_DEVICE)) {
		n = strlen(CM_URN_DEVICE);
		if (!cm_device_id_valid(uri + n, len - n))
			return -EINVAL;
		memcpy(out->device_id, uri + n, len - n);
		out->kind = CM_URI_DEVICE;
	} else if (device_uri_prefix(uri, len, CM_URN_OWNERSHIP)) {
		n = strlen(CM_URN_OWNERSHIP);
		if (!cm_ownership_parse(uri + n, len - n, &out->ownership))
			out->kind = CM_URI_OWNERSHIP;
	}
	return 0;
}
