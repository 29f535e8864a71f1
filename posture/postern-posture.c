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

static const char usage[] =
	"NAME\n"
	"    postern-posture - collect, check and report a device's posture\n"
	"\n"
	"SYNOPSIS\n"
	"    postern-posture collect\n"
	"    postern-posture check --policy FILE --facts FILE [--cert FILE] [--json]\n"
	"    openconnect --csd-wrapper=postern-posture ...\n"
	"\n"
	"DESCRIPTION\n"
	"    collect\n"
	"        Prints the facts this device would report, one name=value per line,\n"
	"        sorted by name, collected-at (seconds since 1970) among them. The\n"
	"        output is a facts file: `collect > f; check --facts f` works.\n"
	"        Facts a platform cannot tell are left out (on Linux: passcode.set,\n"
	"        device.rooted; disk.encrypted when the root filesystem is not on a\n"
	"        block device; mdm.enrolled without an agent config).\n"
	"\n"
	"    check --policy FILE --facts FILE [--cert FILE] [--json]\n"
	"        The dry run: prints what the gateway would decide under the policy\n"
	"        FILE for a device with the certificate --cert reporting the facts\n"
	"        --facts, as lines\n"
	"            verdict: allow|quarantine|deny\n"
	"            rule: NAME|-\n"
	"            profile: NAME|-\n"
	"            failed: REASON        (one per failed check; deny: reason: ...)\n"
	"        or, with --json, one object {\"verdict\", \"rule\", \"profile\",\n"
	"        \"reasons\"} (rule and profile null when none). Without --cert the\n"
	"        device has no id, group or ownership. A line client:NAME=VALUE or\n"
	"        mdm:NAME=VALUE states a fact from that source (as the audit log\n"
	"        records them), so a gateway decision can be replayed. A facts file\n"
	"        without agent facts stands for a device that sent no report.\n"
	"\n"
	"    anything else\n"
	"        The CSD wrapper, as openconnect runs it when the gateway asks for a\n"
	"        host scan (arguments: STUB -ticket \"T\" -stub \"0\" -group \"G\"\n"
	"        -certhash \"H\" -url \"https://HOST[:PORT]/PATH\" -langselen). Collects\n"
	"        the facts, applies POSTERN_FACTS, and posts them to\n"
	"        https://CSD_HOSTNAME:PORT/+CSCOE+/sdesktop/scan.xml with the device\n"
	"        certificate, within 15 seconds. Prints one line on stderr saying\n"
	"        what happened.\n"
	"\n"
	"ENVIRONMENT\n"
	"    POSTERN_CERT        the device certificate (PEM); its device id is\n"
	"                        reported as device.id (wrapper: required)\n"
	"    POSTERN_KEY         its private key, not open to other users\n"
	"                        (wrapper: required)\n"
	"    POSTERN_FACTS       a facts file applied over the collected facts; an\n"
	"                        empty value (name=) removes a fact\n"
	"    POSTERN_AGENT_CONF  the agent config (default " PST_AGENT_CONF_DEFAULT "):\n"
	"                        mdm-marker = \"PATH\"; mdm.enrolled is whether PATH exists\n"
	"    POSTERN_PORT        the gateway's port (default: the port in -url, else 443)\n"
	"    POSTERN_CAFILE      CA certificates the gateway's chain must verify against\n"
	"    CSD_TOKEN, CSD_HOSTNAME, CSD_SHA256\n"
	"                        set by openconnect: the host-scan token, the gateway's\n"
	"                        address, and the base64 SHA-256 of its public key,\n"
	"                        which must match (required unless POSTERN_CAFILE is set)\n"
	"\n"
	"EXIT STATUS\n"
	"    collect   0 done, 3 usage error, 4 a file could not be used\n"
	"    check     0 allow, 1 quarantine, 2 deny, 3 usage error, 4 a file could\n"
	"              not be used\n"
	"    wrapper   0 the gateway accepted the report (HTTP 200), 1 otherwise\n";

static const char collect_usage[] =
	"usage: postern-posture collect\n"
	"\n"
	"Prints the facts this device would report, one name=value per line, sorted\n"
	"by name. Reads POSTERN_CERT, POSTERN_FACTS and POSTERN_AGENT_CONF (see\n"
	"'postern-posture --help').\n"
	"\n"
	"Exit status: 0 done, 3 usage error, 4 a file could not be used.\n";

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
