/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the posture facts: the set itself (grammar, ranks, limits),
 * the agent's report (the body the stock openconnect csd-post.sh posts must
 * parse; bad lines are refused with their line number and change nothing),
 * its formatter, the hand-written facts file, and what the client's init
 * request claims in its <device-id> element and X-AnyConnect headers.
 */
#include "posture/posture.h"
#include "tests/unit/unit.h"

#include <errno.h>
#include <stdlib.h>

#define NOW ((time_t)1760000000)

/* ---- the set ---- */

static void test_source_names(void)
{
	CHECK_EQ_STR(pst_source_name(PST_SRC_CLIENT), "client");
	CHECK_EQ_STR(pst_source_name(PST_SRC_AGENT), "agent");
	CHECK_EQ_STR(pst_source_name(PST_SRC_MDM), "mdm");
	CHECK_EQ_STR(pst_source_name(PST_SRC_CERT), "cert");
	CHECK_EQ_STR(pst_source_name(PST_SRC_N), "unknown");
}

static void test_known(void)
{
	static const char *const known[] = {
		"os.name", "os.version", "os.patch-level", "device.id", "mdm.enrolled",
		"passcode.set", "disk.encrypted", "device.rooted", "device.type",
		"device.unique-id", "os.kernel", "device.hostname",
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		CHECK(pst_fact_known(known[i]));
	CHECK(!pst_fact_known("os"));
	CHECK(!pst_fact_known("OS.NAME"));
	CHECK(!pst_fact_known("os.name "));
	CHECK(!pst_fact_known("collected-at"));
	CHECK(!pst_fact_known("device.port"));
	CHECK(!pst_fact_known(""));
	CHECK(!pst_fact_known(NULL));
}

static void test_set_grammar(void)
{
	static const char *const bad_names[] = {
		"", "Os.name", "1os", ".os", "-os", "os_name", "os name", "os\"", "os/name",
		"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvw",	/* 49 */
	};
	static const char *const bad_values[] = {
		"", "a\"b", "a\\b", "tab\there", "new\nline", "caf\xc3\xa9", "\x7f",
	};
	char long_value[PST_VALUE_MAX + 2];
	struct pst_facts fs;
	size_t i;

	pst_facts_init(&fs);
	for (i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
		CHECK_EQ_INT(pst_facts_set(&fs, bad_names[i], "x", PST_SRC_AGENT, NOW), -EINVAL);
	for (i = 0; i < sizeof(bad_values) / sizeof(bad_values[0]); i++)
		CHECK_EQ_INT(pst_facts_set(&fs, "os.name", bad_values[i], PST_SRC_AGENT, NOW),
			     -EINVAL);
	CHECK_EQ_INT(pst_facts_set(&fs, NULL, "x", PST_SRC_AGENT, NOW), -EINVAL);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", NULL, PST_SRC_AGENT, NOW), -EINVAL);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", "x", PST_SRC_N, NOW), -EINVAL);
	memset(long_value, 'v', sizeof(long_value));
	long_value[PST_VALUE_MAX + 1] = '\0';
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", long_value, PST_SRC_AGENT, NOW), -EINVAL);
	CHECK_EQ_INT(fs.n, 0);
	long_value[PST_VALUE_MAX] = '\0';
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", long_value, PST_SRC_AGENT, NOW), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv",
				   "IPTables (Linux) ~!@#$%^&*()'", PST_SRC_AGENT, NOW), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "x-1.2", " ", PST_SRC_AGENT, NOW), 0);
	CHECK_EQ_INT(fs.n, 3);
}

static void test_set_get_del(void)
{
	struct pst_facts fs;
	const struct pst_fact *f;

	pst_facts_init(&fs);
	CHECK(pst_facts_get(&fs, "os.version") == NULL);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.version", "11", PST_SRC_CLIENT, NOW - 5), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.version", "12", PST_SRC_AGENT, NOW - 4), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "device.id", "dev-1", PST_SRC_CERT, NOW), 0);
	f = pst_facts_get(&fs, "os.version");
	CHECK(f && !strcmp(f->value, "12") && f->source == PST_SRC_AGENT && f->time == NOW - 4);
	/* The MDM outranks the agent, which outranks the client. */
	CHECK_EQ_INT(pst_facts_set(&fs, "os.version", "13", PST_SRC_MDM, NOW - 3), 0);
	CHECK_EQ_STR(pst_facts_get(&fs, "os.version")->value, "13");
	/* Setting again replaces the value and time of that source only. */
	CHECK_EQ_INT(pst_facts_set(&fs, "os.version", "11.1", PST_SRC_CLIENT, NOW), 0);
	CHECK_EQ_INT(fs.n, 4);
	f = pst_facts_get_from(&fs, "os.version", PST_SRC_CLIENT);
	CHECK(f && !strcmp(f->value, "11.1") && f->time == NOW);
	CHECK(pst_facts_get_from(&fs, "os.name", PST_SRC_CLIENT) == NULL);
	CHECK(pst_facts_get_from(&fs, NULL, PST_SRC_CLIENT) == NULL);
	pst_facts_del(&fs, "os.version", PST_SRC_MDM);
	CHECK_EQ_STR(pst_facts_get(&fs, "os.version")->value, "12");
	pst_facts_del(&fs, "os.version", PST_SRC_MDM);	/* not there: nothing */
	pst_facts_del(&fs, NULL, PST_SRC_MDM);
	CHECK_EQ_INT(fs.n, 3);
	/* Order is kept: the client's fact was set first. */
	CHECK_EQ_STR(fs.f[0].value, "11.1");
	CHECK_EQ_STR(fs.f[2].name, "device.id");
	pst_facts_del(&fs, "os.version", PST_SRC_CLIENT);
	CHECK_EQ_STR(fs.f[0].value, "12");
	CHECK_EQ_INT(fs.n, 2);
}

