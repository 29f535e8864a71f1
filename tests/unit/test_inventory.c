/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the MDM inventory loader (posture/inventory.c): the CSV as
 * real exports write it (any column order, extra columns, RFC 4180 quoting,
 * CRLF, a byte order mark, blank lines), each kind of bad record reported as
 * NAME:LINE with every problem of a file in one run and no inventory at all,
 * and the facts a record gives the engine: all of them while it is fresh,
 * only its status once it is stale (so a lost device stays denied), none
 * for a device not listed, and never more room than the set has.
 */
#include "posture/inventory.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>

#define NOW ((time_t)1760000000)	/* 2025-10-09T08:53:20Z */
#define DAY 86400u
#define HEADER "device_id,mdm_enrolled,passcode_set,os_name,os_version,last_checkin,status\n"

static struct pst_inventory *parse(const char *text, char *err, size_t errlen, int *ret)
{
	struct pst_inventory *inv = (struct pst_inventory *)1;

	*ret = pst_inventory_parse(text, strlen(text), "inv.csv", &inv, err, errlen);
	if (*ret)
		CHECK(inv == NULL);
	return *ret ? NULL : inv;
}

static int err_lines(const char *err)
{
	int n = err[0] ? 1 : 0;

	for (; *err; err++)
		n += *err == '\n';
	return n;
}

/* err has a line that starts with prefix ("inv.csv:3: ") and contains needle. */
static bool err_has(const char *err, const char *prefix, const char *needle)
{
	char *copy = strdup(err), *save = NULL, *l;
	bool found = false;

	for (l = strtok_r(copy, "\n", &save); l && !found; l = strtok_r(NULL, "\n", &save))
		found = !strncmp(l, prefix, strlen(prefix)) && strstr(l, needle);
	free(copy);
	if (!found)
		printf("# no '%s...%s' in:\n# %s\n", prefix, needle, err);
	return found;
}

/* A file that must be refused with exactly one problem. */
static void expect_error(const char *text, const char *prefix, const char *needle)
{
	char err[2048];
	int ret;

	parse(text, err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, -EINVAL);
	CHECK(err_has(err, prefix, needle));
	if (err_lines(err) != 1) {
		printf("# expected one problem, got:\n# %s\n", err);
		CHECK(0);
	}
}

static const char *value_of(const struct pst_facts *fs, const char *name)
{
	const struct pst_fact *f = pst_facts_get_from(fs, name, PST_SRC_MDM);

	return f ? f->value : NULL;
}

/* ---- good files ---- */

static void test_basic(void)
{
	static const char text[] = HEADER
		"dev-1,true,false,ios,17.4.1,2025-10-09T08:00:00Z,active\n"
		"laptop.7,1,0,Linux,12,1759996400,Lost\n"
		"b_2,YES,no,macOS,14.8,2025-10-09T10:00:00+02:00,RETIRED\n";
	struct pst_inventory *inv;
	struct pst_facts fs;
	const struct pst_fact *f;
	char err[512];
	int ret;

	inv = parse(text, err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_INT(pst_inventory_count(inv), 3);
	CHECK_EQ_INT((int)strlen(pst_inventory_sha256(inv)), 64);
	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_inventory_facts(inv, "dev-1", NOW, DAY, &fs), 1);
	CHECK_EQ_INT(fs.n, 5);
	CHECK_EQ_STR(value_of(&fs, "device.status"), "active");
	CHECK_EQ_STR(value_of(&fs, "mdm.enrolled"), "true");
	CHECK_EQ_STR(value_of(&fs, "passcode.set"), "false");
	CHECK_EQ_STR(value_of(&fs, "os.name"), "ios");
	CHECK_EQ_STR(value_of(&fs, "os.version"), "17.4.1");
	f = pst_facts_get(&fs, "os.name");
	CHECK(f && f->source == PST_SRC_MDM && f->time == NOW - 3200);
	/* Case is folded to the canonical words. */
	CHECK_EQ_INT(pst_inventory_facts(inv, "laptop.7", NOW, DAY, &fs), 1);
	CHECK_EQ_INT(fs.n, 5);
	CHECK_EQ_STR(value_of(&fs, "device.status"), "lost");
	CHECK_EQ_STR(value_of(&fs, "os.name"), "linux");
	CHECK_EQ_STR(value_of(&fs, "mdm.enrolled"), "true");
	CHECK(pst_facts_get(&fs, "os.version")->time == 1759996400);
	/* An offset: 10:00+02:00 is 08:00Z. */
	CHECK_EQ_INT(pst_inventory_facts(inv, "b_2", NOW, DAY, &fs), 1);
	CHECK_EQ_STR(value_of(&fs, "device.status"), "retired");
	CHECK_EQ_STR(value_of(&fs, "os.name"), "macos");
	CHECK_EQ_STR(value_of(&fs, "passcode.set"), "false");
	CHECK(pst_facts_get(&fs, "os.name")->time == NOW - 3200);
	/* Ids are exact: another case is another device. */
	CHECK_EQ_INT(pst_inventory_facts(inv, "DEV-1", NOW, DAY, &fs), 0);
	CHECK_EQ_INT(fs.n, 0);
	CHECK_EQ_INT(pst_inventory_facts(inv, "nobody", NOW, DAY, &fs), 0);
	CHECK_EQ_INT(pst_inventory_facts(inv, NULL, NOW, DAY, &fs), 0);
	pst_inventory_free(inv);
	pst_inventory_free(NULL);
	CHECK_EQ_INT(pst_inventory_count(NULL), 0);
}

