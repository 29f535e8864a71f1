/* SPDX-License-Identifier: MIT */
/*
 * postern-posture, the posture agent. Run by openconnect as its CSD wrapper
 * (openconnect --csd-wrapper=/usr/bin/postern-posture) it collects this
 * device's facts and reports them to the gateway (agent.c); `collect` prints
 * those facts instead, and `check` is the security department's dry run of
 * a policy (check.c). The first argument chooses: openconnect's first
 * argument is a stub file name, usually empty, never one of our mode names.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "posture/agent.h"

/* The manual is postern-posture(8); --help only reminds of the synopsis. */
static const char usage[] =
	"usage: postern-posture collect\n"
	"       postern-posture check --policy FILE --facts FILE [--cert FILE] [--json]\n"
	"       openconnect --csd-wrapper=postern-posture ...   (the posture agent)\n"
	"       postern-posture [collect | check] --help\n"
	"The posture agent and the policy dry run; see postern-posture(8).\n";

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
	pst_facts_print(stdout, &facts, PST_SRC_AGENT, now);
	return stdout_finish(PST_EXIT_OK);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return PST_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return stdout_finish(PST_EXIT_OK);
	}
	if (!strcmp(argv[1], "collect"))
		return collect_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "check"))
		return pst_check_main(argc - 1, argv + 1);
	return pst_agent_main(argc, argv);
}
