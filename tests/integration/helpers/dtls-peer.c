/* SPDX-License-Identifier: MIT */
/*
 * A stand-in gateway for tests/integration/40-dtls-channel.sh, until the
 * worker uses gateway/dtls.c: it accepts one TLS connection on ADDR:443,
 * answers the client's CONNECT with the X-DTLS-* lines of
 * gw_dtls_connect_headers() and a PSK exported from that connection, and
 * serves DTLS on UDP ADDR:443 through gateway/dtls.c. Tunnel packets that
 * are ICMP echo requests to 198.19.200.1 come back as replies over DTLS, so
 * that ping proves data both ways. It runs for SECONDS, then prints its
 * counters as "key=value" lines. Built by the test with cc against
 * build/libpostern.a; a test tool, so it prints and exits freely.
 *   dtls-peer ADDR CERT KEY SECONDS
 */
#include <arpa/inet.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "gateway/dtls.h"

static uint8_t app_id[GW_DTLS_APP_ID_LEN], key[GW_DTLS_PSK_LEN];
static int udp_fd;
static struct gw_dtls_peer *peer;
static unsigned long echoed;

static int dp_lookup(void *c, const uint8_t id[GW_DTLS_APP_ID_LEN], struct gw_dtls_session_info *i)
{
	(void)c;
	if (memcmp(id, app_id, sizeof(app_id)) != 0)
		return -1;
	i->sess = &peer;
	memcpy(i->key, key, sizeof(key));
	i->base_mtu = 1406;
	return 0;
}

static void dp_up(void *c, void *s, struct gw_dtls_peer *p)
{
	(void)c, (void)s;
	peer = p;
	printf("up mtu=%zu\n", gw_dtls_peer_mtu(p));
}

static void dp_down(void *c, void *s, struct gw_dtls_peer *p)
{
	(void)c, (void)s, (void)p;
	peer = NULL;
	printf("down\n");
}

/* An IPv4 ICMP echo request becomes its reply: addresses swapped, type 0. */
static void dp_data(void *c, void *s, const uint8_t *pkt, size_t len)
{
	uint8_t r[2048];
	size_t ihl = (size_t)(pkt[0] & 0xf) * 4;
	uint32_t sum;

	(void)c, (void)s;
	if (len > sizeof(r) || len < 28 || pkt[0] >> 4 != 4 || pkt[9] != 1 ||
	    len < ihl + 8 || pkt[ihl] != 8 || !peer)
		return;
	memcpy(r, pkt, len);
	memcpy(r + 12, pkt + 16, 4);
	memcpy(r + 16, pkt + 12, 4);
	r[ihl] = 0;
	sum = (uint32_t)((r[ihl + 2] << 8) | r[ihl + 3]) + 0x0800;
	sum = (sum & 0xffff) + (sum >> 16);
	r[ihl + 2] = (uint8_t)(sum >> 8);
	r[ihl + 3] = (uint8_t)sum;
	if (gw_dtls_send(peer, GW_CSTP_DATA, r, len) == 0)
		echoed++;
}

static void dp_send(void *c, const struct sockaddr *to, socklen_t tl, const uint8_t *b, size_t n)
{
	(void)c;
	(void)!sendto(udp_fd, b, n, 0, to, tl);
}

static time_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int listen_on(const char *addr, int type)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(443) };
	int one = 1, fd = socket(AF_INET, type, 0);

	inet_pton(AF_INET, addr, &a.sin_addr);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || (type == SOCK_STREAM && listen(fd, 1) < 0)) {
		perror("bind");
		exit(1);
	}
	return fd;
}