static void hex_sha256(const char *text, size_t len, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	CHECK(EVP_Digest(text, len, md, &n, EVP_sha256(), NULL) == 1 && n == 32);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* The hash is of the bytes as given, byte order mark and blank lines too. */
static void test_sha256(void)
{
	static const char a_text[] = "\xef\xbb\xbf" HEADER "a,,,,,,\n";
	static const char c_text[] = "\xef\xbb\xbf" HEADER "a,,,,,,\n\n";
	struct pst_inventory *a, *c;
	char err[256], hex[65];
	int ret;

	a = parse(a_text, err, sizeof(err), &ret);
	c = parse(c_text, err, sizeof(err), &ret);
	CHECK(a && c);
	if (a && c) {
		hex_sha256(a_text, strlen(a_text), hex);
		CHECK_EQ_STR(pst_inventory_sha256(a), hex);
		hex_sha256(c_text, strlen(c_text), hex);
		CHECK_EQ_STR(pst_inventory_sha256(c), hex);
	}
	CHECK_EQ_STR(pst_inventory_sha256(NULL), "");
	pst_inventory_free(a);
	pst_inventory_free(c);
}

/* Columns in any order, in any case, padded; other columns ignored. */
static void test_column_order(void)
{
	static const char text[] =
		" Status ,serial,LAST_CHECKIN,os_version,notes,Device_ID,os_name,"
		"passcode_set,mdm_enrolled\n"
		"active,C02XYZ,2025-10-09T08:00:00Z,15,\"anything, at all\",dev-9,android,true,"
		"false\n";
	struct pst_inventory *inv;
	struct pst_facts fs;
	char err[512];
	int ret;

	inv = parse(text, err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_STR(err, "");
	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_inventory_facts(inv, "dev-9", NOW, DAY, &fs), 1);
	CHECK_EQ_STR(value_of(&fs, "os.name"), "android");
	CHECK_EQ_STR(value_of(&fs, "os.version"), "15");
	CHECK_EQ_STR(value_of(&fs, "passcode.set"), "true");
	CHECK_EQ_STR(value_of(&fs, "mdm.enrolled"), "false");
	CHECK_EQ_STR(value_of(&fs, "device.status"), "active");
	pst_inventory_free(inv);
}

/* RFC 4180: quoted values, "" for a quote, commas and line breaks inside. */
static void test_quoting(void)
{
	static const char text[] =
		"device_id,notes,mdm_enrolled,passcode_set,os_name,os_version,last_checkin,status\n"
		"\"q-1\",\"a \"\"quoted\"\" note, with a comma\nand a line break\",\"true\",\"\","
		"\"ios\",\"18.0 (22A3354)\",\"1760000000\",\"\"\n"
		"q-2,\"\"\"\",false,true,,,,active\n"
		"\"q-3\",,,,,,,\n";
	struct pst_inventory *inv;
	struct pst_facts fs;
	char err[512];
	int ret;

	inv = parse(text, err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_INT(pst_inventory_count(inv), 3);
	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_inventory_facts(inv, "q-1", NOW, DAY, &fs), 1);
	CHECK_EQ_INT(fs.n, 3);	/* passcode_set and status are empty: unknown */
	CHECK_EQ_STR(value_of(&fs, "os.version"), "18.0 (22A3354)");
	CHECK(value_of(&fs, "device.status") == NULL && value_of(&fs, "passcode.set") == NULL);
	CHECK_EQ_INT(pst_inventory_facts(inv, "q-2", NOW, DAY, &fs), 1);
	/* No last_checkin: the record's age is unknown, so only its status counts. */
	CHECK_EQ_INT(fs.n, 1);
	CHECK_EQ_STR(value_of(&fs, "device.status"), "active");
	CHECK_EQ_INT(pst_inventory_facts(inv, "q-3", NOW, DAY, &fs), 1);
	CHECK_EQ_INT(fs.n, 0);
	pst_inventory_free(inv);
}

/* What a spreadsheet saves: a BOM, CRLF, blank lines, no final line end. */
static void test_line_ends(void)
{
	static const char text[] =
		"\xef\xbb\xbf" "device_id,mdm_enrolled,passcode_set,os_name,os_version,"
		"last_checkin,status\r\n"
		"\r\n"
		"c-1,true,true,windows,10.0.22631,2025-10-09T08:53:20.1234567Z,active\r\n"
		"   \t\r\n"
		"\n"
		"c-2,false,false,linux,12,2025-10-09T03:23:20-05:30,active";
	struct pst_inventory *inv;
	struct pst_facts fs;
	char err[512];
	int ret;

	inv = parse(text, err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_INT(pst_inventory_count(inv), 2);
	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_inventory_facts(inv, "c-1", NOW, DAY, &fs), 1);
	CHECK_EQ_STR(value_of(&fs, "device.status"), "active");
	CHECK(pst_facts_get(&fs, "os.name")->time == NOW);
	CHECK_EQ_INT(pst_inventory_facts(inv, "c-2", NOW, DAY, &fs), 1);
	CHECK_EQ_STR(value_of(&fs, "device.status"), "active");
	CHECK(pst_facts_get(&fs, "os.name")->time == NOW);	/* 03:23:20-05:30 */
	pst_inventory_free(inv);
	/* A header alone is an empty inventory, not an error. */
	inv = parse(HEADER, err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_INT(pst_inventory_count(inv), 0);
	CHECK_EQ_INT(pst_inventory_facts(inv, "c-1", NOW, DAY, &fs), 0);
	pst_inventory_free(inv);
}

static void test_times(void)
{
	static const struct { const char *text; time_t t; } good[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "0", 0 },
		{ "1760000000", NOW },
		{ "2025-10-09T08:53:20Z", NOW },
		{ "2025-10-09T08:53:20.5Z", NOW },
		{ "2025-10-09T10:53:20+02:00", NOW },
		{ "2025-10-08T23:53:20-09:00", NOW },
		{ "2024-02-29T12:00:00Z", 1709208000 },
		{ "9999-12-31T23:59:59Z", (time_t)253402300799LL },
	};
	static const char *const bad[] = {
		"2025-10-09", "2025-10-09 08:53:20Z", "2025-10-09T08:53:20", "2025-10-09t08:53:20z",
		"2025-02-29T00:00:00Z", "2025-10-09T24:00:00Z", "2025-10-09T08:60:00Z",
		"2025-10-09T08:53:60Z", "2025-10-09T08:53:20+2:00", "2025-10-09T08:53:20+24:00",
		"2025-10-09T08:53:20.Z", "2025-10-09T08:53:20.1234567890Z", "2025-10-09T08:53:20ZZ",
		"01760000000", "-1", "+1760000000", "1e9", "253402300800", "1760000000.5", "now",
	};
	char text[512], err[512];
	struct pst_inventory *inv;
	struct pst_facts fs;
	size_t i;
	int ret;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), HEADER "t,,,,,%s,active\n", good[i].text);
		inv = parse(text, err, sizeof(err), &ret);
		pst_facts_init(&fs);
		if (ret || pst_inventory_facts(inv, "t", NOW, DAY, &fs) != 1 ||
		    pst_facts_get(&fs, "device.status")->time != good[i].t) {
			printf("# time '%s' not read as %lld: %s\n", good[i].text,
			       (long long)good[i].t, err);
			CHECK(0);
		}
		pst_inventory_free(inv);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), HEADER "t,,,,,%s,active\n", bad[i]);
		expect_error(text, "inv.csv:2: ", "last_checkin '");
	}
}

