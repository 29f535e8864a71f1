/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the fleet report (posture/auditrec.c, fleet.c, fleet_out.c):
 * the audit-line parser on the gateway's own record and on each kind of bad
 * line; the aggregation over a log of known content, every count checked
 * exactly (verdicts, devices, reasons by failed check, platforms from the
 * best fact source, groups, policies, days and hours), bad lines counted and
 * named FILE:LINE, --since and --until at their boundaries (a record at
 * since counts, one at until does not; a date as --until means its whole
 * day), a device's spell out of compliance that began before --since; and
 * the formats: JSON read back by the tests' own strict reader, CSV rows, the
 * text's lines, and an HTML page without script or external reference.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "posture/fleet.h"
#include "tests/unit/json_check.h"
#include "tests/unit/unit.h"

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* A record as gateway/audit.c writes it (fields in its order). */
static char *rec(const char *time, const char *dev, const char *group, const char *verdict,
		 const char *reasons, const char *os, const char *sha)
{
	char *s = NULL;

	if (asprintf(&s, "{\"time\":\"%s\",\"event\":\"login\",\"device\":\"%s\",\"serial\":\"01\","
		     "\"group\":\"%s\",\"ownership\":\"corporate\",\"client\":\"198.18.0.11:4000\","
		     "\"verdict\":\"%s\",\"rule\":null,\"profile\":null,\"reasons\":[%s],"
		     "\"report\":\"received\",\"address\":null,\"address6\":null,\"facts\":["
		     "{\"name\":\"os.name\",\"value\":\"%s-client\",\"source\":\"client\",\"age\":0},"
		     "{\"name\":\"os.name\",\"value\":\"%s\",\"source\":\"agent\",\"age\":3},"
		     "{\"name\":\"os.version\",\"value\":\"12\",\"source\":\"agent\",\"age\":3}],"
		     "\"policy\":\"/etc/postern/policy.conf\",\"policy_sha256\":\"%s\","
		     "\"inventory\":null,\"inventory_sha256\":null}",
		     time, dev, group, verdict, reasons, os, os, sha) < 0)
		abort();
	return s;
}

static int parse(const char *line, struct pst_audit_rec *r, char *why)
{
	return pst_audit_parse(line, strlen(line), r, why, PST_AUDIT_WHY_MAX);
}

/* ---- the line parser ---- */

static void test_parse_gateway_record(void)
{
	struct pst_audit_rec r;
	char why[PST_AUDIT_WHY_MAX];
	char *l = rec("2026-11-01T10:00:00Z", "phone-1", "field", "quarantine",
		      "\"no passcode is set\",\"OS version 11 is below the minimum 12 for linux\"",
		      "linux", SHA_A);

	CHECK_EQ_INT(parse(l, &r, why), 0);
	CHECK_EQ_INT(r.time, 1793527200);
	CHECK_EQ_STR(r.device, "phone-1");
	CHECK_EQ_STR(r.group, "field");
	CHECK_EQ_STR(r.ownership, "corporate");
	CHECK_EQ_STR(r.event, "login");
	CHECK_EQ_INT(r.verdict, PST_QUARANTINE);
	CHECK_EQ_INT(r.n_reasons, 2);
	CHECK_EQ_STR(r.reasons[1], "OS version 11 is below the minimum 12 for linux");
	/* The agent outranks what the client claimed. */
	CHECK_EQ_STR(r.platform, "linux");
	CHECK_EQ_STR(r.policy_sha256, SHA_A);
	CHECK_EQ_STR(r.policy, "/etc/postern/policy.conf");
	free(l);
}

