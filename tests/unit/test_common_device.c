/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/device.c, the device-certificate contract: the id
 * grammar (ASCII whatever the locale), the ownership names, and the
 * urn:postern: URIs written and read back.
 */
#include <errno.h>
#include <locale.h>
#include <string.h>

#include "common/device.h"
#include "tests/unit/unit.h"

static bool id_ok(const char *s)
{
	return cm_device_id_valid(s, strlen(s));
}

static void test_id_grammar(void)
{
	char long_id[CM_DEVICE_ID_MAX + 2];

	CHECK(id_ok("laptop-0042"));
	CHECK(id_ok("A.b_c-9"));
	CHECK(id_ok("0"));
	memset(long_id, 'a', CM_DEVICE_ID_MAX);
	long_id[CM_DEVICE_ID_MAX] = '\0';
	CHECK(id_ok(long_id));
	long_id[CM_DEVICE_ID_MAX] = 'a';
	long_id[CM_DEVICE_ID_MAX + 1] = '\0';
	CHECK(!id_ok(long_id));
	CHECK(!id_ok(""));
	CHECK(!id_ok(".hidden"));
	CHECK(!id_ok("-rf"));
	CHECK(!id_ok("_x"));
	CHECK(!id_ok("../x"));
	CHECK(!id_ok("a/b"));
	CHECK(!id_ok("a b"));
	CHECK(!id_ok("caf\xc3\xa9"));
	CHECK(!cm_device_id_valid("ab\0c", 4));	/* a NUL inside */
	CHECK(cm_device_id_valid("ab\0c", 2));
	CHECK(!cm_device_id_valid(NULL, 0));
}

/* isalnum() in a Latin-1 locale takes 0xe9 for a letter; the grammar does not. */
static void test_id_locale(void)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	CHECK(!id_ok("caf\xe9"));
	if (setlocale(LC_CTYPE, "en_US.ISO-8859-1") || setlocale(LC_CTYPE, "de_DE.ISO-8859-1"))
		CHECK(!id_ok("caf\xe9"));
	CHECK(!cm_device_id_valid("\xe9", 1));
	setlocale(LC_CTYPE, "C");
}

static void test_ownership(void)
{
	enum cm_ownership o = CM_OWNERSHIP_CORPORATE;

	CHECK_EQ_STR(cm_ownership_name(CM_OWNERSHIP_CORPORATE), "corporate");
	CHECK_EQ_STR(cm_ownership_name(CM_OWNERSHIP_BYOD), "byod");
	CHECK_EQ_INT(cm_ownership_parse("byod", 4, &o), 0);
	CHECK_EQ_INT(o, CM_OWNERSHIP_BYOD);
	CHECK_EQ_INT(cm_ownership_parse("corporate", 9, &o), 0);
	CHECK_EQ_INT(o, CM_OWNERSHIP_CORPORATE);
	CHECK_EQ_INT(cm_ownership_parse("byodx", 4, &o), 0);	/* len bounds it */
	CHECK_EQ_INT(cm_ownership_parse("BYOD", 4, &o), -EINVAL);
	CHECK_EQ_INT(cm_ownership_parse("byo", 3, &o), -EINVAL);
	CHECK_EQ_INT(cm_ownership_parse("any", 3, &o), -EINVAL);
	CHECK_EQ_INT(cm_ownership_parse(NULL, 0, &o), -EINVAL);
}

static void test_uri_format(void)
{
	char buf[CM_DEVICE_URI_MAX];

	CHECK_EQ_INT(cm_device_uri_format("laptop-1", buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "urn:postern:device:laptop-1");
	CHECK_EQ_INT(cm_device_uri_format("../x", buf, sizeof(buf)), -EINVAL);
	CHECK_EQ_INT(cm_device_uri_format("laptop-1", buf, 20), -ENOSPC);
	CHECK_EQ_INT(cm_ownership_uri_format(CM_OWNERSHIP_BYOD, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "urn:postern:ownership:byod");
	CHECK_EQ_INT(cm_ownership_uri_format(CM_OWNERSHIP_CORPORATE, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "urn:postern:ownership:corporate");
}

static int uri(const char *s, struct cm_device_uri *u)
{
	return cm_device_uri_parse(s, strlen(s), u);
}

static void test_uri_parse(void)
{
	struct cm_device_uri u;

	CHECK_EQ_INT(uri("urn:postern:device:laptop-1", &u), 0);
	CHECK_EQ_INT(u.kind, CM_URI_DEVICE);
	CHECK_EQ_STR(u.device_id, "laptop-1");
	CHECK_EQ_INT(uri("urn:postern:ownership:byod", &u), 0);
	CHECK_EQ_INT(u.kind, CM_URI_OWNERSHIP);
	CHECK_EQ_INT(u.ownership, CM_OWNERSHIP_BYOD);
	CHECK_EQ_INT(uri("urn:postern:ownership:corporate", &u), 0);
	CHECK_EQ_INT(u.ownership, CM_OWNERSHIP_CORPORATE);
	CHECK_EQ_INT(uri("urn:postern:device:../x", &u), -EINVAL);
	CHECK_EQ_INT(uri("urn:postern:device:a b", &u), -EINVAL);
	/* Not ours, or an ownership nobody defined: ignored, not an error. */
	CHECK_EQ_INT(uri("https://example.com/", &u), 0);
	CHECK_EQ_INT(u.kind, CM_URI_OTHER);
	CHECK_EQ_INT(uri("urn:postern:ownership:rented", &u), 0);
	CHECK_EQ_INT(u.kind, CM_URI_OTHER);
	CHECK_EQ_INT(uri("urn:postern:device:", &u), 0);
	CHECK_EQ_INT(u.kind, CM_URI_OTHER);
	CHECK_EQ_INT(cm_device_uri_parse("urn:postern:device:ab\0c", 23, &u), -EINVAL);
}

int main(void)
{
	RUN(test_id_grammar);
	RUN(test_id_locale);
	RUN(test_ownership);
	RUN(test_uri_format);
	RUN(test_uri_parse);
	UNIT_EXIT();
}
