/* SPDX-License-Identifier: MIT */
/*
 * posternd: the Postern gateway daemon. Loads and checks the configuration
 * (or only checks it, with -t), then supervises the network process
 * (gateway/supervise.c), which sets up the TUN device and the listeners while
 * it still has the privileges for that, drops them, enters its sandbox and
 * runs the event loops; all in the foreground, logging to stderr.
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/conf.h"
#include "conf/policy.h"
#include "gateway/access.h"
#include "gateway/broker.h"
#include "gateway/landlock.h"
#include "gateway/log.h"
#include "gateway/sandbox.h"
#include "gateway/model.h"
#include "gateway/privs.h"
#include "gateway/restore.h"
#include "gateway/resume.h"
#include "gateway/procstat.h"
#include "gateway/reload.h"
#include "gateway/supervise.h"
#include "gateway/keeper.h"
#include "gateway/worker.h"
#include "posture/inventory.h"

#define DEFAULT_CONF "/etc/postern/posternd.conf"

/* The manual is posternd(8); --help only reminds of the synopsis. */
static void usage(FILE *f)
{
	fputs("usage: posternd [-v] [-c FILE]\n"
	      "       posternd -t [-v] [-c FILE]\n"
	      "       posternd -V | -h\n"
	      "The Postern gateway daemon; see posternd(8) and posternd.conf(5).\n", f);
}

/* A loader's FILE:LINE messages, one per line, ending in a newline. */
static void print_load_errors(const char *err, const char *fallback)
{
	fprintf(stderr, "%s", err[0] ? err : fallback);
	if (err[0] && err[strlen(err) - 1] != '\n')
		fputc('\n', stderr);
}

static int load_conf(const char *path, struct gw_conf **conf)
{
	char err[4096];
	int r = conf_gateway_load(path, conf, err, sizeof(err));

	if (r < 0)
		print_load_errors(err, "configuration failed to load\n");
	return r;
}

/* The policy is checked as strictly as the config: any problem, no start.
 * The lint's warnings are logged (with -t, printed as they are) and start
 * nothing and stop nothing. */
static int load_policy(const struct gw_conf *conf, struct conf_policy **policy, bool test)
{
	char err[8192];
	int r;

	*policy = NULL;
	if (!conf->policy)
		return 0;
	r = conf_policy_load(conf->policy, policy, err, sizeof(err));
	if (r < 0)
		print_load_errors(err, "policy failed to load\n");
	else
		gw_policy_lint(*policy, conf->policy, test ? stderr : NULL);
	return r;
}

/* The worker owns conf and policy from here on. */
/* -t checks the inventory the policy names as the gateway would load it. */
static int check_inventory(const struct conf_policy *policy)
{
	struct pst_inventory *inv = NULL;
	char err[8192];

	if (!policy || !policy->inventory)
		return 0;
	if (pst_inventory_load(policy->inventory, &inv, err, sizeof(err)) < 0) {
		print_load_errors(err, "inventory failed to load\n");
		return 1;
	}
	printf("%s: inventory OK (%zu records)\n", policy->inventory, pst_inventory_count(inv));
	pst_inventory_free(inv);
	return 0;
}

/*
 * Before anything is set up: the files the daemon re-reads after it has
 * dropped root must be within reach of its user, or it does not start (a
 * CRL it cannot re-read is revocation that silently stops working). -t
 * checks the same; when it runs without root it cannot try, and says so.
 */
static int check_access(const struct gw_conf *conf, const struct conf_policy *policy, bool test)
{
	char err[8192];
	int r = gw_access_check(conf, policy, err, sizeof(err));

	if (r == 0)
		return 0;
	if (r == -EPERM && test) {
		fprintf(stderr, "posternd: warning: %s; run posternd -t as root to check that "
			"user %s can re-read the files\n", err, conf->user);
		return 0;
	}
	print_load_errors(err, "the files cannot be checked\n");
	fprintf(stderr, "posternd: %s: user %s cannot re-read what the running gateway must "
		"re-read; %s\n", conf->path, conf->user,
		test ? "the gateway would not start" : "not starting");
	return -1;
}

/*
 * Secure by default: the network-facing side never runs as root. Without
 * `user` it becomes CONF_DEFAULT_USER, which must exist; only `user =
 * "root"` keeps root, and says so.
 */
