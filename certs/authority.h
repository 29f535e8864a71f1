/* SPDX-License-Identifier: MIT */
/*
 * The CA as the commands that sign something load it: DIR/ca.crt and the
 * DIR/ca.key that matches it.
 */
#ifndef POSTERN_CA_AUTHORITY_H
#define POSTERN_CA_AUTHORITY_H

#include "certs/model.h"

/* Loads DIR/ca.crt and DIR/ca.key, checks they match and that the key is
 * not readable by group or others. 0, or a negative errno with why in err. */
int ca_authority_load(const char *dir, struct ca_authority **out, char *err, size_t errlen);
void ca_authority_free(struct ca_authority *ca);

#endif