static void test_parse_minimal_and_escapes(void)
{
	struct pst_audit_rec r;
	char why[PST_AUDIT_WHY_MAX];

	CHECK_EQ_INT(parse(" {\"verdict\":\"allow\",\"device\":\"d\\u00e9v\",\"x\":[1,-2.5e3,"
			   "{\"y\":[true,false,null]}],\"time\":\"2026-11-01T10:00:00+01:00\"}\r",
			   &r, why), 0);
	CHECK_EQ_STR(r.device, "d\xc3\xa9v");
	CHECK_EQ_INT(r.time, 1793523600);
	CHECK_EQ_STR(r.group, "");
	CHECK_EQ_STR(r.platform, "");
	/* A surrogate pair is one character. */
	CHECK_EQ_INT(parse("{\"time\":\"2026-11-01T10:00:00Z\",\"device\":\"\\ud83d\\ude00\","
			   "\"verdict\":\"deny\"}", &r, why), 0);
	CHECK_EQ_STR(r.device, "\xf0\x9f\x98\x80");
	/* The MDM outranks the agent, whatever the order. */
	CHECK_EQ_INT(parse("{\"time\":\"2026-11-01T10:00:00Z\",\"device\":\"a\",\"verdict\":\"deny\","
			   "\"facts\":[{\"name\":\"os.name\",\"value\":\"ios\",\"source\":\"mdm\"},"
			   "{\"name\":\"os.name\",\"value\":\"android\",\"source\":\"agent\"}]}",
			   &r, why), 0);
	CHECK_EQ_STR(r.platform, "ios");
}

/* Refused, with these words in why. */
static void refused(const char *line, const char *words)
{
	struct pst_audit_rec r;
	char why[PST_AUDIT_WHY_MAX] = "";

	CHECK_EQ_INT(parse(line, &r, why), -EBADMSG);
	if (!strstr(why, words)) {
		printf("# '%s': why is '%s', expected '%s'\n", line, why, words);
		CHECK(0);
	}
}

static void test_parse_bad_lines(void)
{
	char deep[200], *cut;
	char *l = rec("2026-11-01T10:00:00Z", "p", "g", "allow", "", "ios", SHA_A);

	refused("", "an empty line");
	refused("not json", "byte 1: expected '{'");
	cut = strndup(l, strlen(l) / 2);
	refused(cut, "truncated");
	free(cut);
	refused("{\"time\":\"2026-11-01T10:00:00Z\",\"device\":\"p\"}", "no 'verdict'");
	refused("{\"time\":\"2026-11-01T10:00:00Z\",\"verdict\":\"allow\"}", "no 'device'");
	refused("{\"time\":\"yesterday\",\"device\":\"p\",\"verdict\":\"allow\"}", "'time' is not");
	refused("{\"time\":\"2026-11-01T10:00:00Z\",\"device\":\"p\",\"verdict\":\"maybe\"}",
		"'verdict' is 'maybe'");
	refused("{\"time\":\"2026-11-01T10:00:00Z\",\"device\":\"p\",\"device\":\"q\","
		"\"verdict\":\"allow\"}", "'device' appears twice");
	refused("{\"time\":\"2026-11-01T10:00:00Z\",\"device\":\"\\u001b[2J\",\"verdict\":\"allow\"}",
		"'device' is not UTF-8 text");
	refused("{\"time\":\"2026-11-01T10:00:00Z\",\"device\":\"\\ud800\",\"verdict\":\"allow\"}",
		"surrogate");
	refused("{\"time\":\"2026-11-01T10:00:00Z\",\"device\":\"p\",\"verdict\":\"allow\"} x",
		"text after the record");
	refused("{\"time\":\"2026-11-01T10:00:00Z\",\"device\":\"p\",\"verdict\":\"allow\","
		"\"policy_sha256\":\"xyz\"}", "not a hex SHA-256");
	refused("{\"time\":\"2026-11-01T10:00:00Z\",\"device\":\"p\",\"verdict\":\"allow\","
		"\"n\":01}", "expected ','");
	refused("{\"time\":\"2026-11-01T10:00:00Z\",\"device\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"verdict\":\"allow\"}", "longer than 64 bytes");
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	cut = NULL;
	CHECK(asprintf(&cut, "{\"x\":%s", deep) > 0);
	refused(cut, "nested deeper");
	free(cut);
	free(l);
}

