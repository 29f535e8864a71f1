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
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "posture/agent.h"
#include "posture/inventory.h"

#define POLICY_ERR_MAX	8192	/* every FILE:LINE problem of a policy or inventory */
#define NO_REPORT	"no posture report was received"

enum check_opt_id {
	OPT_HELP = 'h',
	OPT_POLICY = 256,
	OPT_FACTS,
	OPT_CERT,
	OPT_JSON,
};

static const struct option check_options[] = {
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "facts", required_argument, NULL, OPT_FACTS },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static const char check_usage[] =
	"usage: postern-posture check --policy FILE --facts FILE [--cert FILE] [--json]\n"
	"\n"
	"Prints what the gateway would decide for a device with these facts under\n"
	"this policy: verdict, rule and profile, then one line per failed check.\n"
	"\n"
	"  --policy FILE   the posture policy (as posternd's policy key names it)\n"
	"  --facts FILE    name=value lines, as 'postern-posture collect' prints them;\n"
	"                  client:name=value and mdm:name=value state facts from those\n"
	"                  sources (as an audit record lists them); a file without\n"
	"                  agent facts stands for a device that sent no report\n"
	"  --cert FILE     the device's certificate (PEM): its device id, group and\n"
	"                  ownership; without it the device has none of them\n"
	"                  (and no record in the policy's MDM inventory, whose\n"
	"                  record replaces the facts file's mdm: lines)\n"
	"  --json          one JSON object instead of lines\n"
	"\n"
	"Exit status: 0 allow, 1 quarantine, 2 deny, 3 usage error, 4 a file could\n"
	"not be used.\n";

struct check_opts {
	const char *policy;
	const char *facts;
	const char *cert;
	bool json;
	bool help;
};

/* ---- the command line ---- */

static int check_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int check_usage_error(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	fprintf(stderr, "postern-posture check: %s (see 'postern-posture check --help')\n", msg);
	return -EINVAL;
}

static int check_opt_file(const char **slot, const char *arg, const char *name)
{
	if (*slot)
		return check_usage_error("--%s given twice", name);
	if (!*arg)
		return check_usage_error("--%s: empty value", name);
	*slot = arg;
	return 0;
}

static int check_opt_set(struct check_opts *o, int id, const char *arg)
{
	switch (id) {
	case OPT_POLICY:	return check_opt_file(&o->policy, arg, "policy");
	case OPT_FACTS:		return check_opt_file(&o->facts, arg, "facts");
	case OPT_CERT:		return check_opt_file(&o->cert, arg, "cert");
	case OPT_JSON:		o->json = true; return 0;
	case OPT_HELP:		o->help = true; return 0;
	}
	return check_usage_error("internal error: option %d", id);
}

/* getopt reports, we word it: opterr is off so every message is our line. */
static int check_opt_unknown(const char *arg)
{
	if (optopt >= OPT_POLICY)
		return check_usage_error("option '%.64s' takes no value", arg);
	if (optopt > 0)
		return check_usage_error("unknown option '-%c'", optopt);
	return check_usage_error("unknown option '%.64s'", arg);
}

