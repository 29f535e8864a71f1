/* SPDX-License-Identifier: MIT */
/*
 * `postern-posture check`, the security department's dry run: what would the
 * gateway decide for this device (its certificate) reporting these facts
 * under this policy? It loads the files the way the gateway and the agent
 * do and calls the same engine (pst_policy_decide), so the answer is the
 * gateway's. When the policy names an MDM inventory, it is loaded too and
 * the certificate's device's record replaces any mdm facts of the facts
 * file, as at the gateway, where the inventory is the only mdm source;
 * without --cert the device has no id, so no record. The verdict is the
 * exit status (0 allow, 1 quarantine, 2 deny) so that scripts can test
 * policies; 3 is a usage error and 4 a file that could not be used.
 *
 * The policy is linted first (posture/lint.h) and the warnings go to their
 * own stream, before the decision: they are about the policy, not about
 * this device. Without --facts, the lint is the whole run. Warnings never
 * change the exit status unless --strict asks them to turn a 0 into a 1.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "posture/check.h"
#include "posture/collect.h"
#include "posture/factsfile.h"
#include "posture/inventory.h"
#include "posture/lint.h"

#define NO_REPORT	"no posture report was received"

enum check_opt_id {
	OPT_HELP = 'h',
	OPT_POLICY = 256,
	OPT_FACTS,
	OPT_CERT,
	OPT_JSON,
	OPT_STRICT,
};

static const struct option check_options[] = {
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "facts", required_argument, NULL, OPT_FACTS },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/* ---- the command line ---- */