static void test_reason_key(void)
{
	char k[128];

	pst_fleet_reason_key("OS version 11.2 is below the minimum 12 for linux", k, sizeof(k));
	CHECK_EQ_STR(k, "OS version # is below the minimum # for linux");
	pst_fleet_reason_key("reported device.id 'x1' differs from the certificate's 'y'", k,
			     sizeof(k));
	CHECK_EQ_STR(k, "reported device.id '\xe2\x80\xa6' differs from the certificate's "
			"'\xe2\x80\xa6'");
	pst_fleet_reason_key("patch level 2024-03-01 is older than the required 2024-06-01; ipv6", k,
			     sizeof(k));
	CHECK_EQ_STR(k, "patch level # is older than the required #; ipv6");
	pst_fleet_reason_key("0123456789", k, 4);
	CHECK_EQ_STR(k, "#");
}

/* ---- aggregation over a known log ---- */

static const char *known_log[] = {
	/* Before the range (--since 2026-11-02): moves d1's spell only. */
	"2026-11-01T08:00:00Z|d1|field|quarantine|\"no passcode is set\"|ios|" SHA_A,
	"2026-11-01T09:00:00Z|d2|field|allow||android|" SHA_A,
	/* In range. */
	"2026-11-02T00:00:00Z|d1|field|quarantine|\"no passcode is set\"|ios|" SHA_A,
	"2026-11-02T01:00:00Z|d2|field|quarantine|\"OS version 11 is below the minimum 12 for "
		"android\",\"no passcode is set\"|android|" SHA_A,
	"2026-11-02T01:30:00Z|d3|office|allow||linux|" SHA_A,
	"BAD",
	"2026-11-03T05:00:00Z|d2|field|quarantine|\"OS version 10 is below the minimum 12 for "
		"android\"|android|" SHA_B,
	"2026-11-03T06:00:00Z|d3|office|deny|\"device is reported lost in the MDM inventory; "
		"contact IT\"|linux|" SHA_B,
	"2026-11-04T07:00:00Z|d2|field|allow||android|" SHA_B,
	"2026-11-04T23:59:59Z|d4|office|allow||ios|" SHA_B,
	/* At --until 2026-11-05 (a date: up to its end), the 6th is after. */
	"2026-11-05T23:59:59Z|d4|office|quarantine|\"no passcode is set\"|ios|" SHA_B,
	"2026-11-06T00:00:00Z|d4|office|allow||ios|" SHA_B,
	"{\"time\":\"2026-11-03T00:00:00Z\"",
};

/* The known log as a file: "BAD" lines as they are, others made records. */
static int known_fd(void)
{
	char path[] = "/tmp/postern-test-fleet.XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		abort();
	unlink(path);
	for (size_t i = 0; i < sizeof(known_log) / sizeof(known_log[0]); i++) {
		char *f[7], *copy = strdup(known_log[i]), *save = NULL, *line;
		size_t n = 0;

		for (char *t = strtok_r(copy, "|", &save); t && n < 7; t = strtok_r(NULL, "|", &save))
			f[n++] = t;
		if (n == 6) /* no reasons: strtok ate the empty field */
			memmove(&f[5], &f[4], 2 * sizeof(*f)), f[4] = "";
		line = n >= 6 ? rec(f[0], f[1], f[2], f[3], f[4], f[5], f[6]) : strdup(known_log[i]);
		if (write(fd, line, strlen(line)) < 0 ||
		    (i + 1 < sizeof(known_log) / sizeof(known_log[0]) && write(fd, "\n", 1) != 1))
			abort();
		free(line);
		free(copy);
	}
	lseek(fd, 0, SEEK_SET);
	return fd;
}

static struct pst_fleet *known_fleet(bool since, bool until)
{
	struct pst_fleet_opts o = { .top = 10 };
	struct pst_fleet *fl;
	char err[256];
	int fd = known_fd();

	o.have_since = since;
	o.have_until = until;
	CHECK_EQ_INT(pst_fleet_time_arg("2026-11-02", false, &o.since), 0);
	CHECK_EQ_INT(pst_fleet_time_arg("2026-11-05", true, &o.until), 0);
	fl = pst_fleet_new(&o);
	CHECK(fl != NULL);
	CHECK_EQ_INT(pst_fleet_read_fd(fl, fd, "known.log", err, sizeof(err)), 0);
	CHECK_EQ_INT(pst_fleet_finish(fl), 0);
	close(fd);
	return fl;
}

