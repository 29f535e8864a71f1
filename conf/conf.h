/* SPDX-License-Identifier: MIT */
/*
 * Configuration model shared by the gateway and the posture engine: address
 * prefixes (CIDR) and the gateway configuration loaded from a libconfuse file.
 * Loading checks the whole file before anything uses it; every problem is
 * reported as "FILE:LINE: what is wrong" and a file that fails never yields a
 * partial configuration.
 */
#ifndef POSTERN_CONF_H
#define POSTERN_CONF_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_cidr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned int prefix;	/* prefix length, 0..32 or 0..128 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t bytes[16];
	} addr;			/* network address, host bits all zero */
};

/* Parses "a.b.c.d/n" or "x:y::/n" strictly (whole string, prefix range,
 * host bits must be zero). Returns 0 or -EINVAL. */
int conf_cidr_parse(const char *text, struct conf_cidr *out);
/* The same, and on -EINVAL writes the reason into err (when non-NULL), for
 * instance "host bits set, did you mean 198.18.0.0/24?": loaders quote it. */
int conf_cidr_parse_why(const char *text, struct conf_cidr *out, char *err, size_t errlen);
/* Writes "a.b.c.d/n" or "x::/n" into buf. Returns 0 or -ENOSPC. */
int conf_cidr_format(const struct conf_cidr *c, char *buf, size_t len);
/* True when a and b are the same prefix. */
bool conf_cidr_eq(const struct conf_cidr *a, const struct conf_cidr *b);
/* True when addr (4 or 16 bytes, by family) lies inside c. */
bool conf_cidr_contains(const struct conf_cidr *c, int family, const void *addr);

/* Routes pushed to one client (the config's, or a profile's networks): they
 * travel in the single CONNECT reply, which must stay one TLS record. */
#define CONF_ROUTES_MAX 64

/* The network-facing side never runs as root unless the file says so. */
#define CONF_DEFAULT_USER "postern"

struct gw_conf {
	char *path;		/* the file it was loaded from */
	char *listen;		/* address to listen on, "0.0.0.0", "::" or a literal */
	uint16_t port;
	bool dtls;		/* offer the DTLS channel (UDP) to clients that ask for it */
	uint16_t udp_port;	/* as set; 0: the TCP port (conf_gateway_udp_port) */
	char *ca_cert;		/* absolute paths: relative ones are resolved */
	char *crl;		/* against the config file's directory; all four are required */
	char *server_cert;
	char *server_key;
	char *tun_name;
	struct conf_cidr ipv4_pool;
	bool have_ipv6_pool;
	struct conf_cidr ipv6_pool;
	struct conf_cidr *routes;	/* split-include routes pushed to every client */
	size_t n_routes;
	unsigned int mtu;		/* tunnel MTU, 576..9000 (IPv6 pool: >= 1280) */
	unsigned int dpd;		/* seconds; a peer silent for 2*dpd is reaped */
	unsigned int keepalive;		/* seconds, pushed to the client */
	unsigned int idle_timeout;	/* seconds without data before a tunnel is closed, 0 = never */
	unsigned int cookie_timeout;	/* seconds a disconnected session keeps cookie and address */
	unsigned int max_clients;	/* concurrent TLS connections, per worker */
	unsigned int max_pending;		/* not yet tunnels, all addresses; 0: no limit */
	unsigned int max_pending_per_source;	/* not yet tunnels, from one address; 0: no limit */
	bool proxy_protocol;		/* every TCP connection starts with a PROXY header */
	struct conf_cidr *proxy_trusted;	/* the load balancers that may send one */
	size_t n_proxy_trusted;
	unsigned int workers;		/* event loops, one per core; 0: the online CPUs */
	char *user;			/* drop privileges to this user after set-up; NULL: root */
	bool user_default;		/* user is CONF_DEFAULT_USER, not named in the file */
	bool run_as_root;		/* user = "root": nothing is dropped, loudly */
	char *policy;			/* posture policy file, or NULL: every valid device is allowed */
	char *audit_log;		/* one JSON line per posture decision, or NULL */
	char *control_socket;		/* posternctl's Unix socket, or NULL */
	char *metrics_listen;		/* "ADDR:PORT" for Prometheus, or NULL */
	struct sockaddr_storage metrics_addr;	/* metrics_listen, parsed */
};

/*
 * Loads and checks the gateway configuration at path. On success returns 0
 * and sets *out. On failure returns a negative errno and writes every problem,
 * one "FILE:LINE: message" per line, into err (NUL-terminated, truncated to
 * errlen). Never prints.
 */
int conf_gateway_load(const char *path, struct gw_conf **out, char *err, size_t errlen);
/*
 * The same for a running gateway that re-reads its file (reload): the files
 * only read at start (CA, server certificate and key) are not opened again,
 * since the daemon no longer has the privileges to, and they would not be
 * used anyway (see conf_gateway_keep).
 */
int conf_gateway_reload(const char *path, struct gw_conf **out, char *err, size_t errlen);
void conf_gateway_free(struct gw_conf *conf);

/* The DTLS channel's UDP port: udp-port, or the TCP port when unset. */
static inline uint16_t conf_gateway_udp_port(const struct gw_conf *c)
{
	return c->udp_port ? c->udp_port : c->port;
}

/*
 * A reload applies what a running gateway can change (routes, timers,
 * max-clients, policy); the rest needs a restart (listener, DTLS, TUN, pools, MTU,
 * PKI files, user, audit log, control socket, metrics). This copies those
 * from cur into next, so that next describes what actually runs, and writes
 * "KEY" names of the ones that differed, comma-separated, into kept.
 * Returns how many differed.
 */
unsigned int conf_gateway_keep(struct gw_conf *next, struct gw_conf *cur, char *kept, size_t len);

/* Parses "a.b.c.d:PORT", "[v6]:PORT" or a bare "PORT" (127.0.0.1:PORT);
 * port 1..65535. 0 or -EINVAL. */
int conf_hostport_parse(const char *text, struct sockaddr_storage *out);

#endif