static void fill(struct pst_facts *fs, size_t n, enum pst_source src)
{
	char name[32];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "filler.f%zu", i);
		CHECK_EQ_INT(pst_facts_set(fs, name, "x", src, NOW), 0);
	}
}

static void test_full(void)
{
	struct pst_facts fs, from;

	pst_facts_init(&fs);
	fill(&fs, PST_FACTS_MAX, PST_SRC_MDM);
	CHECK_EQ_INT(fs.n, PST_FACTS_MAX);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", "linux", PST_SRC_MDM, NOW), -ENOSPC);
	/* Replacing needs no room. */
	CHECK_EQ_INT(pst_facts_set(&fs, "filler.f0", "y", PST_SRC_MDM, NOW), 0);
	/* A merge that does not fit changes nothing. */
	pst_facts_init(&from);
	CHECK_EQ_INT(pst_facts_set(&from, "filler.f1", "z", PST_SRC_MDM, NOW), 0);
	CHECK_EQ_INT(pst_facts_set(&from, "os.name", "linux", PST_SRC_MDM, NOW), 0);
	CHECK_EQ_INT(pst_facts_merge(&fs, &from, PST_SRC_MDM), -ENOSPC);
	CHECK_EQ_STR(pst_facts_get(&fs, "filler.f1")->value, "x");
	/* Without the new name it fits: only replacements. */
	pst_facts_del(&from, "os.name", PST_SRC_MDM);
	CHECK_EQ_INT(pst_facts_merge(&fs, &from, PST_SRC_MDM), 0);
	CHECK_EQ_STR(pst_facts_get(&fs, "filler.f1")->value, "z");
}

static void test_merge(void)
{
	struct pst_facts to, from;
	const struct pst_fact *f;

	pst_facts_init(&to);
	pst_facts_init(&from);
	CHECK_EQ_INT(pst_facts_set(&to, "os.name", "linux", PST_SRC_AGENT, NOW - 100), 0);
	CHECK_EQ_INT(pst_facts_set(&to, "os.version", "11", PST_SRC_AGENT, NOW - 100), 0);
	CHECK_EQ_INT(pst_facts_set(&from, "os.version", "12", PST_SRC_AGENT, NOW - 10), 0);
	CHECK_EQ_INT(pst_facts_set(&from, "mdm.enrolled", "true", PST_SRC_AGENT, NOW - 10), 0);
	CHECK_EQ_INT(pst_facts_set(&from, "mdm.enrolled", "false", PST_SRC_MDM, NOW), 0);
	CHECK_EQ_INT(pst_facts_merge(&to, &from, PST_SRC_AGENT), 0);
	CHECK_EQ_INT(to.n, 3);
	f = pst_facts_get(&to, "os.version");
	CHECK(f && !strcmp(f->value, "12") && f->time == NOW - 10);
	CHECK_EQ_STR(pst_facts_get(&to, "os.name")->value, "linux");
	/* Only the source asked for is copied. */
	CHECK_EQ_STR(pst_facts_get(&to, "mdm.enrolled")->value, "true");
	CHECK(pst_facts_get_from(&to, "mdm.enrolled", PST_SRC_MDM) == NULL);
}

/* ---- the report ---- */

/* What the stock csd-post.sh (openconnect 9) posts, with the command
 * substitutions done as on a Debian laptop. */
