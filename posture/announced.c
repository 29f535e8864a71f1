/* SPDX-License-Identifier: MIT */
/*
 * What the VPN client announces about the device in its init request (the
 * facts of source "client", hence pst_client_*): the <device-id> element of
 * the XML body, which openconnect writes as
 *
 *	<device-id platform-version="6.1.0" device-type="..." unique-id="...">linux-64</device-id>
 *
 * and the X-AnyConnect-Identifier-* headers. These are hints from a client
 * that has not authenticated anything yet, so they get the lowest rank and
 * are read with a small extractor, not an XML library: it looks at the first
 * <device-id> start tag only, takes double-quoted attributes, never reads
 * past the buffer, and skips whatever it does not understand. A value with
 * an entity reference ("&amp;") is skipped rather than decoded: no platform
 * name or version needs one.
 *
 * The stock openconnect sends platform-version (and the headers) only with
 * --os=android or --os=apple-ios, and then always "1.0", device-type the
 * same as the platform and unique-id forty 'A's, whatever the phone is. The
 * values are kept as they came, for the audit log and a replay; the engine
 * (posture/policy.c) knows a version the platform cannot be running for
 * what it is.
 */
#include "posture/posture.h"

#include <string.h>
#include <strings.h>

#include "common/macros.h"

#define CLIENT_TAG "<device-id"
#define CLIENT_END_TAG "</device-id>"
#define CLIENT_ATTR_NAME_MAX 32

/* The client's platform names, as openconnect and AnyConnect spell them. */
static const struct {
	const char *client;
	const char *os_name;
} client_platforms[] = {
	{ "linux", "linux" },
	{ "linux-64", "linux" },
	{ "win", "windows" },
	{ "mac-intel", "macos" },
	{ "mac", "macos" },
	{ "android", "android" },
	{ "apple-ios", "ios" },
};

/* A fact from a string that is not NUL-terminated; bad values are skipped. */
static void client_set(struct pst_facts *facts, const char *name, const char *v, size_t n,
		       time_t now)
{
	char value[PST_VALUE_MAX + 1];

	if (n == 0 || n > PST_VALUE_MAX || memchr(v, '&', n) || memchr(v, '<', n))
		return;
	memcpy(value, v, n);
	value[n] = '\0';
	pst_facts_set(facts, name, value, PST_SRC_CLIENT, now);
}

static void client_set_platform(struct pst_facts *facts, const char *v, size_t n, time_t now)
{
	size_t i;

	for (i = 0; i < CM_ARRAY_SIZE(client_platforms); i++) {
		if (strlen(client_platforms[i].client) == n &&
		    !memcmp(client_platforms[i].client, v, n)) {
			client_set(facts, "os.name", client_platforms[i].os_name,
				   strlen(client_platforms[i].os_name), now);
			return;
		}
	}
}

static bool client_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool client_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == ':' || c == '.';
}

/* The first "<device-id" that is a whole tag name; returns the index after
 * the name, or 0. */
static size_t client_find_tag(const char *xml, size_t len)
{
	size_t tl = strlen(CLIENT_TAG), at = 0;
	const char *p;
	char c;

	while (at < len && (p = memmem(xml + at, len - at, CLIENT_TAG, tl))) {
		at = (size_t)(p - xml) + tl;
		if (at >= len)
			return 0;
		c = xml[at];
		if (client_space(c) || c == '>' || c == '/')
			return at;
	}
	return 0;
}

/* One attribute the extractor wants, as found. */
struct client_attr {
	const char *name;	/* XML attribute */
	const char *fact;
	const char *value;
	size_t len;
};