/* ---- the facts a record gives ---- */

static void test_stale(void)
{
	static const char text[] = HEADER
		"fresh,true,true,ios,18,1759913600,active\n"	/* exactly a day old */
		"old,true,true,ios,18,1759913599,active\n"	/* a day and a second */
		"lost-old,true,true,ios,18,1000000000,lost\n"
		"retired-old,true,true,ios,18,1000000000,retired\n"
		"ahead,true,true,ios,18,1760003600,active\n"	/* an hour ahead: fine */
		"far-ahead,true,true,ios,18,1760003601,active\n";
	struct pst_inventory *inv;
	struct pst_facts fs;
	char err[512];
	int ret;

	inv = parse(text, err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, 0);
	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_inventory_facts(inv, "fresh", NOW, DAY, &fs), 1);
	CHECK_EQ_INT(fs.n, 5);
	/* A stale record counts as missing, except for its status. */
	CHECK_EQ_INT(pst_inventory_facts(inv, "old", NOW, DAY, &fs), 1);
	CHECK_EQ_INT(fs.n, 1);
	CHECK_EQ_STR(value_of(&fs, "device.status"), "active");
	CHECK(pst_facts_get(&fs, "device.status")->time == 1759913599);
	CHECK_EQ_INT(pst_inventory_facts(inv, "old", NOW, DAY + 1, &fs), 1);
	CHECK_EQ_INT(fs.n, 5);
	/* Lost and retired stay, however old. */
	CHECK_EQ_INT(pst_inventory_facts(inv, "lost-old", NOW, DAY, &fs), 1);
	CHECK_EQ_INT(fs.n, 1);
	CHECK_EQ_STR(value_of(&fs, "device.status"), "lost");
	CHECK_EQ_INT(pst_inventory_facts(inv, "retired-old", NOW, 60, &fs), 1);
	CHECK_EQ_STR(value_of(&fs, "device.status"), "retired");
	/* Dated ahead: up to the skew it is fresh, past it a mistake. */
	CHECK_EQ_INT(pst_inventory_facts(inv, "ahead", NOW, DAY, &fs), 1);
	CHECK_EQ_INT(fs.n, 5);
	CHECK_EQ_INT(pst_inventory_facts(inv, "far-ahead", NOW, DAY, &fs), 1);
	CHECK_EQ_INT(fs.n, 1);
	pst_inventory_free(inv);
}