static const char csd_post_body[] =
	"endpoint.os.version=\"Linux\";\n"
	"endpoint.os.servicepack=\"6.1.0-13-amd64\";\n"
	"endpoint.os.architecture=\"x86_64\";\n"
	"endpoint.policy.location=\"Default\";\n"
	"endpoint.device.protection=\"none\";\n"
	"endpoint.device.protection_version=\"3.1.03103\";\n"
	"endpoint.device.hostname=\"laptop-17\";\n"
	"endpoint.device.port[\"9217\"]=\"true\";\n"
	"endpoint.device.port[\"139\"]=\"true\";\n"
	"endpoint.device.port[\"53\"]=\"true\";\n"
	"endpoint.device.port[\"22\"]=\"true\";\n"
	"endpoint.device.port[\"631\"]=\"true\";\n"
	"endpoint.device.port[\"445\"]=\"true\";\n"
	"endpoint.device.port[\"9216\"]=\"true\";\n"
	"endpoint.device.tcp4port[\"9217\"]=\"true\";\n"
	"endpoint.device.tcp4port[\"139\"]=\"true\";\n"
	"endpoint.device.tcp4port[\"53\"]=\"true\";\n"
	"endpoint.device.tcp4port[\"22\"]=\"true\";\n"
	"endpoint.device.tcp4port[\"631\"]=\"true\";\n"
	"endpoint.device.tcp4port[\"445\"]=\"true\";\n"
	"endpoint.device.tcp4port[\"9216\"]=\"true\";\n"
	"endpoint.device.tcp6port[\"139\"]=\"true\";\n"
	"endpoint.device.tcp6port[\"53\"]=\"true\";\n"
	"endpoint.device.tcp6port[\"22\"]=\"true\";\n"
	"endpoint.device.tcp6port[\"631\"]=\"true\";\n"
	"endpoint.device.tcp6port[\"445\"]=\"true\";\n"
	"endpoint.device.MAC[\"FFFF.FFFF.FFFF\"]=\"true\";\n"
	"endpoint.device.protection_extension=\"3.6.4900.2\";\n"
	"endpoint.fw[\"IPTablesFW\"]={};\n"
	"endpoint.fw[\"IPTablesFW\"].exists=\"true\";\n"
	"endpoint.fw[\"IPTablesFW\"].description=\"IPTables (Linux)\";\n"
	"endpoint.fw[\"IPTablesFW\"].version=\"1.6.1\";\n"
	"endpoint.fw[\"IPTablesFW\"].enabled=\"ok\";\n"
	/* What it adds for the server's file and process checks. */
	"endpoint.file[\"conf\"]={};\n"
	"endpoint.file[\"conf\"].path=\"C:\\Program Files\\x.ini\";\n"
	"endpoint.file[\"conf\"].exists=\"false\";\n"
	"endpoint.process[\"av\"]={};\n"
	"endpoint.process[\"av\"].name=\"clamd\";\n"
	"endpoint.process[\"av\"].exists=\"true\";\n";

static int report(const char *text, struct pst_facts *fs, char *why, size_t len)
{
	return pst_report_parse(text, strlen(text), PST_SRC_AGENT, NOW, fs, why, len);
}

static void test_report_csd_post(void)
{
	struct pst_facts fs;
	const struct pst_fact *f;
	char why[128];

	pst_facts_init(&fs);
	CHECK_EQ_INT(report(csd_post_body, &fs, why, sizeof(why)), 0);
	CHECK_EQ_STR(why, "");
	/* Only the known facts are taken; os.version is checked by the engine. */
	CHECK_EQ_INT(fs.n, 2);
	f = pst_facts_get(&fs, "os.version");
	CHECK(f && !strcmp(f->value, "Linux") && f->source == PST_SRC_AGENT && f->time == NOW);
	CHECK_EQ_STR(pst_facts_get(&fs, "device.hostname")->value, "laptop-17");
}

/* The seed the report fuzzer starts from is the body of the installed
 * csd-post.sh, cut out of the script as it is. */
static void test_report_csd_post_seed(void)
{
	FILE *f = fopen("tests/fuzz/corpus/report/csd-post", "r");
	struct pst_facts fs;
	char buf[4096], why[128];
	size_t n;

	CHECK(f != NULL);
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_report_parse(buf, n, PST_SRC_AGENT, NOW, &fs, why, sizeof(why)), 0);
	CHECK_EQ_INT(fs.n, 2);
	CHECK_EQ_STR(pst_facts_get(&fs, "os.version")->value, "Linux");
}

/* What our agent posts: CRLF line ends and blank lines are fine. */
static void test_report_agent(void)
{
	static const char text[] =
		"endpoint.collected-at=\"1759999900\";\r\n"
		"\r\n"
		"endpoint.os.name=\"android\";\r\n"
		"endpoint.os.version=\"14\";\r\n"
		"endpoint.os.patch-level=\"2024-06-01\";\r\n"
		"   \n"
		"endpoint.mdm.enrolled=\"true\";\r\n"
		"endpoint.device.id=\"dev-1\";";		/* no final line end */
	struct pst_facts fs;
	const struct pst_fact *f;
	char why[128];
	size_t i;

	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", "ios", PST_SRC_CLIENT, NOW), 0);
	CHECK_EQ_INT(report(text, &fs, why, sizeof(why)), 0);
	CHECK_EQ_INT(fs.n, 6);
	/* collected-at dates every fact of the report. */
	for (i = 0; i < fs.n; i++) {
		if (fs.f[i].source == PST_SRC_AGENT)
			CHECK_EQ_INT(fs.f[i].time, 1759999900);
	}
	f = pst_facts_get(&fs, "os.name");
	CHECK(f && !strcmp(f->value, "android") && f->source == PST_SRC_AGENT);
	CHECK_EQ_STR(pst_facts_get(&fs, "device.id")->value, "dev-1");
	CHECK_EQ_STR(pst_facts_get_from(&fs, "os.name", PST_SRC_CLIENT)->value, "ios");
}