/* Reads the CONNECT, answers it with the tunnel and the DTLS offer. */
static void connect_reply(SSL *ssl)
{
	struct gw_dtls_offer o = { .port = 443, .dpd = 30, .keepalive = 20 };
	char req[8192], hdr[GW_DTLS_HEADERS_MAX], rep[2048];
	int n = 0, r;

	while (n < (int)sizeof(req) - 1 && (r = SSL_read(ssl, req + n, (int)sizeof(req) - 1 - n)) > 0) {
		req[n += r] = '\0';
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	printf("connect=%d\n", strncmp(req, "CONNECT ", 8) == 0);
	if (gw_dtls_psk_export(ssl, key) < 0 || gw_dtls_app_id_new(app_id) < 0)
		exit(1);
	memcpy(o.app_id, app_id, sizeof(app_id));
	o.mtu = gw_dtls_tunnel_mtu(1406, false);
	gw_dtls_connect_headers(&o, hdr, sizeof(hdr));
	n = snprintf(rep, sizeof(rep), "HTTP/1.1 200 CONNECTED\r\nX-CSTP-Version: 1\r\n"
		     "X-CSTP-Address: 198.19.200.2\r\nX-CSTP-Netmask: 255.255.255.0\r\n"
		     "X-CSTP-Split-Include: 198.19.200.0/255.255.255.0\r\n"
		     "X-CSTP-Base-MTU: 1406\r\nX-CSTP-MTU: 1340\r\nX-CSTP-DPD: 30\r\n"
		     "X-CSTP-Keepalive: 20\r\n%s\r\n", hdr);
	SSL_write(ssl, rep, n);
}

/* CSTP: answers DPD requests; counts data that did not go over DTLS. */
static int cstp_input(SSL *ssl, unsigned long *cstp_data)
{
	uint8_t b[16384];
	int r = SSL_read(ssl, b, sizeof(b));

	if (r <= 0)
		return -1;
	if (r >= 8 && b[6] == 3) {
		b[6] = 4;
		SSL_write(ssl, b, r);
	}
	*cstp_data += r >= 8 && b[6] == 0;
	return 0;
}

static void serve(struct gw_dtls *d, SSL *ssl, int tcp, time_t end)
{
	unsigned long cstp_data = 0;
	time_t last = 0;

	while (mono() < end) {
		struct pollfd p[2] = { { tcp, POLLIN, 0 }, { udp_fd, POLLIN, 0 } };
		uint8_t b[20000];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t m;

		poll(p, 2, 200);
		if ((p[0].revents & POLLIN) && cstp_input(ssl, &cstp_data) < 0)
			break;
		if ((p[1].revents & POLLIN) &&
		    (m = recvfrom(udp_fd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl)) > 0)
			gw_dtls_input(d, mono(), (struct sockaddr *)&from, fl, b, (size_t)m);
		if (mono() != last)
			gw_dtls_tick(d, last = mono());
	}
	printf("cstp_data=%lu\n", cstp_data);
}

int main(int argc, char **argv)
{
	static const struct gw_dtls_ops ops = { dp_lookup, dp_up, dp_down, dp_data, dp_send };
	struct gw_dtls_stats s;
	struct gw_dtls *d;
	SSL_CTX *ctx;
	SSL *ssl;
	char err[128];
	int l, c;

	if (argc != 5)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	ctx = SSL_CTX_new(TLS_server_method());
	if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, argv[2]) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[3], SSL_FILETYPE_PEM) != 1)
		return 1;
	l = listen_on(argv[1], SOCK_STREAM);
	udp_fd = listen_on(argv[1], SOCK_DGRAM);
	if (gw_dtls_new(&d, NULL, &ops, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	printf("ready\n");
	c = accept(l, NULL, NULL);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, c);
	if (SSL_accept(ssl) != 1)
		return 1;
	connect_reply(ssl);
	serve(d, ssl, c, mono() + atoi(argv[4]));
	gw_dtls_get_stats(d, &s);
	printf("hello_verify=%llu\nhandshakes=%llu\nrx_records=%llu\ntx_records=%llu\nechoed=%lu\n",
	       (unsigned long long)s.hello_verify_sent, (unsigned long long)s.handshakes,
	       (unsigned long long)s.rx_records, (unsigned long long)s.tx_records, echoed);
	gw_dtls_free(d);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	return 0;
}