/* The inventory is the only mdm source: its record replaces earlier mdm
 * facts and leaves the other sources alone. */
static void test_facts_replace(void)
{
	static const char text[] = HEADER "r-1,true,,linux,12,1760000000,\n";
	struct pst_inventory *inv;
	struct pst_facts fs;
	char err[512];
	int ret;

	inv = parse(text, err, sizeof(err), &ret);
	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_facts_set(&fs, "passcode.set", "true", PST_SRC_MDM, NOW), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "device.status", "lost", PST_SRC_MDM, NOW), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", "android", PST_SRC_AGENT, NOW), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "device.id", "r-1", PST_SRC_CERT, NOW), 0);
	CHECK_EQ_INT(pst_inventory_facts(inv, "r-1", NOW, DAY, &fs), 1);
	CHECK_EQ_INT(fs.n, 5);
	CHECK(value_of(&fs, "passcode.set") == NULL && value_of(&fs, "device.status") == NULL);
	CHECK_EQ_STR(value_of(&fs, "os.name"), "linux");
	CHECK_EQ_STR(pst_facts_get_from(&fs, "os.name", PST_SRC_AGENT)->value, "android");
	CHECK(pst_facts_get_from(&fs, "device.id", PST_SRC_CERT) != NULL);
	/* No record (or no inventory): no mdm facts at all. */
	CHECK_EQ_INT(pst_inventory_facts(inv, "r-2", NOW, DAY, &fs), 0);
	CHECK_EQ_INT(fs.n, 2);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", "ios", PST_SRC_MDM, NOW), 0);
	CHECK_EQ_INT(pst_inventory_facts(NULL, "r-1", NOW, DAY, &fs), 0);
	CHECK_EQ_INT(fs.n, 2);
	pst_inventory_free(inv);
}