static const struct pst_tally *tally(const struct pst_tally_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (!strcmp(s->v[i]->name, name))
			return s->v[i];
	printf("# no tally '%s'\n", name);
	return NULL;
}

static void test_fleet_counts(void)
{
	struct pst_fleet *fl = known_fleet(true, true);
	const struct pst_tally *t;

	CHECK_EQ_INT(fl->lines, 13);
	CHECK_EQ_INT(fl->before, 2);
	CHECK_EQ_INT(fl->after, 1);
	CHECK_EQ_INT(fl->in_range, 8);
	CHECK_EQ_INT(fl->bad, 2);
	CHECK_EQ_STR(fl->bad_shown[0].file, "known.log");
	CHECK_EQ_INT(fl->bad_shown[0].line, 6);
	CHECK_EQ_INT(fl->bad_shown[1].line, 13);
	CHECK(strstr(fl->bad_shown[1].why, "truncated") != NULL);
	CHECK_EQ_INT(fl->n[PST_ALLOW], 3);
	CHECK_EQ_INT(fl->n[PST_QUARANTINE], 4);
	CHECK_EQ_INT(fl->n[PST_DENY], 1);
	/* d1 quarantined, d3 denied, d4 quarantined at the end; d2 back in. */
	CHECK_EQ_INT(fl->devices, 4);
	CHECK_EQ_INT(fl->devices_out[PST_QUARANTINE], 2);
	CHECK_EQ_INT(fl->devices_out[PST_DENY], 1);
	CHECK(!fl->hourly);
	CHECK_EQ_INT(fl->n_buckets, 4);
	CHECK_EQ_INT(fl->buckets[0].n[PST_QUARANTINE], 2);
	CHECK_EQ_INT(fl->buckets[0].devices, 3);
	CHECK_EQ_INT(fl->buckets[0].devices_out, 2);
	CHECK_EQ_INT(fl->buckets[3].n[PST_QUARANTINE], 1);
	/* The two OS version reasons are one check. */
	t = tally(&fl->reasons, "OS version # is below the minimum # for android");
	CHECK(t && t->n[PST_QUARANTINE] == 2 && t->devices_out == 0);
	CHECK(t && t->example && !strcmp(t->example,
					 "OS version 11 is below the minimum 12 for android"));
	t = tally(&fl->reasons, "no passcode is set");
	CHECK(t && t->n[PST_QUARANTINE] == 3 && t->devices_out == 2);
	CHECK_EQ_STR(fl->reasons.v[0]->name, "no passcode is set");
	t = tally(&fl->platforms, "android");
	CHECK(t && t->n[PST_QUARANTINE] == 2 && t->n[PST_ALLOW] == 1 && t->devices == 1);
	t = tally(&fl->groups, "office");
	CHECK(t && t->devices == 2 && t->devices_out == 2 && t->n[PST_DENY] == 1);
	CHECK_EQ_INT(fl->policies.n, 2);
	CHECK_EQ_STR(fl->policies.v[0]->name, SHA_A);
	CHECK_EQ_INT(fl->policies.v[0]->n[PST_QUARANTINE], 2);
	CHECK_EQ_INT(fl->policies.v[1]->first, 1793682000);	/* 2026-11-03T05:00:00Z */
	pst_fleet_free(fl);
}

static void test_fleet_spells(void)
{
	struct pst_fleet *fl = known_fleet(true, true);

	/* d1 out since before the range, to its end: 2026-11-01T08:00 to 11-06T00:00. */
	CHECK_EQ_INT(fl->n_spells, 4);
	CHECK_EQ_STR(fl->spells[0].dev->id, "d1");
	CHECK(fl->spells[0].ongoing);
	CHECK_EQ_INT(fl->spells[0].start, 1793520000);
	CHECK_EQ_INT(fl->spells[0].end, 1793923200);
	CHECK_EQ_STR(fl->spells[1].dev->id, "d3");
	/* d2: out 11-02T01:00, back in 11-04T07:00. */
	CHECK_EQ_STR(fl->spells[2].dev->id, "d2");
	CHECK(!fl->spells[2].ongoing);
	CHECK_EQ_INT(fl->spells[2].end - fl->spells[2].start, 2 * 86400 + 6 * 3600);
	pst_fleet_free(fl);
}

