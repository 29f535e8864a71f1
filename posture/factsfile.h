/* SPDX-License-Identifier: MIT */
/*
 * Facts files on disk (factsfile.c): read as the agent's overrides and as
 * the dry run's input, written by `postern-posture collect`. Their grammar
 * is pst_facts_file_parse's (posture/posture.h). Only the postern-posture
 * program uses this.
 */
#ifndef POSTERN_POSTURE_FACTSFILE_H
#define POSTERN_POSTURE_FACTSFILE_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>

#include "posture/posture.h"

#define PST_FACTS_FILE_MAX	16384	/* bytes of a facts file, as of a report */

/* Reads a facts file (pst_facts_file_parse, source agent) into facts.
 * Errors come as "FILE:LINE: what" or "FILE: what". */
int pst_factsfile_load(const char *path, time_t now, struct pst_facts *facts, char *err,
		       size_t errlen);

/* When the facts of src were collected: the oldest time among them (so a
 * stale fact dates the whole report, failing closed), or now if none. */
time_t pst_facts_collected_at(const struct pst_facts *facts, enum pst_source src, time_t now);

/* Writes the facts of src to out as a facts file: "name=value" lines
 * sorted by name, collected-at among them. 0 or -EIO. */
int pst_factsfile_write(FILE *out, const struct pst_facts *facts, enum pst_source src,
			time_t now);

#endif