/* A report never claims to be fresher than its arrival. */
static void test_report_collected_at(void)
{
	struct pst_facts fs;
	char why[128];

	pst_facts_init(&fs);
	CHECK_EQ_INT(report("endpoint.collected-at=\"9999999999\";\nendpoint.os.name=\"linux\";\n",
			    &fs, why, sizeof(why)), 0);
	CHECK_EQ_INT(pst_facts_get(&fs, "os.name")->time, NOW);
	CHECK_EQ_INT(report("endpoint.os.name=\"linux\";\nendpoint.collected-at=\"0\";\n",
			    &fs, why, sizeof(why)), 0);
	CHECK_EQ_INT(pst_facts_get(&fs, "os.name")->time, 0);
	CHECK_EQ_INT(report("endpoint.collected-at=\"253402300799\";\n"
			    "endpoint.os.name=\"linux\";\n", &fs, why, sizeof(why)), 0);
	CHECK_EQ_INT(pst_facts_get(&fs, "os.name")->time, NOW);
}

static void expect_report_error(const char *text, const char *want)
{
	struct pst_facts fs, before;
	char why[160];

	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", "ios", PST_SRC_AGENT, NOW - 9), 0);
	before = fs;
	memset(why, 'X', sizeof(why));
	CHECK_EQ_INT(report(text, &fs, why, sizeof(why)), -EBADMSG);
	if (!strstr(why, want)) {
		printf("# why '%s', expected '%s'\n", why, want);
		CHECK(0);
	}
	/* Nothing of a bad report is kept. */
	CHECK(!memcmp(&fs, &before, sizeof(fs)));
}

static void test_report_errors(void)
{
	expect_report_error("endpoint.os.name=\"linux\";\nos.version=\"12\";\n",
			    "line 2: expected endpoint.KEY=\"VALUE\";");
	expect_report_error("endpoint.os.name=\"linux\"\n", "line 1: expected ';' at the end");
	expect_report_error("endpoint.os.name=\"linux\"; \n", "line 1: expected ';'");
	expect_report_error("endpoint.os.name=\"linux\";;\n", "line 1: expected ';'");
	expect_report_error(" endpoint.os.name=\"linux\";\n", "line 1: expected endpoint.");
	expect_report_error("endpoint.os.name='linux';\n", "line 1: the value must be");
	expect_report_error("endpoint.os.name=\"linux;\n", "line 1: the value must be");
	expect_report_error("endpoint.os.name=linux;\n", "line 1: the value must be");
	expect_report_error("endpoint.os.name = \"linux\";\n", "line 1: expected endpoint.KEY");
	expect_report_error("endpoint.=\"x\";\n", "line 1: expected endpoint.KEY");
	expect_report_error("endpoint.os..name=\"x\";\n", "line 1: expected endpoint.KEY");
	expect_report_error("endpoint.device.port[22]=\"true\";\n",
			    "line 1: expected endpoint.KEY");
	expect_report_error("endpoint.device.port[\"22\"=\"true\";\n", "line 1: expected");
	expect_report_error("endpoint.x=\"a\tb\";\n", "line 1: the value must be");
	/* A known fact needs a good quoted value. */
	expect_report_error("\n\nendpoint.os.name={};\n", "line 3: os.name needs a quoted value");
	expect_report_error("endpoint.os.version=\"\";\n",
			    "line 1: os.version: the value must be 1..128 printable characters");
	expect_report_error("endpoint.os.version=\"1\\2\";\n", "line 1: os.version: the value");
	expect_report_error("endpoint.os.name=\"caf\xc3\xa9\";\n", "line 1: os.name: the value");
	expect_report_error("endpoint.os.name=\"linux\";\nendpoint.os.name=\"ios\";\n",
			    "line 2: os.name is set twice (first on line 1)");
	expect_report_error("endpoint.collected-at=\"soon\";\n",
			    "line 1: collected-at: 'soon' is not a time");
	expect_report_error("endpoint.collected-at=\"-1\";\n", "not a time");
	expect_report_error("endpoint.collected-at=\"0100\";\n", "not a time");
	/* Past 9999-12-31 is no time (common/number.h: range-checked, never
	 * saturated). */
	expect_report_error("endpoint.collected-at=\"253402300800\";\n", "not a time");
	expect_report_error("endpoint.collected-at=\"99999999999999999999999\";\n",
			    "not a time");
	expect_report_error("endpoint.collected-at={};\n", "collected-at needs a quoted value");
	expect_report_error("endpoint.collected-at=\"1\";\nendpoint.collected-at=\"2\";\n",
			    "line 2: collected-at is set twice (first on line 1)");
}