static int check_usage_error(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Control characters of an argument become '?': the message is one line. */
static int check_usage_error(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	for (char *c = err; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return -EINVAL;
}

static int check_opt_file(const char **slot, const char *arg, const char *name, char *err,
			  size_t errlen)
{
	if (*slot)
		return check_usage_error(err, errlen, "--%s given twice", name);
	if (!*arg)
		return check_usage_error(err, errlen, "--%s: empty value", name);
	*slot = arg;
	return 0;
}

static int check_opt_set(struct pst_check_opts *o, int id, const char *arg, char *err,
			 size_t errlen)
{
	switch (id) {
	case OPT_POLICY:	return check_opt_file(&o->policy, arg, "policy", err, errlen);
	case OPT_FACTS:		return check_opt_file(&o->facts, arg, "facts", err, errlen);
	case OPT_CERT:		return check_opt_file(&o->cert, arg, "cert", err, errlen);
	case OPT_JSON:		o->json = true; return 0;
	case OPT_STRICT:	o->strict = true; return 0;
	case OPT_HELP:		o->help = true; return 0;
	}
	return check_usage_error(err, errlen, "internal error: option %d", id);
}

/* getopt reports, we word it: opterr is off so every message is our line. */
static int check_opt_unknown(const char *arg, char *err, size_t errlen)
{
	if (optopt >= OPT_POLICY)
		return check_usage_error(err, errlen, "option '%.64s' takes no value", arg);
	if (optopt > 0)
		return check_usage_error(err, errlen, "unknown option '-%c'", optopt);
	return check_usage_error(err, errlen, "unknown option '%.64s'", arg);
}

int pst_check_opts_parse(int argc, char **argv, struct pst_check_opts *o, char *err,
			 size_t errlen)
{
	int c, ret = 0;

	memset(o, 0, sizeof(*o));
	opterr = 0;
	optind = 1;
	while (!ret && (c = getopt_long(argc, argv, "+:h", check_options, NULL)) != -1) {
		if (c == '?')
			ret = check_opt_unknown(argv[optind - 1], err, errlen);
		else if (c == ':')
			ret = check_usage_error(err, errlen, "option '%.64s' needs a value",
						argv[optind - 1]);
		else
			ret = check_opt_set(o, c, optarg, err, errlen);
	}
	if (!ret && optind < argc)
		ret = check_usage_error(err, errlen, "unexpected argument '%.64s'", argv[optind]);
	if (!ret && !o->help && !o->policy)
		ret = check_usage_error(err, errlen, "missing --policy");
	if (!ret && !o->help && !o->facts && (o->cert || o->json))
		ret = check_usage_error(err, errlen, "%s needs --facts",
					o->cert ? "--cert" : "--json");
	return ret;
}

/* ---- the inputs ---- */

struct check_input {
	struct conf_policy *policy;
	struct pst_inventory *inventory;	/* when the policy names one */
	struct pst_facts facts;
	struct pst_identity id;
	bool have_id;
	bool have_report;
};

/* A loader's outcome: its FILE:LINE problems in err, or the error named. */
static int check_loaded(int ret, const char *path, char *err, size_t errlen)
{
	if (ret && !err[0])
		snprintf(err, errlen, "%s: %s", path, strerror(-ret));
	return ret;
}

/* The gateway looks up the certificate's device id, never a reported one. */
static int check_add_inventory(struct check_input *in, time_t now, char *err, size_t errlen)
{
	int ret;

	if (!in->inventory)
		return 0;
	ret = pst_inventory_facts(in->inventory, in->have_id ? in->id.device_id : NULL, now,
				  in->policy->max_inventory_age, &in->facts);
	if (ret < 0)
		snprintf(err, errlen, "%s: the inventory's facts do not fit with the facts file's",
			 in->policy->inventory);
	return ret < 0 ? ret : 0;
}

/* A facts file without any fact stands for a device that sent no report. */
static int check_load_facts(const char *path, time_t now, struct check_input *in, char *err,
			    size_t errlen)
{
	int ret;

	pst_facts_init(&in->facts);
	ret = pst_factsfile_load(path, now, &in->facts, err, errlen);
	/* Only the agent's facts make a report; client and MDM facts do not. */
	in->have_report = false;
	for (size_t i = 0; i < in->facts.n; i++)
		in->have_report |= in->facts.f[i].source == PST_SRC_AGENT;
	return ret;
}

static int check_load(const struct pst_check_opts *o, time_t now, struct check_input *in,
		      char *err, size_t errlen)
{
	int ret = 0;

	err[0] = '\0';
	if (o->cert) {
		ret = pst_certfile_identity(o->cert, &in->id, err, errlen);
		in->have_id = !ret;
	}
	if (!ret)
		ret = check_loaded(conf_policy_load(o->policy, &in->policy, err, errlen),
				   o->policy, err, errlen);
	if (!ret && in->policy->inventory)
		ret = check_loaded(pst_inventory_load(in->policy->inventory, &in->inventory, err,
						      errlen), in->policy->inventory, err, errlen);
	if (!ret && o->facts)
		ret = check_load_facts(o->facts, now, in, err, errlen);
	if (!ret && o->facts)
		ret = check_add_inventory(in, now, err, errlen);
	return ret;
}

/* ---- the answer ---- */

/* One line per reason, whatever the engine wrote. */
static void print_line(FILE *out, const char *label, const char *text)
{
	fprintf(out, "%s: ", label);
	for (; *text; text++)
		fputc((unsigned char)*text < 0x20 || *text == 0x7f ? '?' : *text, out);
	fputc('\n', out);
}

void pst_decision_print_text(FILE *out, const struct pst_decision *d)
{
	const char *label = d->verdict == PST_DENY ? "reason" : "failed";
	size_t i;

	fprintf(out, "verdict: %s\n", pst_verdict_name(d->verdict));
	fprintf(out, "rule: %s\n", d->rule ? d->rule->name : "-");
	fprintf(out, "profile: %s\n", d->profile ? d->profile->name : "-");
	for (i = 0; i < d->n_reasons && i < PST_REASONS_MAX; i++)
		print_line(out, label, d->reasons[i]);
}

/* One object (common/json.h): {"verdict": ..., "rule": ..., "profile": ...,
 * "reasons": [...]}, on one line. */
void pst_decision_print_json(FILE *out, const struct pst_decision *d)
{
	struct cm_json j;
	size_t i;

	cm_json_init(&j, out, CM_JSON_SPACED);
	cm_json_object_begin(&j);
	cm_json_key(&j, "verdict");
	cm_json_string(&j, pst_verdict_name(d->verdict));
	cm_json_key(&j, "rule");
	cm_json_string(&j, d->rule ? d->rule->name : NULL);
	cm_json_key(&j, "profile");
	cm_json_string(&j, d->profile ? d->profile->name : NULL);
	cm_json_key(&j, "reasons");
	cm_json_array_begin(&j);
	for (i = 0; i < d->n_reasons && i < PST_REASONS_MAX; i++)
		cm_json_string(&j, d->reasons[i]);
	cm_json_array_end(&j);
	cm_json_object_end(&j);
	fputc('\n', out);
}

int pst_check_verdict_exit(enum pst_verdict v)
{
	switch (v) {
	case PST_ALLOW:		return 0;
	case PST_QUARANTINE:	return 1;
	case PST_DENY:		return 2;
	}
	return 2;
}

int pst_check_exit(const struct pst_check_opts *o, const struct pst_check_result *res)
{
	int code = res->decided ? pst_check_verdict_exit(res->verdict) : 0;

	return o->strict && res->n_warnings && code == 0 ? 1 : code;
}

/* The lint's lines, each ending in a newline. */
static int check_lint(const struct pst_check_opts *o, const struct conf_policy *p, FILE *warn,
		      size_t *n)
{
	char *buf = malloc(PST_LINT_MAX);

	if (!buf)
		return -ENOMEM;
	*n = pst_policy_lint(p, o->policy, buf, PST_LINT_MAX);
	if (buf[0])
		fprintf(warn, "%s\n", buf);
	free(buf);
	return 0;
}

static void check_decide(const struct pst_check_opts *o, struct check_input *in, time_t now,
			 FILE *out, struct pst_check_result *res)
{
	struct pst_decision *d = calloc(1, sizeof(*d));
	struct pst_subject subj = {
		.device_id = in->have_id ? in->id.device_id : "",
		.group = in->have_id ? in->id.group : "",
		.ownership = in->have_id ? in->id.ownership : CONF_OWNERSHIP_ANY,
		.report_problem = in->have_report ? NULL : NO_REPORT,
	};

	if (!d)
		return;
	/* The decision points into the policy: printed before it is freed. */
	pst_policy_decide(in->policy, &subj, &in->facts, now, d);
	if (o->json)
		pst_decision_print_json(out, d);
	else
		pst_decision_print_text(out, d);
	res->verdict = d->verdict;
	res->decided = true;
	free(d);
}

int pst_check_run(const struct pst_check_opts *o, FILE *out, FILE *warn,
		  struct pst_check_result *res, char *err, size_t errlen)
{
	struct check_input *in = calloc(1, sizeof(*in));
	time_t now = time(NULL);
	int ret = -ENOMEM;

	memset(res, 0, sizeof(*res));
	if (in)
		ret = check_load(o, now, in, err, errlen);
	if (!ret)
		ret = check_lint(o, in->policy, warn, &res->n_warnings);
	if (!ret && o->facts) {
		check_decide(o, in, now, out, res);
		ret = res->decided ? 0 : -ENOMEM;
	}
	if (ret == -ENOMEM)
		snprintf(err, errlen, "out of memory");
	if (in) {
		conf_policy_free(in->policy);
		pst_inventory_free(in->inventory);
	}
	free(in);
	return ret;
}
