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
	"    postern-posture --help\n"
	"    openconnect --csd-wrapper=postern-posture ...\n"
	"\n"
	"DESCRIPTION\n"
	"    The posture agent of the Postern VPN gateway, and the security\n"
	"    department's dry run of a posture policy. On a device, openconnect runs\n"
	"    it as its CSD wrapper when the gateway asks for a host scan: it collects\n"
	"    the device's facts and reports them to the gateway over TLS with the\n"
	"    device certificate; the gateway's policy then decides allow, quarantine\n"
	"    or deny. The first argument chooses the command.\n"
	"\n"
	"    On Linux the agent reports os.name, os.version (VERSION_ID of\n"
	"    os-release), os.kernel, device.hostname, device.id (from POSTERN_CERT),\n"
	"    disk.encrypted (whether the root filesystem is on dm-crypt) and\n"
	"    mdm.enrolled (from the agent config). Facts a platform cannot tell are\n"
	"    left out, and a policy check that needs a missing fact fails (on Linux:\n"
	"    passcode.set, device.rooted; disk.encrypted when the root filesystem is\n"
	"    not on a block device; mdm.enrolled without an agent config).\n"
	"\n"
	"COMMANDS\n"
	"    collect\n"
	"        Prints the facts this device would report, one name=value per line,\n"
	"        sorted by name, collected-at (seconds since 1970) among them. The\n"
	"        output is a facts file: `collect > f; check --facts f` works.\n"
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
	"OPTIONS\n"
	"    -h, --help\n"
	"        Prints this help and exits. After collect or check: that command's\n"
	"        own help.\n"
	"\n"
	"EXIT STATUS\n"
	"    collect   0 done, 3 usage error, 4 a file could not be used\n"
	"    check     0 allow, 1 quarantine, 2 deny, 3 usage error, 4 a file could\n"
	"              not be used\n"
	"    wrapper   0 the gateway accepted the report (HTTP 200), 1 otherwise\n"
	"    --help    0; without any argument this help goes to stderr, status 3\n"
	"\n"
	"ENVIRONMENT\n"
	"    POSTERN_CERT        the device certificate (PEM); its device id is\n"
	"                        reported as device.id (wrapper: required)\n"
	"    POSTERN_KEY         its private key, not open to other users\n"
	"                        (wrapper: required)\n"
	"    POSTERN_FACTS       a facts file applied over the collected facts; an\n"
	"                        empty value (name=) removes a fact\n"
	"    POSTERN_AGENT_CONF  the agent config (see FILES) instead of the default\n"
	"    POSTERN_PORT        the gateway's port (default: the port in -url, else 443)\n"
	"    POSTERN_CAFILE      CA certificates the gateway's chain must verify against\n"
	"    CSD_TOKEN, CSD_HOSTNAME, CSD_SHA256\n"
	"                        set by openconnect: the host-scan token, the gateway's\n"
	"                        address, and the base64 SHA-256 of its public key,\n"
	"                        which must match (required unless POSTERN_CAFILE is set)\n"
	"\n"
	"FILES\n"
	"    " PST_AGENT_CONF_DEFAULT "\n"
	"        The agent config (libconfuse), one key: mdm-marker = \"PATH\";\n"
	"        mdm.enrolled is whether PATH exists. No file: no mdm.enrolled.\n"
	"    /etc/os-release, /usr/lib/os-release\n"
	"        os.version, from the first that exists.\n"
	"    /proc/self/mountinfo, /sys/dev/block/\n"
	"        disk.encrypted: the device mounted on / and what it sits on.\n"
	"\n"
	"EXAMPLES\n"
	"    On a device (or in its MDM profile), openconnect runs the agent:\n"
	"        POSTERN_CERT=dev.crt POSTERN_KEY=dev.key \\\n"
	"        openconnect --non-inter --no-passwd -c dev.crt -k dev.key \\\n"
	"            --cafile ca.crt --csd-wrapper /usr/bin/postern-posture \\\n"
	"            https://vpn.example.com/\n"
	"\n"
	"    What this device would report, and what a policy makes of it:\n"
	"        POSTERN_CERT=dev.crt postern-posture collect > dev.facts\n"
	"        postern-posture check --policy /etc/postern/policy.conf \\\n"
	"            --facts dev.facts --cert dev.crt\n"
	"\n"
	"    Replaying an audit record: write its facts as SOURCE:NAME=VALUE lines\n"
	"    (client:os.name=android, agent:os.version=12.5) and pass them to check\n"
	"    with the device's certificate.\n"
	"\n"
	"SEE ALSO\n"
	"    postern-posture check --help, posternd --help, postern-ca --help,\n"
	"    openconnect(8)\n";

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