static void test_report_limits(void)
{
	struct pst_facts fs, before;
	char why[128], *big;
	size_t n = 16385;

	pst_facts_init(&fs);
	/* A NUL byte is not text. */
	CHECK_EQ_INT(pst_report_parse("endpoint.os.name=\"linux\";\nx\0y", 29, PST_SRC_AGENT, NOW,
				      &fs, why, sizeof(why)), -EBADMSG);
	CHECK_EQ_STR(why, "line 2: NUL byte: not text");
	/* 16 KiB at most, even of blank lines. */
	big = malloc(n);
	CHECK(big != NULL);
	if (big) {
		memset(big, '\n', n);
		CHECK_EQ_INT(pst_report_parse(big, n, PST_SRC_AGENT, NOW, &fs, why, sizeof(why)),
			     -EBADMSG);
		CHECK(strstr(why, "larger than 16384 bytes") != NULL);
		CHECK_EQ_INT(pst_report_parse(big, n - 1, PST_SRC_AGENT, NOW, &fs, why,
					      sizeof(why)), 0);
		free(big);
	}
	/* An empty report is fine and sets nothing; no why buffer is fine. */
	CHECK_EQ_INT(pst_report_parse("", 0, PST_SRC_AGENT, NOW, &fs, NULL, 0), 0);
	CHECK_EQ_INT(pst_report_parse(NULL, 0, PST_SRC_AGENT, NOW, &fs, why, sizeof(why)), 0);
	CHECK_EQ_INT(fs.n, 0);
	/* More facts than the set holds: refused whole. */
	fill(&fs, PST_FACTS_MAX - 1, PST_SRC_MDM);
	before = fs;
	CHECK_EQ_INT(report("endpoint.os.name=\"linux\";\nendpoint.os.version=\"12\";\n", &fs, why,
			    sizeof(why)), -EBADMSG);
	CHECK(strstr(why, "too many facts") != NULL);
	CHECK(!memcmp(&fs, &before, sizeof(fs)));
	CHECK_EQ_INT(report("endpoint.os.name=\"linux\";\n", &fs, why, sizeof(why)), 0);
	CHECK_EQ_INT(fs.n, PST_FACTS_MAX);
	/* A short why buffer is cut, never overrun. */
	memset(why, 'X', sizeof(why));
	CHECK_EQ_INT(report("x\n", &fs, why, 8), -EBADMSG);
	CHECK_EQ_INT((int)strlen(why), 7);
	CHECK_EQ_INT(why[9], 'X');
}

static void test_report_format(void)
{
	struct pst_facts fs, back;
	char buf[512];
	int n;

	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_report_format(&fs, PST_SRC_AGENT, buf, sizeof(buf)), 0);
	CHECK_EQ_STR(buf, "");
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", "linux", PST_SRC_AGENT, NOW - 20), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.version", "12", PST_SRC_AGENT, NOW - 30), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "mdm.enrolled", "true", PST_SRC_MDM, NOW), 0);
	n = pst_report_format(&fs, PST_SRC_AGENT, buf, sizeof(buf));
	CHECK_EQ_STR(buf, "endpoint.collected-at=\"1759999970\";\n"
		     "endpoint.os.name=\"linux\";\n"
		     "endpoint.os.version=\"12\";\n");
	CHECK_EQ_INT(n, (int)strlen(buf));
	/* It parses back to the same facts, dated by their oldest. */
	pst_facts_init(&back);
	CHECK_EQ_INT(pst_report_parse(buf, (size_t)n, PST_SRC_AGENT, NOW, &back, NULL, 0), 0);
	CHECK_EQ_INT(back.n, 2);
	CHECK_EQ_STR(pst_facts_get(&back, "os.version")->value, "12");
	CHECK_EQ_INT(pst_facts_get(&back, "os.name")->time, NOW - 30);
	/* Too small a buffer. */
	CHECK_EQ_INT(pst_report_format(&fs, PST_SRC_AGENT, buf, (size_t)n), -ENOSPC);
	CHECK_EQ_INT(pst_report_format(&fs, PST_SRC_AGENT, buf, (size_t)n + 1), n);
	CHECK_EQ_INT(pst_report_format(&fs, PST_SRC_AGENT, buf, 0), -ENOSPC);
	CHECK_EQ_INT(pst_report_format(&fs, PST_SRC_AGENT, NULL, 10), -ENOSPC);
}