static int check_user(const struct gw_conf *conf)
{
	if (conf->run_as_root) {
		fprintf(stderr, "posternd: warning: %s: user = \"root\": the workers that parse "
			"network input keep root and every capability; name a dedicated user "
			"(adduser --system --group %s)\n", conf->path, CONF_DEFAULT_USER);
		return 0;
	}
	if (!conf->user_default || getpwnam(conf->user))
		return 0;
	fprintf(stderr, "posternd: %s: no `user` set, and the default user '%s' does not exist: "
		"create it (adduser --system --group %s), name another with user = \"NAME\", "
		"or keep root with user = \"root\" (not recommended); not starting\n",
		conf->path, conf->user, conf->user);
	return -1;
}

/*
 * The files the network process goes back to, for the supervisor's file
 * broker: the directories of those it re-reads, the audit log it reopens,
 * and the user whose permissions apply.
 */
static int broker_rules(const struct gw_conf *conf, const struct conf_policy *policy,
			struct gw_broker_rules *r)
{
	const char *read[] = { conf->path, conf->ca_cert, conf->crl, conf->policy,
			       policy ? policy->inventory : NULL };
	const struct passwd *pw = conf->user ? getpwnam(conf->user) : NULL;
	int err = 0;

	memset(r, 0, sizeof(*r));
	for (size_t i = 0; i < sizeof(read) / sizeof(read[0]) && !err; i++)
		err = gw_broker_rules_add(r, read[i]);
	if (conf->audit_log)
		snprintf(r->append, sizeof(r->append), "%s", conf->audit_log);
	if (pw) {
		r->uid = pw->pw_uid;
		r->gid = pw->pw_gid;
	}
	return err;
}

static int run(struct gw_conf *conf, struct conf_policy *policy)
{
	char dir[PATH_MAX];
	/* Files come from the broker: the filesystem is only for removing the
	 * control socket at the end. */
	struct gw_landlock fs = { .remove = gw_landlock_dir(conf->control_socket, dir,
							    sizeof(dir)) };
	struct gw_gateway gw;
	struct gw_worker *w;
	const char *user = conf->user;
	char pool[64], dtls[96];
	int err, perr;

	gw_proc_started();
	signal(SIGPIPE, SIG_IGN);
	err = gw_gateway_init(&gw, conf, policy);
	/* The TUN and the listeners are open: root is not needed any more.
	 * What process_* reads in /proc is opened first: the sandbox takes
	 * /proc away (procstat.c); the key holder is forked by now. */
	if (err == 0 && (perr = gw_proc_open()) < 0)
		gw_warn("/proc/self: %s: the process_* metrics lack memory and open files",
			strerror(-perr));
	if (err == 0) {
		/* No Landlock: an empty root directory takes the filesystem
		 * away instead (privs.h), while root may still chroot. */
		err = gw_privs_drop(user, !gw_landlock_abi());
		if (err < 0)
			gw_err("cannot drop privileges to user %s: %s%s", user ? user : "(none)",
			       strerror(-err), gw_landlock_abi() ? "" : " (this kernel has no "
			       "Landlock: the empty root directory that stands in for it needs "
			       "CAP_SYS_CHROOT and a writable /tmp)");
		else if (user)
			gw_info("running as user %s", user);
		else
			gw_warn("RUNNING AS ROOT (user = \"root\"): the workers that parse network "
				"input keep root and every capability");
	}
	if (err == 0) {
		gw_broker_use(gw_supervise_broker_fd());
		gw_resume_use(gw_supervise_resume_fd());
		err = gw_sandbox_enter(GW_SANDBOX_GATEWAY, &fs);
		if (err < 0)
			gw_err("cannot install the sandbox (landlock, seccomp): %s", strerror(-err));
		else if (strncmp(gw_sandbox_state(), "on", 2))
			gw_warn("SANDBOX OFF: %s", gw_sandbox_state());
		else if (!gw_sandbox_landlock())
			gw_warn("sandbox %s", gw_sandbox_state());
		else
			gw_info("sandbox %s", gw_sandbox_state());
	}
	if (err == 0) {
		w = gw.w[0];
		conf_cidr_format(&w->pol.conf->ipv4_pool, pool, sizeof(pool));
		if (w->net.udp && gw.n > 1)
			snprintf(dtls, sizeof(dtls), "on UDP ports %u-%u (one per worker)",
				 conf_gateway_udp_port(w->pol.conf),
				 conf_gateway_udp_port(w->pol.conf) + gw.n - 1);
		else if (w->net.udp)
			snprintf(dtls, sizeof(dtls), "on UDP port %u", conf_gateway_udp_port(w->pol.conf));
		else
			snprintf(dtls, sizeof(dtls), "off (dtls = false): data over TLS only");
		if (w->pol.policy)
			gw_info("posture policy %s (sha256 %s): %zu rules, agent %s",
				w->pol.policy->path, w->pol.policy->sha256, w->pol.policy->n_rules,
				w->pol.policy->agent == CONF_AGENT_REQUIRED ? "required" : "optional");
		gw_info("listening on %s:%u (tun %s, pool %s, %u worker%s); DTLS %s",
			w->pol.conf->listen, w->pol.conf->port, w->dp.tun.name, pool, gw.n,
			gw.n == 1 ? "" : "s", dtls);
		gw_restore_sessions(&gw);
		gw_supervise_ready();
		err = gw_gateway_run(&gw);
	} else {
		gw_err("start-up failed: %s", strerror(-err));
	}
	gw_gateway_free(&gw);
	gw_proc_close();
	return err == 0 ? 0 : 1;
}