/* -ENOSPC when the other sources leave no room; the set is not touched. */
static void test_facts_full(void)
{
	static const char text[] = HEADER "r-1,true,true,linux,12,1760000000,active\n";
	struct pst_inventory *inv;
	struct pst_facts fs, before;
	char err[512];
	size_t i;
	int ret;

	inv = parse(text, err, sizeof(err), &ret);
	pst_facts_init(&fs);
	/* 44 facts of other sources (the set takes any name of the grammar),
	 * then one mdm fact. */
	for (i = 0; i < PST_FACTS_MAX - 4; i++) {
		char name[16];

		snprintf(name, sizeof(name), "x.f%zu", i);
		CHECK_EQ_INT(pst_facts_set(&fs, name, "v", PST_SRC_CLIENT, NOW), 0);
	}
	CHECK_EQ_INT(fs.n, PST_FACTS_MAX - 4);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.kernel", "k", PST_SRC_MDM, NOW), 0);
	before = fs;
	/* 44 others + 5 from the record > 48. */
	CHECK_EQ_INT(pst_inventory_facts(inv, "r-1", NOW, DAY, &fs), -ENOSPC);
	CHECK(!memcmp(&fs, &before, sizeof(fs)));
	/* With a stale record only device.status is added: it fits. */
	CHECK_EQ_INT(pst_inventory_facts(inv, "r-1", NOW + 2 * DAY, DAY, &fs), 1);
	CHECK_EQ_INT(fs.n, PST_FACTS_MAX - 3);
	CHECK(value_of(&fs, "os.kernel") == NULL);
	pst_inventory_free(inv);
}

/* Many records: every one is found by its id. */
static void test_many(void)
{
	size_t n = 5000, i, len = 0, cap = 64 * n + 128;
	char *text = malloc(cap), id[32], err[256];
	struct pst_inventory *inv = NULL;
	struct pst_facts fs;
	int ret;

	CHECK(text != NULL);
	if (!text)
		return;
	len = (size_t)snprintf(text, cap, "%s", HEADER);
	for (i = n; i-- > 0;)
		len += (size_t)snprintf(text + len, cap - len, "d%zu,true,,,,1760000000,%s\n", i,
					i % 7 ? "active" : "lost");
	ret = pst_inventory_parse(text, len, "big.csv", &inv, err, sizeof(err));
	CHECK_EQ_INT(ret, 0);
	CHECK_EQ_INT(pst_inventory_count(inv), n);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "d%zu", i);
		pst_facts_init(&fs);
		if (pst_inventory_facts(inv, id, NOW, DAY, &fs) != 1 ||
		    strcmp(value_of(&fs, "device.status"), i % 7 ? "active" : "lost")) {
			printf("# %s not found as written\n", id);
			CHECK(0);
			break;
		}
	}
	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_inventory_facts(inv, "d5000", NOW, DAY, &fs), 0);
	pst_inventory_free(inv);
	free(text);
}

/* ---- bad files ---- */

static void test_err_header(void)
{
	expect_error("", "inv.csv: ", "no header line");
	expect_error("\n\r\n  \n", "inv.csv: ", "no header line");
	expect_error("device_id,mdm_enrolled,passcode_set,os_name,os_version,status\n"
		     "a,true,true,ios,17,active\n",
		     "inv.csv:1: ", "no column 'last_checkin' (the header must name device_id, "
		     "mdm_enrolled, passcode_set, os_name, os_version, last_checkin and status)");
}

static void test_err_header_more(void)
{
	char err[1024];
	struct pst_inventory *inv;
	int ret;

	inv = parse("\n" HEADER "x,,,,,,\n", err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, 0);
	pst_inventory_free(inv);
	/* Each missing column, each on the header's line. */
	parse("\n\nDevice_ID,os_name\n", err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, -EINVAL);
	CHECK_EQ_INT(err_lines(err), 5);
	CHECK(err_has(err, "inv.csv:3: ", "no column 'mdm_enrolled'"));
	CHECK(err_has(err, "inv.csv:3: ", "no column 'status'"));
	expect_error("device_id,mdm_enrolled,passcode_set,os_name,os_version,last_checkin,status,"
		     "DEVICE_ID\n", "inv.csv:1: ",
		     "column 'device_id' is named twice (columns 1 and 8)");
}