/* ---- the facts file ---- */

static int facts_file(const char *text, struct pst_facts *fs, char *why, size_t len)
{
	return pst_facts_file_parse(text, strlen(text), PST_SRC_AGENT, NOW, fs, why, len);
}

static void test_facts_file(void)
{
	static const char text[] =
		"# a laptop that fails the disk check\n"
		"\n"
		"os.name=linux\n"
		"  os.version = 12 \r\n"
		"\t# indented comment\n"
		"disk.encrypted=false\n"
		"device.hostname = build host 7\n"
		"mdm.enrolled=\n"			/* taken away */
		"collected-at = 1759999000\n";
	struct pst_facts fs;
	char why[128];

	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_facts_set(&fs, "mdm.enrolled", "true", PST_SRC_AGENT, NOW), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "mdm.enrolled", "true", PST_SRC_MDM, NOW), 0);
	CHECK_EQ_INT(facts_file(text, &fs, why, sizeof(why)), 0);
	CHECK_EQ_STR(why, "");
	CHECK_EQ_STR(pst_facts_get(&fs, "os.version")->value, "12");
	CHECK_EQ_STR(pst_facts_get(&fs, "device.hostname")->value, "build host 7");
	CHECK_EQ_INT(pst_facts_get(&fs, "os.name")->time, 1759999000);
	CHECK(pst_facts_get_from(&fs, "mdm.enrolled", PST_SRC_AGENT) == NULL);
	CHECK(pst_facts_get_from(&fs, "mdm.enrolled", PST_SRC_MDM) != NULL);
	CHECK_EQ_INT(fs.n, 5);
	/* Without collected-at the facts are dated now. */
	CHECK_EQ_INT(facts_file("os.name=ios\n", &fs, why, sizeof(why)), 0);
	CHECK_EQ_INT(pst_facts_get(&fs, "os.name")->time, NOW);
}

/* A source prefix replays facts from several sources, as an audit record lists them. */
static void test_facts_file_sources(void)
{
	static const char text[] =
		"client:os.name=android\n"
		"agent:os.name=linux\n"
		"mdm:passcode.set=true\n"
		"passcode.set=false\n"			/* the caller's source: agent */
		"client:os.version=1.0\n"
		"mdm:mdm.enrolled=\n";			/* taken away from mdm only */
	struct pst_facts fs;
	char why[128];

	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_facts_set(&fs, "mdm.enrolled", "true", PST_SRC_MDM, NOW), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "mdm.enrolled", "true", PST_SRC_AGENT, NOW), 0);
	CHECK_EQ_INT(facts_file(text, &fs, why, sizeof(why)), 0);
	CHECK_EQ_STR(pst_facts_get_from(&fs, "os.name", PST_SRC_CLIENT)->value, "android");
	CHECK_EQ_STR(pst_facts_get(&fs, "os.name")->value, "linux");
	CHECK_EQ_STR(pst_facts_get(&fs, "passcode.set")->value, "true");	/* mdm outranks */
	CHECK_EQ_STR(pst_facts_get_from(&fs, "passcode.set", PST_SRC_AGENT)->value, "false");
	CHECK_EQ_STR(pst_facts_get_from(&fs, "os.version", PST_SRC_CLIENT)->value, "1.0");
	CHECK(pst_facts_get_from(&fs, "mdm.enrolled", PST_SRC_MDM) == NULL);
	CHECK(pst_facts_get_from(&fs, "mdm.enrolled", PST_SRC_AGENT) != NULL);
	CHECK_EQ_INT(fs.n, 6);
}

static void expect_facts_error(const char *text, const char *want)
{
	struct pst_facts fs, before;
	char why[160];

	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", "ios", PST_SRC_AGENT, NOW - 9), 0);
	before = fs;
	CHECK_EQ_INT(facts_file(text, &fs, why, sizeof(why)), -EINVAL);
	if (!strstr(why, want)) {
		printf("# why '%s', expected '%s'\n", why, want);
		CHECK(0);
	}
	CHECK(!memcmp(&fs, &before, sizeof(fs)));
}

