/* SPDX-License-Identifier: MIT */
/*
 * `postern-posture check`, the dry run of a policy (check.c): its command
 * line, the run, which loads the files as the gateway does and decides with
 * its engine, and the decision's text and JSON forms. Only the
 * postern-posture program uses this.
 */
#ifndef POSTERN_POSTURE_CHECK_H
#define POSTERN_POSTURE_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "posture/posture.h"

void pst_decision_print_text(FILE *out, const struct pst_decision *d);
void pst_decision_print_json(FILE *out, const struct pst_decision *d);
/* `check`'s command line. */
struct pst_check_opts {
	const char *policy;
	const char *facts;		/* NULL: only the policy is checked (and linted) */
	const char *cert;		/* NULL: the device has no id, group or ownership */
	bool json;
	bool strict;			/* lint warnings make the exit status 1 */
	bool help;
};

/* What a run found: the lint's warnings, and the decision when there were facts. */
struct pst_check_result {
	size_t n_warnings;
	bool decided;
	enum pst_verdict verdict;
};
#define PST_CHECK_ERR_MAX	8192	/* every FILE:LINE problem of a policy or inventory */

/* Parses argv with argv[0] = "check". 0, or -EINVAL with one line in err. */
int pst_check_opts_parse(int argc, char **argv, struct pst_check_opts *o, char *err,
			 size_t errlen);
/* The dry run: the files loaded as the gateway loads them, the policy linted
 * (posture/lint.h: each warning a "FILE:LINE: warning: ..." line on warn),
 * then, with facts, decided by the gateway's engine. 0 with the decision
 * written to out (text or, with o->json, JSON) and res filled in, or -errno
 * with what could not be used in err (a file's FILE:LINE problems, one per
 * line: give it PST_CHECK_ERR_MAX bytes) and nothing written. */
int pst_check_run(const struct pst_check_opts *o, FILE *out, FILE *warn,
		  struct pst_check_result *res, char *err, size_t errlen);
/* The exit status of a verdict: 0 allow, 1 quarantine, 2 deny. */
int pst_check_verdict_exit(enum pst_verdict v);
/* The exit status of a run: the verdict's (0 without facts); with
 * o->strict, warnings turn a 0 into 1. */
int pst_check_exit(const struct pst_check_opts *o, const struct pst_check_result *res);

#endif
