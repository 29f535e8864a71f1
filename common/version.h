/* SPDX-License-Identifier: MIT */
/*
 * Version numbers as the policy loader, the MDM inventory and the posture
 * engine read and compare them: dot-separated decimal components compared
 * one by one as numbers, so "17.10" comes after "17.9" (a string comparison
 * gets that wrong) and "17" equals "17.0". A distribution's suffix
 * ("6.1.0-13-amd64") is ignored. The policy's min-version and a device's
 * os.version must be read by the same rule, or a minimum could never be
 * compared: hence one parser, here. (Which versions a device of a platform
 * can be running is posture knowledge: pst_version_possible.)
 */
#ifndef POSTERN_COMMON_VERSION_H
#define POSTERN_COMMON_VERSION_H

#include <stdint.h>

#define CM_VERSION_PARTS	8

/*
 * A version number: up to CM_VERSION_PARTS dot-separated decimal
 * components ("17.10", "6.1.0"), optionally followed by a suffix that starts
 * with '-', '+', '~' or ' ' and is ignored ("6.1.0-13-amd64"). Missing
 * components count as 0, so "17" == "17.0"; components compare numerically,
 * so "17.10" > "17.9". Each component is at most 9 digits.
 */
struct cm_version {
	uint32_t part[CM_VERSION_PARTS];
	unsigned int n;
};

/* Returns 0, or -EINVAL for anything that is not a version as above. */
int cm_version_parse(const char *text, struct cm_version *out);
/* <0, 0, >0 like strcmp. */
int cm_version_cmp(const struct cm_version *a, const struct cm_version *b);

#endif
