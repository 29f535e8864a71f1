/* SPDX-License-Identifier: MIT */
/*
 * The posture agent's internal interface, between the files of the
 * postern-posture program: collect.c gathers this device's facts (each
 * collector takes the file or directory it reads, so that unit tests can
 * point it at fixtures), agentconf.c reads the agent's own config file,
 * factsfile.c reads and writes facts files, agent.c is the CSD wrapper that
 * openconnect runs and that posts those facts to the gateway, check.c is
 * the security department's dry run of a policy, and postern-posture.c
 * dispatches between them. The posture model and engine they share are in
 * posture/posture.h.
 */
#ifndef POSTERN_POSTURE_AGENT_H
#define POSTERN_POSTURE_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <openssl/x509.h>

#include "posture/posture.h"

#define PST_AGENT_CONF_DEFAULT	"/etc/postern/posture-agent.conf"
#define PST_AGENT_TIMEOUT_MS	15000	/* the whole post, connect to status line */
#define PST_PIN_LEN		32	/* SHA-256 of the server's SubjectPublicKeyInfo */
#define PST_FACTS_FILE_MAX	16384	/* bytes of a facts file, as of a report */
#define PST_WHY_MAX		512	/* room for one error message */
#define PST_HOST_MAX		255	/* a DNS name, or "[v6 literal]" */

/* Exit statuses of the modes; the wrapper only ever exits 0 or 1. */
enum {
	PST_EXIT_OK = 0,
	PST_EXIT_FAIL = 1,		/* the wrapper's failure */
	PST_EXIT_USAGE = 3,		/* collect and check */
	PST_EXIT_FILE = 4,		/* collect and check: a file could not be used */
};

/* ---- collect.c: what this device says about itself ---- */

/* Where the collectors look; pst_collect_paths_default() fills the real ones. */
struct pst_collect_paths {
	const char *root;		/* "/": etc/os-release, usr/lib/os-release */
	const char *mountinfo;		/* "/proc/self/mountinfo" */
	const char *sys;		/* "/sys" */
	const char *agent_conf;		/* POSTERN_AGENT_CONF or the default */
	const char *cert;		/* POSTERN_CERT, or NULL: no device.id */
	const char *facts;		/* POSTERN_FACTS, or NULL: no overrides */
};

void pst_collect_paths_default(struct pst_collect_paths *paths);

/*
 * Collects every fact this platform can tell, all with source agent and
 * time now, then applies the overrides file. Returns 0, or a negative errno
 * with one line in err (a file that names a path: the certificate, the agent
 * config, the overrides). A fact a collector cannot tell is simply not
 * reported: the policy counts a missing fact as a failed check.
 */
int pst_collect(const struct pst_collect_paths *paths, time_t now, struct pst_facts *facts,
		char *err, size_t errlen);

/* The value of KEY=VALUE in an os-release file (quotes and backslash escapes
 * removed). 0, -ENOENT when KEY is absent, -EINVAL for a malformed value,
 * -ENOSPC when it does not fit. */
int pst_osrelease_value(const char *buf, size_t len, const char *key, char *out, size_t outlen);
/* VERSION_ID of ROOT/etc/os-release, else of ROOT/usr/lib/os-release. */
int pst_osrelease_version(const char *root, char *out, size_t outlen);

/*
 * The device (major:minor) mounted on "/" according to a mountinfo file's
 * text; the last "/" mount wins, as it hides the ones below. 0, -ENOENT when
 * nothing is mounted on "/", -EINVAL for a malformed line.
 */
int pst_mountinfo_root(const char *buf, size_t len, unsigned int *major, unsigned int *minor);

/*
 * Whether block device major:minor is dm-crypt or sits only on dm-crypt
 * devices, read from SYS/dev/block/M:m. 0 with *encrypted set; -ENODEV when
 * it cannot tell (an anonymous device such as overlay or tmpfs, or no such
 * device in sysfs); -ELOOP when the stack is deeper than we follow.
 */
int pst_blockdev_encrypted(const char *sys, unsigned int major, unsigned int minor,
			   bool *encrypted);

/* The identity in a PEM device certificate file. 0, or -errno with err. */
int pst_certfile_identity(const char *path, struct pst_identity *id, char *err, size_t errlen);

/* Words for cm_file_read's errors, to follow a file's name in a message:
 * "not a regular file", "file too large", else strerror's. */
const char *pst_file_error(int err);

/* ---- agentconf.c: the agent's own config file ---- */

/*
 * The agent config (libconfuse, one key: mdm-marker = "PATH"): *enrolled is
 * whether PATH exists. -ENOENT when there is no config file (then mdm.enrolled
 * is not reported); other errors with "FILE:LINE: what" in err.
 */