static void test_facts_file_errors(void)
{
	expect_facts_error("os.name=linux\nos.verison=12\n", "line 2: unknown fact 'os.verison'");
	expect_facts_error("# c\nos.name linux\n", "line 2: expected name=value");
	expect_facts_error("=linux\n", "line 1: expected name=value with a fact name");
	expect_facts_error("os.name=\"linux\"\n", "line 1: os.name: the value must be");
	expect_facts_error("os.name=linux\nos.name=\n", "line 2: os.name is set twice (first on "
			   "line 1)");
	expect_facts_error("collected-at=yesterday\n", "line 1: collected-at: 'yesterday'");
	expect_facts_error("collected-at=\n", "collected-at: '' is not a time");
	expect_facts_error("collected-at=\x01\xff\n", "collected-at: '?" "?' is not a time");
	expect_facts_error("endpoint.os.name=\"linux\";\n", "unknown fact 'endpoint.os.name'");
	expect_facts_error("cert:device.id=x\n", "line 1: unknown source 'cert' (client, agent or mdm)");
	expect_facts_error("os.name=linux\nmdm:os.name=linux\nmdm:os.name=ios\n",
			   "line 3: os.name is set twice (first on line 2)");
	{
		struct pst_facts fs;
		char why[64];

		pst_facts_init(&fs);
		CHECK_EQ_INT(pst_facts_file_parse("os.name=linux\0\n", 15, PST_SRC_AGENT, NOW, &fs,
						  why, sizeof(why)), -EINVAL);
		CHECK_EQ_STR(why, "line 1: NUL byte: not text");
		CHECK_EQ_INT(fs.n, 0);
	}
}

/* ---- what the client claims ---- */

/* The init request openconnect sends, as a heap copy of exactly its length,
 * so that a read past the end shows under AddressSanitizer. */
static void client_xml(const char *xml, struct pst_facts *fs)
{
	size_t n = strlen(xml);
	char *copy = malloc(n ? n : 1);

	CHECK(copy != NULL);
	if (!copy)
		return;
	memcpy(copy, xml, n);
	pst_client_xml(copy, n, NOW, fs);
	free(copy);
}

static void test_client_xml(void)
{
	static const char init[] =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<config-auth client=\"vpn\" type=\"init\" aggregate-auth-version=\"2\">"
		"<version who=\"vpn\">v9.12</version>"
		"<device-id platform-version=\"6.1.0-13-amd64\" device-type=\"Dell XPS 13\" "
		"unique-id=\"A1B2C3\">linux-64</device-id>"
		"<capabilities><auth-method>single-sign-on-v2</auth-method></capabilities>"
		"<group-access>https://vpn.example.com</group-access>"
		"</config-auth>\n";
	struct pst_facts fs;
	const struct pst_fact *f;

	pst_facts_init(&fs);
	client_xml(init, &fs);
	CHECK_EQ_INT(fs.n, 4);
	f = pst_facts_get(&fs, "os.name");
	CHECK(f && !strcmp(f->value, "linux") && f->source == PST_SRC_CLIENT && f->time == NOW);
	CHECK_EQ_STR(pst_facts_get(&fs, "os.version")->value, "6.1.0-13-amd64");
	CHECK_EQ_STR(pst_facts_get(&fs, "device.type")->value, "Dell XPS 13");
	CHECK_EQ_STR(pst_facts_get(&fs, "device.unique-id")->value, "A1B2C3");
}

static const char *client_os(const char *xml)
{
	static struct pst_facts fs;
	const struct pst_fact *f;

	pst_facts_init(&fs);
	client_xml(xml, &fs);
	f = pst_facts_get(&fs, "os.name");
	return f ? f->value : "";
}

static void test_client_xml_platforms(void)
{
	CHECK_EQ_STR(client_os("<device-id>linux</device-id>"), "linux");
	CHECK_EQ_STR(client_os("<device-id>linux-64</device-id>"), "linux");
	CHECK_EQ_STR(client_os("<device-id>win</device-id>"), "windows");
	CHECK_EQ_STR(client_os("<device-id>mac-intel</device-id>"), "macos");
	CHECK_EQ_STR(client_os("<device-id>mac</device-id>"), "macos");
	CHECK_EQ_STR(client_os("<device-id>android</device-id>"), "android");
	CHECK_EQ_STR(client_os("<device-id>apple-ios</device-id>"), "ios");
	CHECK_EQ_STR(client_os("<device-id\n>win</device-id>"), "windows");
	CHECK_EQ_STR(client_os("<device-id>Linux</device-id>"), "");
	CHECK_EQ_STR(client_os("<device-id> linux</device-id>"), "");
	CHECK_EQ_STR(client_os("<device-id>beos</device-id>"), "");
	CHECK_EQ_STR(client_os("<device-id>linux"), "");
	CHECK_EQ_STR(client_os("<device-id>linux</device-i"), "");
	CHECK_EQ_STR(client_os("<device-id/>linux</device-id>"), "");
	CHECK_EQ_STR(client_os("<device-identity>linux</device-identity>"), "");
	/* Only the first element counts. */
	CHECK_EQ_STR(client_os("<device-id>win</device-id><device-id>linux</device-id>"),
		     "windows");
	CHECK_EQ_STR(client_os("<device-idx>win</device-idx><device-id>linux</device-id>"),
		     "linux");
}

static size_t client_n(const char *xml)
{
	struct pst_facts fs;

	pst_facts_init(&fs);
	client_xml(xml, &fs);
	return fs.n;
}

