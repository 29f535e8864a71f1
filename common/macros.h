/* SPDX-License-Identifier: MIT */
/*
 * The few macros every part of Postern wants and none should define again:
 * the number of elements of an array. Kept apart from the other common
 * headers so that including it drags in nothing else.
 */
#ifndef POSTERN_COMMON_MACROS_H
#define POSTERN_COMMON_MACROS_H

/* Elements of an array (never of a pointer: the type check is the compiler's
 * -Wsizeof-pointer-div). */
#define CM_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The release every program reports with --version (and posternd in status). */
#ifndef POSTERN_VERSION
#define POSTERN_VERSION "0.2.0"
#endif

#endif