static int check_opts_parse(int argc, char **argv, struct check_opts *o)
{
	int c, ret = 0;

	opterr = 0;
	optind = 1;
	while (!ret && (c = getopt_long(argc, argv, "+:h", check_options, NULL)) != -1) {
		if (c == '?')
			ret = check_opt_unknown(argv[optind - 1]);
		else if (c == ':')
			ret = check_usage_error("option '%.64s' needs a value", argv[optind - 1]);
		else
			ret = check_opt_set(o, c, optarg);
	}
	if (!ret && optind < argc)
		ret = check_usage_error("unexpected argument '%.64s'", argv[optind]);
	if (!ret && !o->help && !o->policy)
		ret = check_usage_error("missing --policy");
	if (!ret && !o->help && !o->facts)
		ret = check_usage_error("missing --facts");
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

/* A loader's outcome: its FILE:LINE problems, or the error, on stderr. */
static int check_loaded(int ret, const char *err, const char *path)
{
	if (ret && err[0])
		fprintf(stderr, "%s\n", err);
	else if (ret)
		fprintf(stderr, "%s: %s\n", path, strerror(-ret));
	return ret;
}

static int check_load_policy(const char *path, struct conf_policy **out)
{
	char *err = calloc(1, POLICY_ERR_MAX);
	int ret;

	if (!err)
		return -ENOMEM;
	ret = check_loaded(conf_policy_load(path, out, err, POLICY_ERR_MAX), err, path);
	free(err);
	return ret;
}

static int check_load_inventory(const char *path, struct pst_inventory **out)
{
	char *err = calloc(1, POLICY_ERR_MAX);
	int ret;

	if (!err)
		return -ENOMEM;
	ret = check_loaded(pst_inventory_load(path, out, err, POLICY_ERR_MAX), err, path);
	free(err);
	return ret;
}

/* The gateway looks up the certificate's device id, never a reported one. */
static int check_add_inventory(struct check_input *in, time_t now)
{
	int ret;

	if (!in->inventory)
		return 0;
	ret = pst_inventory_facts(in->inventory, in->have_id ? in->id.device_id : NULL, now,
				  in->policy->max_inventory_age, &in->facts);
	if (ret < 0)
		fprintf(stderr, "%s: the inventory's facts do not fit with the facts file's\n",
			in->policy->inventory);
	return ret < 0 ? ret : 0;
}

/* A facts file without any fact stands for a device that sent no report. */
static int check_load_facts(const char *path, time_t now, struct check_input *in)
{
	char why[PST_WHY_MAX];
	int ret;

	pst_facts_init(&in->facts);
	ret = pst_factsfile_load(path, now, &in->facts, why, sizeof(why));
	if (ret)
		fprintf(stderr, "%s\n", why);
	/* Only the agent's facts make a report; client and MDM facts do not. */
	in->have_report = false;
	for (size_t i = 0; i < in->facts.n; i++)
		in->have_report |= in->facts.f[i].source == PST_SRC_AGENT;
	return ret;
}

static int check_load(const struct check_opts *o, time_t now, struct check_input *in)
{
	char why[PST_WHY_MAX];
	int ret = 0;

	if (o->cert) {
		ret = pst_certfile_identity(o->cert, &in->id, why, sizeof(why));
		if (ret)
			fprintf(stderr, "%s\n", why);
		in->have_id = !ret;
	}
	if (!ret)
		ret = check_load_policy(o->policy, &in->policy);
	if (!ret && in->policy->inventory)
		ret = check_load_inventory(in->policy->inventory, &in->inventory);
	if (!ret)
		ret = check_load_facts(o->facts, now, in);
	if (!ret)
		ret = check_add_inventory(in, now);
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

static int check_verdict_exit(enum pst_verdict v)
{
	switch (v) {
	case PST_ALLOW:		return 0;
	case PST_QUARANTINE:	return 1;
	case PST_DENY:		return 2;
	}
	return 2;
}

static int check_run(const struct check_opts *o)
{
	struct check_input *in = calloc(1, sizeof(*in));
	struct pst_decision *d = calloc(1, sizeof(*d));
	struct pst_subject subj;
	time_t now = time(NULL);
	int code = PST_EXIT_FILE;

	if (!in || !d) {
		fprintf(stderr, "postern-posture: out of memory\n");
	} else if (!check_load(o, now, in)) {
		subj = (struct pst_subject){
			.device_id = in->have_id ? in->id.device_id : "",
			.group = in->have_id ? in->id.group : "",
			.ownership = in->have_id ? in->id.ownership : CONF_OWNERSHIP_ANY,
			.report_problem = in->have_report ? NULL : NO_REPORT,
		};
		pst_policy_decide(in->policy, &subj, &in->facts, now, d);
		if (o->json)
			pst_decision_print_json(stdout, d);
		else
			pst_decision_print_text(stdout, d);
		code = check_verdict_exit(d->verdict);
	}
	if (in) {
		conf_policy_free(in->policy);
		pst_inventory_free(in->inventory);
	}
	free(in);
	free(d);
	return code;
}

/* A full disk or a closed pipe must not pass for a verdict. */
static int check_stdout_finish(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "postern-posture: cannot write to standard output\n");
		return PST_EXIT_FILE;
	}
	return code;
}

int pst_check_main(int argc, char **argv)
{
	struct check_opts o = { 0 };

	if (check_opts_parse(argc, argv, &o))
		return PST_EXIT_USAGE;
	if (o.help) {
		fputs(check_usage, stdout);
		return check_stdout_finish(PST_EXIT_OK);
	}
	return check_stdout_finish(check_run(&o));
}