/* Whatever is malformed yields fewer facts, never an error or a crash. */
static void test_client_xml_malformed(void)
{
	CHECK_EQ_INT(client_n(""), 0);
	CHECK_EQ_INT(client_n("<device-id"), 0);
	CHECK_EQ_INT(client_n("<device-id "), 0);
	CHECK_EQ_INT(client_n("<device-id platform-version"), 0);
	CHECK_EQ_INT(client_n("<device-id platform-version="), 0);
	CHECK_EQ_INT(client_n("<device-id platform-version=\""), 0);
	CHECK_EQ_INT(client_n("<device-id platform-version=\"12"), 0);
	CHECK_EQ_INT(client_n("<device-id platform-version=\"12\""), 0);
	CHECK_EQ_INT(client_n("<device-id platform-version=\"12\">"), 1);
	CHECK_EQ_INT(client_n("<device-id platform-version=\"12\"/>"), 1);
	CHECK_EQ_INT(client_n("<device-id platform-version=\"12\" /"), 0);
	CHECK_EQ_INT(client_n("<device-id platform-version='12'>linux</device-id>"), 0);
	CHECK_EQ_INT(client_n("<device-id platform-version=12>linux</device-id>"), 0);
	CHECK_EQ_INT(client_n("<device-id =\"12\">linux</device-id>"), 0);
	CHECK_EQ_INT(client_n("<device-id platform-version = \"12\" >linux</device-id>"), 2);
	/* Values outside the fact grammar are skipped one by one. */
	CHECK_EQ_INT(client_n("<device-id platform-version=\"\" device-type=\"a&amp;b\" "
			      "unique-id=\"x\\y\" computer-name=\"pc\">linux</device-id>"), 1);
	CHECK_EQ_INT(client_n("<device-id platform-version=\"caf\xc3\xa9\">linux</device-id>"), 1);
	CHECK_EQ_INT(client_n("<device-id platform-version=\"a<b\">linux</device-id>"), 1);
	pst_client_xml(NULL, 10, NOW, NULL);
}

static void test_client_headers(void)
{
	struct pst_facts fs;

	pst_facts_init(&fs);
#define HDR(n, v) pst_client_header(n, strlen(n), v, strlen(v), NOW, &fs)
	HDR("X-AnyConnect-Identifier-Platform", "apple-ios");
	CHECK_EQ_STR(pst_facts_get(&fs, "os.name")->value, "ios");
	HDR("x-anyconnect-identifier-platform", " win ");
	CHECK_EQ_STR(pst_facts_get(&fs, "os.name")->value, "windows");
	HDR("X-AnyConnect-Identifier-PlatformVersion", "17.4.1");
	CHECK_EQ_STR(pst_facts_get(&fs, "os.version")->value, "17.4.1");
	HDR("X-AnyConnect-Identifier-DeviceType", "iPhone15,2");
	CHECK_EQ_STR(pst_facts_get(&fs, "device.type")->value, "iPhone15,2");
	HDR("X-AnyConnect-Identifier-Device-UniqueID", "\t0123ABCD");
	CHECK_EQ_STR(pst_facts_get(&fs, "device.unique-id")->value, "0123ABCD");
	CHECK_EQ_INT(fs.n, 4);
	/* Unknown platforms, other headers and bad values change nothing. */
	HDR("X-AnyConnect-Identifier-Platform", "amiga");
	HDR("X-AnyConnect-Identifier-Platform-Extra", "linux");
	HDR("X-AnyConnect-Identifier-PlatformVersion", "");
	HDR("X-AnyConnect-Identifier-DeviceType", "a\"b");
	HDR("User-Agent", "Open AnyConnect VPN Agent v9.12");
	CHECK_EQ_INT(fs.n, 4);
	CHECK_EQ_STR(pst_facts_get(&fs, "os.name")->value, "windows");
	/* Only the length given is read. */
	pst_client_header("X-AnyConnect-Identifier-Platformxyz", 32, "linuxyz", 5, NOW, &fs);
	CHECK_EQ_STR(pst_facts_get(&fs, "os.name")->value, "linux");
	pst_client_header(NULL, 0, "linux", 5, NOW, &fs);
#undef HDR
}

int main(void)
{
	RUN(test_source_names);
	RUN(test_known);
	RUN(test_set_grammar);
	RUN(test_set_get_del);
	RUN(test_full);
	RUN(test_merge);
	RUN(test_facts_file_sources);
	RUN(test_report_csd_post);
	RUN(test_report_csd_post_seed);
	RUN(test_report_agent);
	RUN(test_report_collected_at);
	RUN(test_report_errors);
	RUN(test_report_limits);
	RUN(test_report_format);
	RUN(test_facts_file);
	RUN(test_facts_file_errors);
	RUN(test_client_xml);
	RUN(test_client_xml_platforms);
	RUN(test_client_xml_malformed);
	RUN(test_client_headers);
	UNIT_EXIT();
}
