/* SPDX-License-Identifier: MIT */
/*
 * postern-posture, the posture agent. Run by openconnect as its CSD wrapper
 * (openconnect --csd-wrapper=/usr/bin/postern-posture) it collects this
 * device's facts and reports them to the gateway (agent.c); `collect` prints
 * those facts instead, `check` is the security department's dry run of a
 * policy (check.c) and `report` its view of the fleet from the gateway's
 * audit log (fleet.h). The first argument chooses: openconnect's first
 * argument is a stub file name, usually empty, never one of our mode names.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/macros.h"
#include "posture/agent.h"
#include "posture/check.h"
#include "posture/collect.h"
#include "posture/factsfile.h"
#include "posture/fleet.h"

/* Exit statuses of the modes; the wrapper only ever exits 0 or 1. */
enum {
	PST_EXIT_OK = 0,
	PST_EXIT_FAIL = 1,		/* the wrapper's failure */
	PST_EXIT_USAGE = 3,		/* collect and check */
	PST_EXIT_FILE = 4,		/* collect and check: a file could not be used */
};

/* The manual is postern-posture(8); --help only reminds of the synopsis. */
static const char usage[] =
	"usage: postern-posture collect\n"
	"       postern-posture check --policy FILE [--facts FILE] [--cert FILE] [--json] [--strict]\n"
	"       postern-posture report --audit FILE [--since T] [--until T]\n"
	"                              [--format text|csv|json|html] [--output FILE]\n"
	"       openconnect --csd-wrapper=postern-posture ...   (the posture agent)\n"
	"       postern-posture [collect | check | report] --help\n"
	"       postern-posture --version\n"
	"The posture agent, the policy dry run and the fleet report; see postern-posture(8).\n";

static const char check_usage[] =
	"usage: postern-posture check --policy FILE [--facts FILE] [--cert FILE] [--json] [--strict]\n"
	"Warns about what the policy gets wrong (FILE:LINE: warning: ...) and prints\n"
	"what the gateway would decide for a device with these facts under it;\n"
	"--strict makes warnings exit 1. See postern-posture(8).\n";

static const char collect_usage[] =
	"usage: postern-posture collect\n"
	"Prints the facts this device would report; see postern-posture(8).\n";

/* A full disk or a closed pipe must not pass for success. */
static int stdout_finish(int code)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "postern-posture: cannot write to standard output\n");
		return PST_EXIT_FILE;
	}
	return code;
}

static int collect_main(int argc, char **argv)
{
	struct pst_collect_paths paths;
	struct pst_facts facts;
	char why[PST_WHY_MAX];
	time_t now = time(NULL);

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(collect_usage, stdout);
		return stdout_finish(PST_EXIT_OK);
	}
	if (argc > 1) {
		fprintf(stderr, "postern-posture collect: unexpected argument '%.64s' "
			"(see 'postern-posture collect --help')\n", argv[1]);
		return PST_EXIT_USAGE;
	}
	pst_collect_paths_default(&paths);
	if (pst_collect(&paths, now, &facts, why, sizeof(why))) {
		fprintf(stderr, "postern-posture: %s\n", why);
		return PST_EXIT_FILE;
	}
	pst_factsfile_write(stdout, &facts, PST_SRC_AGENT, now);
	return stdout_finish(PST_EXIT_OK);
}

/* The dry run's answer, or why there is none; returns the exit status. */
static int check_decide(const struct pst_check_opts *o, char *err)
{
	struct pst_check_result res;
	int ret = pst_check_run(o, stdout, stderr, &res, err, PST_CHECK_ERR_MAX);

	/* A file's problems name the file; running out of memory names us. */
	if (ret)
		fprintf(stderr, "%s%s\n", ret == -ENOMEM ? "postern-posture: " : "", err);
	return ret ? PST_EXIT_FILE : pst_check_exit(o, &res);
}

static int check_main(int argc, char **argv)
{
	struct pst_check_opts o;
	char *err = calloc(1, PST_CHECK_ERR_MAX);
	int code;

	if (!err) {
		fprintf(stderr, "postern-posture: out of memory\n");
		return PST_EXIT_FILE;
	}
	if (pst_check_opts_parse(argc, argv, &o, err, PST_CHECK_ERR_MAX)) {
		fprintf(stderr, "postern-posture check: %s (see 'postern-posture check --help')\n",
			err);
		code = PST_EXIT_USAGE;
	} else if (o.help) {
		fputs(check_usage, stdout);
		code = stdout_finish(PST_EXIT_OK);
	} else {
		code = stdout_finish(check_decide(&o, err));
	}
	free(err);
	return code;
}

/*
 * The agent's poll deadline bounds the network; this bounds the rest (a
 * name in CSD_HOSTNAME whose resolver never answers), so the login never
 * hangs.
 */
static void agent_alarm(int sig)
{
	static const char msg[] = "postern-posture: timed out: no posture report was sent\n";
	ssize_t n = write(STDERR_FILENO, msg, sizeof(msg) - 1);

	(void)n;
	(void)sig;
	_exit(PST_EXIT_FAIL);
}

/* The CSD wrapper: one line on stderr says what became of the report. */
static int agent_main(int argc, char **argv)
{
	struct pst_agent_result res;
	char err[PST_WHY_MAX] = "";
	int ret;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, agent_alarm);
	alarm(PST_AGENT_TIMEOUT_MS / 1000 + 2);
	ret = pst_agent_report(argc, argv, &res, err, sizeof(err));
	alarm(0);
	if (ret) {
		fprintf(stderr, "postern-posture: posture report failed: %s\n", err);
		return PST_EXIT_FAIL;
	}
	if (res.status != 200) {
		fprintf(stderr, "postern-posture: the gateway %s refused the posture report "
			"(HTTP %d)\n", res.hostname, res.status);
		return PST_EXIT_FAIL;
	}
	fprintf(stderr, "postern-posture: posture report (%zu facts) accepted by the gateway "
		"%s port %u\n", res.n_facts, res.hostname, res.port);
	return PST_EXIT_OK;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return PST_EXIT_USAGE;
	}
	/* Before the agent's own arguments: the agent would take it for one. */
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("postern-posture %s\n", POSTERN_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return stdout_finish(PST_EXIT_OK);
	}
	if (!strcmp(argv[1], "collect"))
		return collect_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return check_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "report"))
		return pst_fleet_main(argc - 1, argv + 1);
	return agent_main(argc, argv);
}
