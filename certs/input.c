/* SPDX-License-Identifier: MIT */
/*
 * The operator input parsers of certs/input.h. A device id and a group
 * become file names and certificate fields, and an owner's name is shown to
 * operators, so each is checked whole here, before anything is built from
 * it; the grammar of ids and owners is the device-certificate contract's
 * (common/device.c), so that the gateway reads what postern-ca wrote.
 */
#include "certs/input.h"

#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "common/macros.h"
#include "common/number.h"
#include "common/time.h"
#include "common/utf8.h"

static bool ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

bool ca_device_id_valid(const char *id)
{
	return id && cm_device_id_valid(id, strlen(id));
}

bool ca_group_valid(const char *group)
{
	return group && cm_device_id_valid(group, strlen(group));
}

bool ca_owner_valid(const char *owner)
{
	long n = owner ? cm_utf8_text_chars(owner, strlen(owner)) : -1;

	return n >= 1 && n <= CA_OWNER_MAX;
}

bool ca_name_valid(const char *name)
{
	long n = name ? cm_utf8_text_chars(name, strlen(name)) : -1;

	return n >= 1 && n <= CA_NAME_MAX;
}

static bool dns_label_valid(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 63 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!ascii_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

bool ca_hostname_valid(const char *name)
{
	size_t n = name ? strnlen(name, CA_HOSTNAME_MAX + 1) : 0;
	const char *label = name, *dot;

	if (n == 0 || n > CA_HOSTNAME_MAX)
		return false;
	for (;;) {
		dot = strchr(label, '.');
		if (!dns_label_valid(label, dot ? (size_t)(dot - label) : strlen(label)))
			return false;
		if (!dot)
			return true;
		label = dot + 1;
	}
}

int ca_days_parse(const char *text, unsigned int *out)
{
	uint64_t v;

	if (cm_number_parse(text, 1, CA_DAYS_MAX, &v))
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* A certificate's validity cannot start before 1970: the day count is >= 0. */
int ca_date_parse(const char *text, time_t *out)
{
	int64_t days;

	if (cm_date_parse(text, &days) || days < 0)
		return -EINVAL;
	*out = (time_t)(days * CA_DAY_SECONDS);
	return 0;
}

int ca_ip_parse(const char *text, struct ca_ip *out)
{
	struct ca_ip ip = { 0 };

	if (!text)
		return -EINVAL;
	if (inet_pton(AF_INET, text, ip.addr) == 1)
		ip.family = AF_INET;
	else if (inet_pton(AF_INET6, text, ip.addr) == 1)
		ip.family = AF_INET6;
	else
		return -EINVAL;
	*out = ip;
	return 0;
}

static const struct {
	enum ca_reason reason;
	const char *name;
} reason_names[] = {
	{ CA_REASON_UNSPECIFIED, "unspecified" },
	{ CA_REASON_KEY_COMPROMISE, "keyCompromise" },
	{ CA_REASON_AFFILIATION_CHANGED, "affiliationChanged" },
	{ CA_REASON_SUPERSEDED, "superseded" },
	{ CA_REASON_CESSATION_OF_OPERATION, "cessationOfOperation" },
};

int ca_reason_parse(const char *text, enum ca_reason *out)
{
	size_t i;

	for (i = 0; text && i < CM_ARRAY_SIZE(reason_names); i++) {
		if (strcmp(text, reason_names[i].name) == 0) {
			*out = reason_names[i].reason;
			return 0;
		}
	}
	return -EINVAL;
}

const char *ca_reason_name(enum ca_reason reason)
{
	size_t i;

	for (i = 0; i < CM_ARRAY_SIZE(reason_names); i++)
		if (reason_names[i].reason == reason)
			return reason_names[i].name;
	return "unspecified";
}
