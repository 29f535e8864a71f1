/* SPDX-License-Identifier: MIT */
/*
 * The table of posternctl's commands (see ctlcmd.h), shared by posternctl
 * and the gateway's control socket so that the two cannot disagree about
 * which commands exist and what they take.
 */
#include <stdio.h>
#include <string.h>

#include "gateway/ctlcmd.h"

const struct gw_ctlcmd gw_ctlcmds[] = {
	{ "status", GW_CTLCMD_ARG_NONE, "the gateway, its pools and the files in force", false },
	{ "sessions", GW_CTLCMD_ARG_NONE, "every session: device, owner, addresses, bytes", false },
	{ "show", GW_CTLCMD_ARG_QUERY, "a device's session, facts, reasons, decisions", false },
	{ "history", GW_CTLCMD_ARG_DEVICE, "the device's decisions in the audit log", false },
	{ "events", GW_CTLCMD_ARG_NONE, "follow decisions, tunnels and refusals live", true },
	{ "kick", GW_CTLCMD_ARG_DEVICE, "end the device's session; its cookie dies", false },
	{ "ban", GW_CTLCMD_ARG_BAN, "refuse the device for a while; end its session", false },
	{ "unban", GW_CTLCMD_ARG_DEVICE, "lift the device's ban", false },
	{ "bans", GW_CTLCMD_ARG_NONE, "the devices banned, and until when", false },
	{ "reload", GW_CTLCMD_ARG_NONE, "re-read config, policy, inventory and CRL", false },
	{ "policy-diff", GW_CTLCMD_ARG_FILE, "the sessions a candidate policy would move", false },
	{ "stats", GW_CTLCMD_ARG_NONE, "counters: refusals, decisions, drops, bytes", false },
	{ NULL, GW_CTLCMD_ARG_NONE, NULL, false },
};

const struct gw_ctlcmd *gw_ctlcmd_find(const char *name)
{
	for (const struct gw_ctlcmd *c = gw_ctlcmds; c->name; c++) {
		if (!strcmp(c->name, name))
			return c;
	}
	return NULL;
}

const char *gw_ctlcmd_arg_name(enum gw_ctlcmd_arg arg)
{
	switch (arg) {
	case GW_CTLCMD_ARG_DEVICE:	return "DEVICE";
	case GW_CTLCMD_ARG_FILE:	return "FILE";
	case GW_CTLCMD_ARG_QUERY:	return "DEVICE|ADDRESS|OWNER";
	case GW_CTLCMD_ARG_BAN:		return "DEVICE --for DURATION";
	case GW_CTLCMD_ARG_NONE:	break;
	}
	return NULL;
}

void gw_ctlcmd_synopsis(const struct gw_ctlcmd *cmd, char *buf, size_t len)
{
	const char *arg = gw_ctlcmd_arg_name(cmd->arg);

	snprintf(buf, len, "%s%s%s", cmd->name, arg ? " " : "", arg ? arg : "");
}

void gw_ctlcmd_list(char *buf, size_t len)
{
	size_t used = 0;
	char one[64];

	if (len)
		buf[0] = '\0';
	for (const struct gw_ctlcmd *c = gw_ctlcmds; c->name && used < len; c++) {
		int n;

		gw_ctlcmd_synopsis(c, one, sizeof(one));
		n = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", one);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}