/* What the supervisor hands each network process it starts. */
struct net_args {
	const char *path;
	struct gw_conf *conf;
	struct conf_policy *policy;
};

/*
 * The network process. The first runs on what posternd checked at start;
 * one started again after a crash reads the files anew (a reload may have
 * changed them since), checked as strictly as at start.
 */
static int net_main(void *arg, unsigned int restarts)
{
	struct net_args *a = arg;

	if (restarts) {
		conf_policy_free(a->policy);
		conf_gateway_free(a->conf);
		a->conf = NULL;
		a->policy = NULL;
		if (load_conf(a->path, &a->conf) < 0)
			return 1;
		if (load_policy(a->conf, &a->policy, false) < 0 || check_user(a->conf) < 0 ||
		    check_access(a->conf, a->policy, false) < 0) {
			conf_policy_free(a->policy);
			conf_gateway_free(a->conf);
			return 1;
		}
	}
	return run(a->conf, a->policy);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "test", no_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *path = DEFAULT_CONF;
	struct gw_conf *conf = NULL;
	struct conf_policy *policy = NULL;
	static struct gw_broker_rules files;
	struct net_args a;
	int test = 0, verbose = 0, ch, rc, err;

	while ((ch = getopt_long(argc, argv, "c:tvVh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 't': test = 1; break;
		case 'v': verbose = 1; break;
		case 'V': printf("posternd %s\n", POSTERN_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "posternd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	gw_log_init("posternd", verbose);
	if (load_conf(path, &conf) < 0)
		return 1;
	if (load_policy(conf, &policy, test) < 0) {
		conf_gateway_free(conf);
		return 1;
	}
	if (check_user(conf) < 0) {
		conf_policy_free(policy);
		conf_gateway_free(conf);
		return 1;
	}
	if (test) {
		rc = check_inventory(policy);
		if (rc == 0 && check_access(conf, policy, true) < 0)
			rc = 1;
		if (rc == 0) {
			printf("%s: configuration OK\n", path);
			if (policy)
				printf("%s: policy OK\n", policy->path);
		}
		conf_policy_free(policy);
		conf_gateway_free(conf);
		return rc;
	}
	if (check_access(conf, policy, false) < 0) {
		conf_policy_free(policy);
		conf_gateway_free(conf);
		return 1;
	}
	a = (struct net_args){ .path = path, .conf = conf, .policy = policy };
	if (broker_rules(conf, policy, &files) < 0) {
		fprintf(stderr, "posternd: %s: the files it names are in more than %d directories\n",
			path, GW_BROKER_DIRS);
		rc = 1;
	} else if ((err = gw_privs_limit()) < 0) {
		fprintf(stderr, "posternd: cannot limit its capabilities to those that set up "
			"the network process: %s\n", strerror(-err));
		rc = 1;
	} else {
		rc = gw_supervise(net_main, &a, &files);
	}
	conf_policy_free(a.policy);
	conf_gateway_free(a.conf);
	return rc;
}
