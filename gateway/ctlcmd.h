/* SPDX-License-Identifier: MIT */
/*
 * posternctl's commands, listed once for both ends of the control socket:
 * posternctl checks its command line against this table and lists them in
 * its --help from it (posternctl(8) says the rest), and the gateway
 * (control.c) takes requests by the same names and argument kinds, mapping
 * each name to its handler. The table is data only, so that posternctl
 * links none of the daemon's code.
 */
#ifndef POSTERN_GW_CTLCMD_H
#define POSTERN_GW_CTLCMD_H

#include <stdbool.h>
#include <stddef.h>

#define GW_CTLCMD_SYNOPSIS_MAX	26	/* characters of "NAME ARG", the column of --help */
#define GW_CTLCMD_HELP_MAX	48	/* characters: a usage line within 76 columns */
#define GW_CTLCMD_BAN_MAX	(365 * 86400)	/* seconds: the longest ban, a year */

enum gw_ctlcmd_arg {
	GW_CTLCMD_ARG_NONE,
	GW_CTLCMD_ARG_DEVICE,		/* a device id (checked by the gateway) */
	GW_CTLCMD_ARG_FILE,		/* a path; posternctl sends it absolute */
	GW_CTLCMD_ARG_QUERY,		/* a device id, a tunnel address or an owner's name */
	GW_CTLCMD_ARG_BAN,		/* "DEVICE --for DURATION"; sent as "DEVICE SECONDS" */
};

struct gw_ctlcmd {
	const char *name;
	enum gw_ctlcmd_arg arg;
	const char *help;		/* one line for --help, at most GW_CTLCMD_HELP_MAX */
	bool stream;			/* the answer goes on until the client hangs up */
};

/* Every command, in the order posternctl's usage lists them; a NULL name ends it. */
extern const struct gw_ctlcmd gw_ctlcmds[];

/* The command called exactly name, or NULL. */
const struct gw_ctlcmd *gw_ctlcmd_find(const char *name);
/* "DEVICE", "FILE", "DEVICE|ADDRESS|OWNER", "DEVICE --for DURATION", or NULL for none. */
const char *gw_ctlcmd_arg_name(enum gw_ctlcmd_arg arg);
/* "NAME" or "NAME ARG", as usage and errors show a command. */
void gw_ctlcmd_synopsis(const struct gw_ctlcmd *cmd, char *buf, size_t len);
/* Every command's synopsis, ", " between them, cut to fit len. */
void gw_ctlcmd_list(char *buf, size_t len);

#endif
