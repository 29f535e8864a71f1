/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of gateway/auditread.c, the audit line as posternctl history
 * reads it back: a record the gateway writes (audit.c, through the same
 * writer) gives back its time, event, verdict, rule, profile, client,
 * addresses and reasons; null and missing members are ""; unknown members
 * (objects and arrays too) are skipped; and a line that is not one record
 * (not JSON, cut short, text after it, a member twice, a kept member of the
 * wrong type or too long, a control character, bytes that are not UTF-8,
 * no device, thirteen reasons) is refused with a reason.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "gateway/audit.h"
#include "gateway/auditread.h"
#include "tests/unit/unit.h"
#include "tests/unit/worker_fixture.h"

static struct gw_audit_line r;
static char why[GW_AUDIT_WHY_MAX];

static int parse(const char *line)
{
	return gw_audit_line_parse(line, strlen(line), &r, why, sizeof(why));
}

/* A record written by the gateway's own audit.c reads back whole. */
static void test_gateway_record(void)
{
	static struct conf_policy policy = { .path = "/etc/postern/policy.conf" };
	static struct conf_rule rule = { .name = "corporate" };
	static struct conf_profile prof = { .name = "internal" };
	struct pst_identity id = { .device_id = "laptop-0042", .serial = "0A1B",
				   .group = "field" };
	struct pst_facts facts = { .n = 0 };
	struct pst_decision d = { .verdict = PST_QUARANTINE, .rule = &rule, .profile = &prof };
	struct gw_worker w;
	struct gw_conf conf;
	struct gw_session *s;
	char path[] = "/tmp/postern-test-auditread.XXXXXX", line[8192];
	FILE *f;
	int fd = mkstemp(path);

	CHECK(fd >= 0 && wf_worker_init(&w, &conf, false, false));
	w.ctl.audit_fd = fd;
	w.pol.policy = &policy;
	snprintf(d.reasons[d.n_reasons++], sizeof(d.reasons[0]), "update \"Linux\" \xe2\x80\x94 now");
	snprintf(d.reasons[d.n_reasons++], sizeof(d.reasons[0]), "set a passcode");
	CHECK_EQ_INT(wf_add_session(&w, "laptop-0042", "field", PST_QUARANTINE, true, &s), 0);
	gw_audit_decision(&w, "reload", &id, "198.18.0.11:40000", s, &d, &facts, NULL);
	f = fdopen(fd, "r");
	CHECK(f && fseek(f, 0, SEEK_SET) == 0 && fgets(line, sizeof(line), f));
	line[strcspn(line, "\n")] = '\0';
	CHECK_EQ_INT(parse(line), 0);
	CHECK(r.time[0] == '2' && r.time[19] == 'Z' && !r.time[20]);
	CHECK_EQ_STR(r.event, "reload");
	CHECK_EQ_STR(r.device, "laptop-0042");
	CHECK_EQ_STR(r.verdict, "quarantine");
	CHECK_EQ_STR(r.rule, "corporate");
	CHECK_EQ_STR(r.profile, "internal");
	CHECK_EQ_STR(r.client, "198.18.0.11:40000");
	CHECK_EQ_STR(r.address, "198.18.100.2");
	CHECK_EQ_STR(r.address6, "");
	CHECK_EQ_INT(r.n_reasons, 2);
	CHECK_EQ_STR(r.reasons[0], "update \"Linux\" \xe2\x80\x94 now");
	CHECK_EQ_STR(r.reasons[1], "set a passcode");
	if (f)
		fclose(f);
	unlink(path);
	wf_worker_free(&w);
}

static void test_minimal(void)
{
	CHECK_EQ_INT(parse(" {\"time\":\"2026-01-01T00:00:00Z\",\"device\":\"d\",\"verdict\":\"deny\","
			   "\"rule\":null,\"x\":{\"y\":[1,2.5e3,true,null,{\"z\":\"\\u00e9\"}]},"
			   "\"reasons\":[]} "), 0);
	CHECK_EQ_STR(r.device, "d");
	CHECK_EQ_STR(r.rule, "");
	CHECK_EQ_STR(r.event, "");
	CHECK_EQ_INT(r.n_reasons, 0);
}

static void test_refused(void)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ "", "an empty line" },
		{ "not json", "byte 1: expected '{'" },
		{ "{\"time\":\"t\",\"device\":\"d\",\"verdict\":\"deny\"", "truncated" },
		{ "{\"time\":\"t\",\"device\":\"d\",\"verdict\":\"deny\"} x", "byte 44: text after" },
		{ "{\"time\":\"t\",\"device\":\"d\"}", "no 'verdict'" },
		{ "{\"time\":\"t\",\"device\":\"\",\"verdict\":\"deny\"}", "no 'device'" },
		{ "{\"time\":\"t\",\"device\":\"d\",\"device\":\"e\",\"verdict\":\"deny\"}", NULL },
		{ "{\"time\":\"t\",\"device\":1,\"verdict\":\"deny\"}", "byte 22: 'device' must be" },
		{ "{\"time\":\"t\",\"device\":\"d\\u0001\",\"verdict\":\"deny\"}", "'device' is not UTF-8 text" },
		{ "{\"time\":\"t\",\"device\":\"d\xff\",\"verdict\":\"deny\"}", NULL },
		{ "{\"time\":\"t\",\"device\":\"d\",\"verdict\":\"deny\",\"reasons\":[1]}", NULL },
		{ "{\"time\":\"t\",\"device\":\"d\",\"verdict\":\"deny\",\"reasons\":"
		  "[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\",\"12\",\"13\"]}",
		  "more than 12 reasons" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		why[0] = '\0';
		CHECK_EQ_INT(parse(bad[i].line), -EBADMSG);
		CHECK(why[0]);
		if (bad[i].why && !strstr(why, bad[i].why)) {
			printf("# case %zu: '%s', expected '%s'\n", i, why, bad[i].why);
			CHECK(0);
		}
	}
	/* A device id longer than any is refused, not cut. */
	{
		char line[256];

		snprintf(line, sizeof(line), "{\"time\":\"t\",\"verdict\":\"deny\",\"device\":\"%0*d\"}",
			 GW_AUDIT_DEVICE_MAX + 1, 0);
		CHECK_EQ_INT(parse(line), -EBADMSG);
		CHECK(strstr(why, "'device' is longer than 64 bytes") != NULL);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	RUN(test_gateway_record);
	RUN(test_minimal);
	RUN(test_refused);
	UNIT_EXIT();
}