static void test_fleet_no_range(void)
{
	struct pst_fleet *fl = known_fleet(false, false);

	CHECK_EQ_INT(fl->before + fl->after, 0);
	CHECK_EQ_INT(fl->in_range, 11);
	CHECK_EQ_INT(fl->start, 1793520000);
	CHECK_EQ_INT(fl->end, 1793923201);
	CHECK_EQ_INT(fl->n_buckets, 6);
	/* d4's last word is an allow: out now are d1 and d3 only. */
	CHECK_EQ_INT(fl->devices_out[PST_QUARANTINE], 1);
	pst_fleet_free(fl);
}

static void test_fleet_hourly_and_times(void)
{
	struct pst_fleet_opts o = { .have_since = true, .have_until = true };
	struct pst_fleet *fl;
	time_t t;

	CHECK_EQ_INT(pst_fleet_time_arg("2026-11-02T01:00:00Z", false, &o.since), 0);
	CHECK_EQ_INT(pst_fleet_time_arg("2026-11-02T03:00:00Z", true, &o.until), 0);
	CHECK_EQ_INT(pst_fleet_time_arg("2026-11-32", false, &t), -EINVAL);
	CHECK_EQ_INT(pst_fleet_time_arg("yesterday", false, &t), -EINVAL);
	fl = pst_fleet_new(&o);
	for (size_t i = 0; i < 3; i++) {
		char *l = rec(i == 0 ? "2026-11-02T00:59:59Z" : i == 1 ? "2026-11-02T01:00:00Z" :
			      "2026-11-02T03:00:00Z", "d", "g", "allow", "", "ios", SHA_A);

		CHECK_EQ_INT(pst_fleet_add_line(fl, "x", i + 1, l, strlen(l)), 0);
		free(l);
	}
	CHECK_EQ_INT(pst_fleet_finish(fl), 0);
	CHECK(fl->hourly);
	CHECK_EQ_INT(fl->in_range, 1);
	CHECK_EQ_INT(fl->before, 1);
	CHECK_EQ_INT(fl->after, 1);
	CHECK_EQ_INT(fl->n_buckets, 2);
	CHECK_EQ_INT(fl->buckets[0].n[PST_ALLOW], 1);
	pst_fleet_free(fl);
}

/* A line longer than PST_FLEET_LINE_MAX is one bad line; the next reads. */
static void test_fleet_long_line(void)
{
	struct pst_fleet_opts o = { 0 };
	struct pst_fleet *fl = pst_fleet_new(&o);
	char path[] = "/tmp/postern-test-fleet.XXXXXX", err[128];
	int fd = mkstemp(path);
	char *big = malloc(PST_FLEET_LINE_MAX + 10);
	char *l = rec("2026-11-02T00:59:59Z", "d", "g", "allow", "", "ios", SHA_A);

	unlink(path);
	memset(big, 'x', PST_FLEET_LINE_MAX + 9);
	big[PST_FLEET_LINE_MAX + 9] = '\n';
	CHECK(write(fd, big, PST_FLEET_LINE_MAX + 10) > 0);
	CHECK(write(fd, l, strlen(l)) > 0);
	lseek(fd, 0, SEEK_SET);
	CHECK_EQ_INT(pst_fleet_read_fd(fl, fd, "long", err, sizeof(err)), 0);
	CHECK_EQ_INT(fl->lines, 2);
	CHECK_EQ_INT(fl->bad, 1);
	CHECK_EQ_INT(fl->bad_shown[0].line, 1);
	CHECK(strstr(fl->bad_shown[0].why, "longer than") != NULL);
	CHECK_EQ_INT(fl->in_range, 1);
	close(fd);
	free(big);
	free(l);
	pst_fleet_free(fl);
}

/* ---- the formats ---- */

static char *render(const struct pst_fleet *fl, enum pst_fleet_format f)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	CHECK_EQ_INT(pst_fleet_write(fl, f, out), 0);
	fclose(out);
	return buf;
}

