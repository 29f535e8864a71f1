/* SPDX-License-Identifier: MIT */
/*
 * The one rule for a number that a person or a device writes: plain decimal
 * digits, the whole string, no sign, no blanks, no leading zero (only "0"
 * itself starts with one: "007" is refused, as strtol would read "0443" as
 * octal elsewhere), and inside a range the caller names. Every count, port,
 * day count, prefix length and time stamp in seconds that Postern reads goes
 * through here, so the config file, the command line and a device's report
 * agree on what a number is.
 *
 * A duration (cm_duration_parse) is such a number with a unit after it.
 *
 * Grammars of their own are not numbers in this sense and keep their own
 * rules: a version component ("22.04"), the fixed-width fields of a date
 * (common/time.h) and HTTP's Content-Length (1*DIGIT, RFC 9110).
 */
#ifndef POSTERN_COMMON_NUMBER_H
#define POSTERN_COMMON_NUMBER_H

#include <stddef.h>
#include <stdint.h>

/*
 * Parses the len bytes at s. Returns 0 and sets *out; -EINVAL when they are
 * not a plain decimal number; -ERANGE when it lies outside min..max. *out is
 * left alone on error. Never overflows, however long the digits run.
 */
int cm_number_parse_n(const char *s, size_t len, uint64_t min, uint64_t max, uint64_t *out);
/* The same for a NUL-terminated string (NULL is -EINVAL). */
int cm_number_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/*
 * The same, and on error writes the problem into why (when why is not NULL),
 * for a config loader to put after the key's name: "'0x1bb' is not a plain
 * decimal number" or "70000 is out of range 1..65535".
 */
int cm_number_parse_why(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *why,
			size_t whylen);

/*
 * A duration as an operator writes it: a number as above and one unit, s,
 * m, h or d (none: seconds), "90", "30m", "1h", "2d". Sets *secs to 1..max
 * seconds. -EINVAL for another form (a sign, a blank, an unknown unit,
 * "1h30m"), -ERANGE for zero or more than max seconds; why (when not NULL)
 * gets the problem in words: "unknown unit 'x' in '5x' (s, m, h or d)",
 * "'400d' is more than 365d".
 */
int cm_duration_parse(const char *s, uint64_t max, uint64_t *secs, char *why, size_t whylen);

#endif
