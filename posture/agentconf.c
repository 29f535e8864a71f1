/* SPDX-License-Identifier: MIT */
/*
 * The posture agent's own configuration file (PST_AGENT_CONF_DEFAULT, or
 * POSTERN_AGENT_CONF), read with libconfuse. It has one key, mdm-marker: a
 * file an MDM puts on the devices it has enrolled, whose presence is what
 * the agent reports as mdm.enrolled. The file is read whole first
 * (cm_file_read), so that a FIFO in its place cannot hang the agent, and its
 * first problem is reported as "FILE:LINE: what", the one line a user sees
 * when the agent gives up.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <confuse.h>

#include "common/file.h"
#include "posture/agentconf.h"
#include "posture/collect.h"

#define AGENT_CONF_MAX	(64 * 1024)

/* libconfuse calls back without user data; the agent is single-threaded. */
static struct {
	const char *path;
	char *err;
	size_t errlen;
	int errors;
	int marker_line;
} agentconf;

__attribute__((format(printf, 2, 0)))
static void agentconf_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[256];

	if (agentconf.errors++)
		return;		/* the first problem is the one to fix */
	vsnprintf(msg, sizeof(msg), fmt, ap);
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	snprintf(agentconf.err, agentconf.errlen, "%s:%d: %s", agentconf.path,
		 cfg ? cfg->line : 0, msg);
}

/* An absolute path; set once (libconfuse would silently keep the last). */
static int agentconf_marker_check(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *v = cfg_opt_getnstr(opt, 0);

	if (agentconf.marker_line) {
		cfg_error(cfg, "mdm-marker: set twice (first on line %d)", agentconf.marker_line);
		return -1;
	}
	agentconf.marker_line = cfg->line;
	if (!v || v[0] != '/') {
		cfg_error(cfg, "mdm-marker: must be an absolute path");
		return -1;
	}
	for (; *v; v++) {
		if ((unsigned char)*v < 0x20 || *v == 0x7f) {
			cfg_error(cfg, "mdm-marker: control character in the path");
			return -1;
		}
	}
	return 0;
}

static int agentconf_parse(FILE *fp, const char *path, char *marker, size_t markerlen)
{
	static cfg_opt_t opts[] = {
		CFG_STR("mdm-marker", NULL, CFGF_NODEFAULT),
		CFG_END()
	};
	cfg_t *cfg = cfg_init(opts, CFGF_NONE);
	int ret = -EINVAL;

	if (!cfg)
		return -ENOMEM;
	cfg_set_error_function(cfg, agentconf_error);
	cfg_set_validate_func(cfg, "mdm-marker", agentconf_marker_check);
	cfg->filename = strdup(path);	/* freed by cfg_free */
	if (cfg_parse_fp(cfg, fp) != CFG_SUCCESS) {
		if (!agentconf.errors)
			snprintf(agentconf.err, agentconf.errlen, "%s: syntax error", path);
	} else if (cfg_size(cfg, "mdm-marker") == 0) {
		snprintf(agentconf.err, agentconf.errlen, "%s: missing mdm-marker", path);
	} else if ((size_t)snprintf(marker, markerlen, "%s",
				    cfg_getstr(cfg, "mdm-marker")) >= markerlen) {
		snprintf(agentconf.err, agentconf.errlen, "%s: mdm-marker is too long", path);
	} else {
		ret = 0;
	}
	cfg_free(cfg);
	return ret;
}

static int agentconf_marker(const char *marker, bool *enrolled, char *err, size_t errlen)
{
	struct stat st;

	if (stat(marker, &st) == 0) {
		*enrolled = true;
		return 0;
	}
	if (errno == ENOENT || errno == ENOTDIR) {
		*enrolled = false;
		return 0;
	}
	snprintf(err, errlen, "cannot check the mdm-marker %s: %s", marker, strerror(errno));
	return -errno;
}

int pst_agentconf_mdm(const char *path, bool *enrolled, char *err, size_t errlen)
{
	char marker[PATH_MAX], *text = NULL;
	size_t len = 0;
	FILE *fp = NULL;
	int ret = cm_file_read(path, AGENT_CONF_MAX, &text, &len);

	if (!ret && !(fp = fmemopen(text, len, "r")))
		ret = -ENOMEM;
	if (ret) {
		if (ret != -ENOENT)
			snprintf(err, errlen, "%s: %s", path, pst_file_error(ret));
		free(text);
		return ret;
	}
	agentconf.path = path;
	agentconf.err = err;
	agentconf.errlen = errlen;
	agentconf.errors = 0;
	agentconf.marker_line = 0;
	ret = agentconf_parse(fp, path, marker, sizeof(marker));
	fclose(fp);
	free(text);
	if (!ret)
		ret = agentconf_marker(marker, enrolled, err, errlen);
	return ret;
}