static void test_format_json(void)
{
	struct pst_fleet *fl = known_fleet(true, true);
	char *out = render(fl, PST_FLEET_JSON), *flat = json_flat(out);

	CHECK(flat != NULL);
	if (flat) {
		CHECK_EQ_STR(json_get(flat, "overview.records"), "8");
		CHECK_EQ_STR(json_get(flat, "overview.bad"), "2");
		CHECK_EQ_STR(json_get(flat, "overview.from"), "\"2026-11-02T00:00:00Z\"");
		CHECK_EQ_STR(json_get(flat, "verdicts[1].decisions"), "4");
		CHECK_EQ_STR(json_get(flat, "verdicts[1].share_pct"), "50.0");
		CHECK_EQ_STR(json_get(flat, "reasons[0].reason"), "\"no passcode is set\"");
		CHECK_EQ_STR(json_get(flat, "longest_out[0].device"), "\"d1\"");
		CHECK_EQ_STR(json_get(flat, "longest_out[0].until"), "null");
		CHECK_EQ_STR(json_get(flat, "over_time"), "[4]");
		CHECK_EQ_STR(json_get(flat, "bad_lines[0].line"), "6");
		CHECK_EQ_STR(json_get(flat, "bad_lines_total"), "2");
	}
	free(flat);
	free(out);
	pst_fleet_free(fl);
}

static void test_format_csv_text_html(void)
{
	struct pst_fleet *fl = known_fleet(true, true);
	char *csv = render(fl, PST_FLEET_CSV), *text = render(fl, PST_FLEET_TEXT);
	char *html = render(fl, PST_FLEET_HTML);

	CHECK(strstr(csv, "section,verdict,decisions,share_pct,devices_now\r\n"
			  "verdicts,allow,3,37.5,1\r\n") != NULL);
	CHECK(strstr(csv, "\r\nover_time,2026-11-02T00:00:00Z,1,2,0,66.7,3,2\r\n") != NULL);
	CHECK(strstr(csv, "\r\nbad_lines,known.log,6,byte 1: expected '{'\r\n") != NULL);
	CHECK(strstr(text, "\n  quarantine          4     50.0            2\n") != NULL);
	CHECK(strstr(text, "\n  known.log     6  byte 1: expected '{'\n") != NULL);
	CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
	CHECK(strstr(html, "<svg") != NULL && strstr(html, "</html>\n") != NULL);
	CHECK(strstr(html, "<script") == NULL && strstr(html, "src=") == NULL &&
	      strstr(html, "href=") == NULL);
	if (!strstr(text, "\n  quarantine          4     50.0            2\n"))
		printf("# text:\n%s", text);
	free(csv);
	free(text);
	free(html);
	pst_fleet_free(fl);
}

/* A reason is outside input: it is escaped in the HTML. */
static void test_format_html_escapes(void)
{
	struct pst_fleet_opts o = { 0 };
	struct pst_fleet *fl = pst_fleet_new(&o);
	char *l = rec("2026-11-02T00:00:00Z", "d", "g", "quarantine",
		      "\"<script>alert(1)</script> & 'x'\"", "ios", SHA_A), *html;

	CHECK_EQ_INT(pst_fleet_add_line(fl, "x", 1, l, strlen(l)), 0);
	CHECK_EQ_INT(pst_fleet_finish(fl), 0);
	html = render(fl, PST_FLEET_HTML);
	CHECK(strstr(html, "<script") == NULL);
	CHECK(strstr(html, "&lt;script&gt;alert(#)&lt;/script&gt; &amp; &#39;") != NULL);
	free(html);
	free(l);
	pst_fleet_free(fl);
}

int main(void)
{
	RUN(test_parse_gateway_record);
	RUN(test_parse_minimal_and_escapes);
	RUN(test_parse_bad_lines);
	RUN(test_reason_key);
	RUN(test_fleet_counts);
	RUN(test_fleet_spells);
	RUN(test_fleet_no_range);
	RUN(test_fleet_hourly_and_times);
	RUN(test_fleet_long_line);
	RUN(test_format_json);
	RUN(test_format_csv_text_html);
	RUN(test_format_html_escapes);
	UNIT_EXIT();
}