/* name="value" at xml[*at]; returns false when it is not one. */
static bool client_attr_next(const char *xml, size_t len, size_t *at, struct client_attr *attrs,
			     size_t n_attrs)
{
	size_t i = *at, name_at, name_len, v_at;
	const char *q;

	for (name_at = i; i < len && client_name_char(xml[i]); i++)
		;
	name_len = i - name_at;
	if (name_len == 0 || name_len > CLIENT_ATTR_NAME_MAX)
		return false;
	for (; i < len && client_space(xml[i]); i++)
		;
	if (i >= len || xml[i++] != '=')
		return false;
	for (; i < len && client_space(xml[i]); i++)
		;
	if (i >= len || xml[i++] != '"' || !(q = memchr(xml + i, '"', len - i)))
		return false;
	v_at = i;
	*at = (size_t)(q - xml) + 1;
	for (i = 0; i < n_attrs; i++) {
		if (strlen(attrs[i].name) == name_len &&
		    !memcmp(attrs[i].name, xml + name_at, name_len)) {
			attrs[i].value = xml + v_at;
			attrs[i].len = (size_t)(q - xml) - v_at;
		}
	}
	return true;
}

/* Reads the attributes up to the end of the start tag. Returns the index
 * after '>' (or after "/>", with *empty set), 0 for a malformed tag. */
static size_t client_attrs(const char *xml, size_t len, size_t at, struct client_attr *attrs,
			   size_t n_attrs, bool *empty)
{
	for (;;) {
		for (; at < len && client_space(xml[at]); at++)
			;
		if (at >= len)
			return 0;
		if (xml[at] == '>')
			return at + 1;
		if (xml[at] == '/') {
			*empty = true;
			return at + 1 < len && xml[at + 1] == '>' ? at + 2 : 0;
		}
		if (!client_attr_next(xml, len, &at, attrs, n_attrs))
			return 0;
	}
}

void pst_client_xml(const char *xml, size_t len, time_t now, struct pst_facts *facts)
{
	struct client_attr attrs[] = {
		{ "platform-version", "os.version", NULL, 0 },
		{ "device-type", "device.type", NULL, 0 },
		{ "unique-id", "device.unique-id", NULL, 0 },
	};
	size_t at, i;
	bool empty = false;
	const char *end;

	if (!xml || !facts || !(at = client_find_tag(xml, len)))
		return;
	at = client_attrs(xml, len, at, attrs, CM_ARRAY_SIZE(attrs), &empty);
	if (!at)
		return;
	for (i = 0; i < CM_ARRAY_SIZE(attrs); i++) {
		if (attrs[i].value)
			client_set(facts, attrs[i].fact, attrs[i].value, attrs[i].len, now);
	}
	end = empty ? NULL : memmem(xml + at, len - at, CLIENT_END_TAG, strlen(CLIENT_END_TAG));
	if (end)
		client_set_platform(facts, xml + at, (size_t)(end - xml) - at, now);
}

/* HTTP's optional white space around a header value. */
static void client_trim(const char **v, size_t *n)
{
	while (*n && (**v == ' ' || **v == '\t')) {
		(*v)++;
		(*n)--;
	}
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t'))
		(*n)--;
}

static bool client_header_is(const char *name, size_t n, const char *want)
{
	return strlen(want) == n && !strncasecmp(name, want, n);
}

void pst_client_header(const char *name, size_t name_len, const char *value, size_t value_len,
		       time_t now, struct pst_facts *facts)
{
	if (!name || !value || !facts)
		return;
	client_trim(&value, &value_len);
	if (client_header_is(name, name_len, "X-AnyConnect-Identifier-Platform"))
		client_set_platform(facts, value, value_len, now);
	else if (client_header_is(name, name_len, "X-AnyConnect-Identifier-PlatformVersion"))
		client_set(facts, "os.version", value, value_len, now);
	else if (client_header_is(name, name_len, "X-AnyConnect-Identifier-DeviceType"))
		client_set(facts, "device.type", value, value_len, now);
	else if (client_header_is(name, name_len, "X-AnyConnect-Identifier-Device-UniqueID"))
		client_set(facts, "device.unique-id", value, value_len, now);
}