static void test_err_columns(void)
{
	char text[8192];
	size_t n, i;

	expect_error(HEADER "a,true,true,ios,17,1760000000\n", "inv.csv:2: ",
		     "6 values, but the header names 7 columns");
	expect_error(HEADER "a,true,true,ios,17,1760000000,active,\n", "inv.csv:2: ",
		     "8 values, but the header names 7 columns");
	expect_error(HEADER "\n\"a\"\n", "inv.csv:3: ", "1 values, but the header names 7");
	/* Past the cap on columns: refused at the header. */
	n = (size_t)snprintf(text, sizeof(text), "%s", "device_id,mdm_enrolled,passcode_set,"
			     "os_name,os_version,last_checkin,status");
	for (i = 7; i <= PST_INVENTORY_COLUMNS_MAX; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, ",x%zu", i);
	snprintf(text + n, sizeof(text) - n, "\n");
	expect_error(text, "inv.csv:1: ", "257 columns, more than the 256 a header may name");
}

static void test_err_values(void)
{
	expect_error(HEADER ",true,true,ios,17,1760000000,active\n", "inv.csv:2: ",
		     "device_id is empty");
	expect_error(HEADER "-a,true,true,ios,17,1760000000,active\n", "inv.csv:2: ",
		     "device_id '-a' is not a device id (1..64 letters, digits, '.', '_' or '-', "
		     "starting with a letter or digit)");
	expect_error(HEADER "a b,,,,,,\n", "inv.csv:2: ", "device_id 'a b' is not a device id");
	expect_error(HEADER "d\xc3\xa9v,,,,,,\n", "inv.csv:2: ", "is not a device id");
	expect_error(HEADER "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		     ",,,,,,\n", "inv.csv:2: ", "is not a device id");
	expect_error(HEADER "a,maybe,true,ios,17,1760000000,active\n", "inv.csv:2: ",
		     "mdm_enrolled 'maybe' is not true or false");
	expect_error(HEADER "a,true,on,ios,17,1760000000,active\n", "inv.csv:2: ",
		     "passcode_set 'on' is not true or false");
	expect_error(HEADER "a,true,true,chromeos,17,1760000000,active\n", "inv.csv:2: ",
		     "os_name 'chromeos' is not ios, android, linux, windows or macos (leave it "
		     "empty when unknown)");
	expect_error(HEADER "a,true,true,ios,seventeen,1760000000,active\n", "inv.csv:2: ",
		     "os_version 'seventeen' is not a version number");
	expect_error(HEADER "a,true,true,ios,\"17 \"\"x\"\"\",1760000000,active\n", "inv.csv:2: ",
		     "os_version '17 \"x\"' is not a version number");
	expect_error(HEADER "a,true,true,ios,17,yesterday,active\n", "inv.csv:2: ",
		     "last_checkin 'yesterday' is not a time (like 2026-11-27T10:00:00Z, with "
		     "+HH:MM instead of Z, or seconds since 1970)");
	expect_error(HEADER "a,true,true,ios,17,1760000000,stolen\n", "inv.csv:2: ",
		     "status 'stolen' is not active, lost or retired");
	expect_error(HEADER "a,true,true,ios,17,1760000000, active\n", "inv.csv:2: ",
		     "status ' active' is not active");
}

static void test_err_duplicates(void)
{
	char err[1024];
	int ret;

	expect_error(HEADER "a,,,,,,\nb,,,,,,\n\na,,,,,,\n", "inv.csv:5: ",
		     "device_id 'a' is listed twice (first on line 2)");
	/* Each repeat names the first. */
	parse(HEADER "z,,,,,,\nz,,,,,,\ny,,,,,,\nz,,,,,,\n", err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, -EINVAL);
	CHECK_EQ_INT(err_lines(err), 2);
	CHECK(err_has(err, "inv.csv:3: ", "device_id 'z' is listed twice (first on line 2)"));
	CHECK(err_has(err, "inv.csv:5: ", "device_id 'z' is listed twice (first on line 2)"));
}

static void test_err_syntax(void)
{
	char *big;
	size_t n = PST_INVENTORY_RECORD_MAX + 100;

	expect_error(HEADER "a,\"true,true,ios,17,1760000000,active\n", "inv.csv:2: ",
		     "a quoted value opened here is never closed");
	expect_error(HEADER "a,tr\"ue,true,ios,17,1760000000,active\n", "inv.csv:2: ",
		     "a quote inside an unquoted value");
	expect_error(HEADER "a,\"true\"x,true,ios,17,1760000000,active\n", "inv.csv:2: ",
		     "unexpected text after a closing quote");
	expect_error(HEADER "a,true\r,true,ios,17,1760000000,active\n", "inv.csv:2: ",
		     "a carriage return inside a value");
	expect_error(HEADER "a,true,true,ios,17,1760000000,active\n\"b\nc\",,,,,,\n",
		     "inv.csv:3: ", "device_id 'b?c' is not a device id");
	/* The line of a record is where it starts; lines inside quotes count. */
	{
		char err[512];
		int ret;

		parse(HEADER "a,\"x\ny\",,,,,\nb,,,,,,\nc,,,,,,x\n", err, sizeof(err), &ret);
		CHECK_EQ_INT(ret, -EINVAL);
		CHECK(err_has(err, "inv.csv:2: ", "mdm_enrolled 'x?y' is not true or false"));
		CHECK(err_has(err, "inv.csv:5: ", "status 'x'"));
		CHECK_EQ_INT(err_lines(err), 2);
	}
	/* A record too long to be real: probably a quote left open. */
	big = malloc(n + 256);
	CHECK(big != NULL);
	if (big) {
		size_t k = (size_t)snprintf(big, n + 256, "%s", HEADER "a,,,,,,\"");

		memset(big + k, 'x', n);
		strcpy(big + k + n, "\"\n");
		expect_error(big, "inv.csv:2: ", "the record starting here is longer than 65536 "
			     "bytes (a quote left open?)");
		free(big);
	}
}

/* Every bad field of a line is reported, each once, syntax errors (named by
 * their column) and bad values alike; the line's record is not kept. */
static void test_err_every_field(void)
{
	char err[2048];
	int ret;

	parse(HEADER "ok-1,true,true,ios,17,1760000000,active\n"
	      "d\"2,ma\"ybe,\"true\"x,beos,x.y,never,gone\r\n", err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, -EINVAL);
	CHECK_EQ_INT(err_lines(err), 7);
	CHECK(err_has(err, "inv.csv:3: ", "device_id: a quote inside an unquoted value (quote "
		      "the whole value: \"a \"\"b\"\"\")"));
	CHECK(err_has(err, "inv.csv:3: ", "mdm_enrolled: a quote inside an unquoted value"));
	CHECK(err_has(err, "inv.csv:3: ", "passcode_set: unexpected text after a closing quote "
		      "(a quote inside a quoted value is written \"\")"));
	CHECK(err_has(err, "inv.csv:3: ", "os_name 'beos' is not ios, android, linux, windows "
		      "or macos (leave it empty when unknown)"));
	CHECK(err_has(err, "inv.csv:3: ", "os_version 'x.y' is not a version number"));
	CHECK(err_has(err, "inv.csv:3: ", "last_checkin 'never' is not a time"));
	CHECK(err_has(err, "inv.csv:3: ", "status 'gone' is not active, lost or retired"));
	/* A column no key reads is named by its number. */
	parse("device_id,note,mdm_enrolled,passcode_set,os_name,os_version,last_checkin,status\n"
	      "a,x\"y,maybe,,,,,\n", err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, -EINVAL);
	CHECK_EQ_INT(err_lines(err), 2);
	CHECK(err_has(err, "inv.csv:2: ", "column 2: a quote inside an unquoted value"));
	CHECK(err_has(err, "inv.csv:2: ", "mdm_enrolled 'maybe' is not true or false"));
}

/* Every problem of a file in one run, each at its line. */
static void test_err_all(void)
{
	static const char text[] = HEADER
		"ok-1,true,true,ios,17,1760000000,active\n"	/* 2 */
		"bad 2,x,true,ios,17,1760000000,active\n"	/* 3: two problems */
		"ok-3,true\n"					/* 4 */
		"ok-1,true,true,ios,17,1760000000,lost\n"	/* 5 */
		"ok-6,true,true,ios,17,never,gone\n";		/* 6: two problems */
	char err[2048];
	int ret;

	parse(text, err, sizeof(err), &ret);
	CHECK_EQ_INT(ret, -EINVAL);
	CHECK(err_has(err, "inv.csv:3: ", "device_id 'bad 2'"));
	CHECK(err_has(err, "inv.csv:3: ", "mdm_enrolled 'x'"));
	CHECK(err_has(err, "inv.csv:4: ", "2 values"));
	CHECK(err_has(err, "inv.csv:5: ", "listed twice (first on line 2)"));
	CHECK(err_has(err, "inv.csv:6: ", "last_checkin 'never'"));
	CHECK(err_has(err, "inv.csv:6: ", "status 'gone'"));
	CHECK_EQ_INT(err_lines(err), 6);
	CHECK(err[strlen(err) - 1] != '\n');
}

static void test_err_nul_and_sizes(void)
{
	static const char nul[] = HEADER "a,,,\0,,,\n";
	struct pst_inventory *inv = (struct pst_inventory *)1;
	char err[256];

	CHECK_EQ_INT(pst_inventory_parse(nul, sizeof(nul) - 1, "inv.csv", &inv, err,
					 sizeof(err)), -EINVAL);
	CHECK(inv == NULL);
	CHECK(err_has(err, "inv.csv:2: ", "NUL byte: not a text file"));
	/* The size is checked before anything is read. */
	CHECK_EQ_INT(pst_inventory_parse(nul, (size_t)PST_INVENTORY_FILE_MAX + 1, "inv.csv", &inv,
					 err, sizeof(err)), -EFBIG);
	CHECK(err_has(err, "inv.csv: ", "larger than 64 MiB"));
	CHECK_EQ_INT(pst_inventory_parse(HEADER, strlen(HEADER), "x", NULL, err, sizeof(err)),
		     -EINVAL);
}

/* err is cut to its size and stays NUL-terminated; NULL err is fine. */
static void test_err_truncated(void)
{
	static const char text[] = HEADER "a,x,x,x,x,x,x\nb,x,x,x,x,x,x\n";
	struct pst_inventory *inv = NULL;
	char err[64];

	memset(err, 'X', sizeof(err));
	CHECK_EQ_INT(pst_inventory_parse(text, strlen(text), "inv.csv", &inv, err, 20), -EINVAL);
	CHECK_EQ_INT((int)strlen(err), 19);
	CHECK_EQ_INT(err[30], 'X');
	CHECK_EQ_INT(pst_inventory_parse(text, strlen(text), "inv.csv", &inv, NULL, 0), -EINVAL);
	CHECK(inv == NULL);
}

static void test_load(void)
{
	char path[] = "/tmp/postern-test-inventory.XXXXXX", err[512], missing[64];
	static const char text[] = HEADER "f-1,true,true,android,15,1760000000,active\n";
	struct pst_inventory *inv = NULL;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ_INT(write(fd, text, strlen(text)), (long long)strlen(text));
	close(fd);
	CHECK_EQ_INT(pst_inventory_load(path, &inv, err, sizeof(err)), 0);
	CHECK_EQ_STR(err, "");
	CHECK_EQ_INT(pst_inventory_count(inv), 1);
	pst_inventory_free(inv);
	/* Problems name the path. */
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_EQ_INT(write(fd, "f-1,,,,,,\n", 10), 10);
		close(fd);
	}
	CHECK_EQ_INT(pst_inventory_load(path, &inv, err, sizeof(err)), -EINVAL);
	{
		char prefix[64];

		snprintf(prefix, sizeof(prefix), "%s:3: ", path);
		CHECK(err_has(err, prefix, "listed twice"));
	}
	unlink(path);
	snprintf(missing, sizeof(missing), "/tmp/postern-test-inventory-missing.%d", (int)getpid());
	CHECK_EQ_INT(pst_inventory_load(missing, &inv, err, sizeof(err)), -ENOENT);
	CHECK(inv == NULL);
	CHECK(err_has(err, missing, ": cannot read: No such file or directory"));
	CHECK(pst_inventory_load("/tmp", &inv, err, sizeof(err)) < 0);
	CHECK(inv == NULL && err[0]);
	CHECK(pst_inventory_load("/dev/null", &inv, err, sizeof(err)) < 0);
	CHECK(err_has(err, "/dev/null: ", "not a regular file"));
}

int main(void)
{
	RUN(test_basic);
	RUN(test_sha256);
	RUN(test_column_order);
	RUN(test_quoting);
	RUN(test_line_ends);
	RUN(test_times);
	RUN(test_stale);
	RUN(test_facts_replace);
	RUN(test_facts_full);
	RUN(test_many);
	RUN(test_err_header);
	RUN(test_err_header_more);
	RUN(test_err_columns);
	RUN(test_err_values);
	RUN(test_err_duplicates);
	RUN(test_err_syntax);
	RUN(test_err_every_field);
	RUN(test_err_all);
	RUN(test_err_nul_and_sizes);
	RUN(test_err_truncated);
	RUN(test_load);
	UNIT_EXIT();
}
