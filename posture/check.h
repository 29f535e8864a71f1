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
