/* SPDX-License-Identifier: MIT */
/*
 * Strict parsers for what an operator types on postern-ca's command line:
 * device ids, groups, owners' and CA names, host names, day counts, dates,
 * IP addresses and revocation reasons. Each takes the whole string or
 * refuses it, and never prints: the program words the refusal, because only
 * it knows which option the value came from.
 */
#ifndef POSTERN_CA_INPUT_H
#define POSTERN_CA_INPUT_H

#include "certs/model.h"

/* The contract's id grammar (common/device.h): 1..64 of [A-Za-z0-9._-], first
 * one alphanumeric, safe as a file name. */
bool ca_device_id_valid(const char *id);
/* Groups follow the device id rules. */
bool ca_group_valid(const char *group);
/* 1..128 characters of well-formed UTF-8 without C0, DEL or C1 controls. */
bool ca_owner_valid(const char *owner);
/* The same, 1..64 characters: a CA name becomes a CN and an O. */
bool ca_name_valid(const char *name);
/* A DNS name of 1..64 characters: labels of [A-Za-z0-9-], 1..63 each, no
 * hyphen at either end. */
bool ca_hostname_valid(const char *name);
/* A number 1..CA_DAYS_MAX by the rule of common/number.h: plain decimal, no
 * leading zero ("007" is refused). Returns 0 or -EINVAL. */
int ca_days_parse(const char *text, unsigned int *out);
/* "YYYY-MM-DD" (a real date, 1970..9999) to 00:00:00Z. 0 or -EINVAL. */
int ca_date_parse(const char *text, time_t *out);
/* An IPv4 dotted quad or an IPv6 literal. 0 or -EINVAL. */
int ca_ip_parse(const char *text, struct ca_ip *out);
/* Reason names as on the command line ("keyCompromise"). 0 or -EINVAL. */
int ca_reason_parse(const char *text, enum ca_reason *out);
const char *ca_reason_name(enum ca_reason reason);

#endif