int pst_agentconf_mdm(const char *path, bool *enrolled, char *err, size_t errlen);

/* ---- factsfile.c: facts files on disk ---- */

/* Reads a facts file (pst_facts_file_parse, source agent) into facts.
 * Errors come as "FILE:LINE: what" or "FILE: what". */
int pst_factsfile_load(const char *path, time_t now, struct pst_facts *facts, char *err,
		       size_t errlen);

/* When the facts of src were collected: the oldest time among them (so a
 * stale fact dates the whole report, failing closed), or now if none. */
time_t pst_facts_collected_at(const struct pst_facts *facts, enum pst_source src, time_t now);

/* Prints the facts of src as a facts file: "name=value" lines sorted by
 * name, collected-at among them. 0 or -EIO. */
int pst_facts_print(FILE *out, const struct pst_facts *facts, enum pst_source src, time_t now);

/* ---- agent.c: the CSD wrapper ---- */

/* What openconnect's wrapper arguments tell us. */
struct pst_csd_args {
	char host[PST_HOST_MAX + 1];	/* from -url: a DNS name or "[v6]", or "" */
	uint16_t port;			/* from -url, 0 when it names none */
};

/* Parses argv[1..] as openconnect passes them to a --csd-wrapper. 0, or
 * -EINVAL with err. */
int pst_csd_args_parse(int argc, char **argv, struct pst_csd_args *out, char *err,
		       size_t errlen);
/* "https://HOST[:PORT][/PATH]": host and port (0 when none). 0 or -EINVAL. */
int pst_url_parse(const char *url, char *host, size_t hostlen, uint16_t *port);
/* A decimal port 1..65535, the whole string. 0 or -EINVAL. */
int pst_port_parse(const char *text, uint16_t *port);
/* A cookie value (RFC 6265 cookie-octets), 1 to 256 of them. */
bool pst_token_valid(const char *token);

/* CSD_SHA256: base64 of PST_PIN_LEN bytes, 44 characters. 0 or -EINVAL. */
int pst_pin_parse(const char *b64, uint8_t pin[PST_PIN_LEN]);
/* 0 when cert's public key hashes to pin, -EPERM when not, -ENOMEM. */
int pst_pin_check(X509 *cert, const uint8_t pin[PST_PIN_LEN]);

/*
 * The status of an HTTP response whose first bytes are buf: 0 with *status,
 * -EAGAIN when the status line is not complete yet, -EBADMSG when it is not
 * an HTTP/1.x status line.
 */
int pst_http_status(const char *buf, size_t len, int *status);

/* What became of a report the gateway answered. */
struct pst_agent_result {
	int status;			/* the gateway's HTTP status; 200: accepted */
	size_t n_facts;
	char hostname[PST_HOST_MAX + 1];	/* CSD_HOSTNAME, the gateway */
	uint16_t port;
};

/*
 * The wrapper: argv as openconnect gives it. Collects the facts and posts
 * them within PST_AGENT_TIMEOUT_MS of network time; 0 with the gateway's
 * answer in *res, or -errno with one line in err. Prints nothing; the
 * program bounds the rest (a resolver that never answers) and ignores
 * SIGPIPE.
 */
int pst_agent_report(int argc, char **argv, struct pst_agent_result *res, char *err,
		     size_t errlen);

/* ---- check.c: the dry run ---- */

void pst_decision_print_text(FILE *out, const struct pst_decision *d);
void pst_decision_print_json(FILE *out, const struct pst_decision *d);
/* `check`'s command line. */
struct pst_check_opts {
	const char *policy;
	const char *facts;
	const char *cert;		/* NULL: the device has no id, group or ownership */
	bool json;
	bool help;
};
#define PST_CHECK_ERR_MAX	8192	/* every FILE:LINE problem of a policy or inventory */

/* Parses argv with argv[0] = "check". 0, or -EINVAL with one line in err. */
int pst_check_opts_parse(int argc, char **argv, struct pst_check_opts *o, char *err,
			 size_t errlen);
/* The dry run: the files loaded as the gateway loads them, decided by its
 * engine. 0 with the decision written to out (text or, with o->json, JSON)
 * and its verdict in *verdict, or -errno with what could not be used in err
 * (a file's FILE:LINE problems, one per line: give it PST_CHECK_ERR_MAX
 * bytes) and nothing written. */
int pst_check_run(const struct pst_check_opts *o, FILE *out, enum pst_verdict *verdict,
		  char *err, size_t errlen);
/* The exit status of a verdict: 0 allow, 1 quarantine, 2 deny. */
int pst_check_exit(enum pst_verdict v);

#endif
