/* SPDX-License-Identifier: MIT */
/*
 * The manual pages of postern-ca (see help.h). They are plain strings so that
 * `postern-ca COMMAND --help` works where no man page is installed (a rescue
 * shell on the CA host); the sections shared by every page are macros, so
 * that the pages cannot drift apart on exit codes or on the directory layout.
 */
#include "certs/help.h"

#include <stddef.h>
#include <string.h>

#define EXIT_STATUS \
	"EXIT STATUS\n" \
	"    0   done\n" \
	"    1   the operation failed: one line on standard error says why, and\n" \
	"        the CA directory is as it was\n" \
	"    2   usage error: a missing, repeated or malformed option\n" \
	"\n"

#define SEE_ALSO(also) \
	"SEE ALSO\n" \
	"    postern-ca --help, " also "posternd(8), posternctl(8), openssl-x509(1)\n"

#define OPT_DIR \
	"    --dir DIR\n" \
	"        the CA directory (see postern-ca --help, FILES)\n"

#define OPT_DEVICE(what) \
	"    --device ID\n" \
	"        the device " what "\n"

const char ca_usage_short[] =
	"usage: postern-ca COMMAND --dir DIR [OPTIONS]\n"
	"       postern-ca --help | COMMAND --help    (the manual)\n";

static const char help_main[] =
	"NAME\n"
	"    postern-ca - the device certificate authority of the Postern gateway\n"
	"\n"
	"SYNOPSIS\n"
	"    postern-ca COMMAND --dir DIR [OPTIONS]\n"
	"    postern-ca COMMAND --help\n"
	"    postern-ca --help\n"
	"\n"
	"DESCRIPTION\n"
	"    postern-ca keeps the CA that Postern's devices authenticate with. It\n"
	"    issues the gateway's server certificate and one certificate per device,\n"
	"    records every device and certificate in the ledger DIR/ledger.db, and\n"
	"    revokes them in DIR/crl.pem, which the gateway reloads when it changes.\n"
	"\n"
	"    A device certificate carries everything the gateway needs at connect\n"
	"    time, so the gateway never reads the ledger: the device id (CN and the\n"
	"    URI urn:postern:device:ID), its policy group (OU), its ownership (URI\n"
	"    urn:postern:ownership:corporate or byod) and its owner's name (the\n"
	"    subject attribute name, 2.5.4.41, which operators see per session).\n"
	"\n"
	"    Every change to the ledger commits together with the CRL that lists it;\n"
	"    files appear complete or not at all (a new CRL replaces the old one by\n"
	"    rename); concurrent runs queue on the ledger's lock, and a run that is\n"
	"    killed is finished or undone by the next one (see check).\n"
	"\n"
	"COMMANDS\n"
	"    init      create a CA\n"
	"    server    issue the gateway's server certificate\n"
	"    issue     issue a device certificate\n"
	"    renew     issue a device a new certificate; the old one stays valid\n"
	"    revoke    revoke a device's certificates and re-issue the CRL\n"
	"    lost      mark a device lost, revoke its certificates, re-issue the CRL\n"
	"    crl       re-issue the CRL (from cron, before it expires)\n"
	"    list      list devices and certificates, or those expiring soon\n"
	"    export    write a device's PKCS#12 bundle for an MDM to push\n"
	"    check     check the ledger and the device files\n"
	"\n"
	"    'postern-ca COMMAND --help' is the manual of a command.\n"
	"\n"
	EXIT_STATUS
	"FILES\n"
	"    DIR/ca.crt, DIR/ca.key        the CA certificate and its key (0600)\n"
	"    DIR/crl.pem                   the CRL the gateway loads\n"
	"    DIR/ledger.db                 the ledger (SQLite, 0600)\n"
	"    DIR/server.crt, server.key    the gateway's certificate and key\n"
	"    DIR/devices/ID.crt, ID.key    a device's current certificate and key\n"
	"    DIR/devices/archive/          certificates a renewal replaced\n"
	"    DIR/devices/.ID.SERIAL.*      files of a run in progress (or killed)\n"
	"\n"
	"EXAMPLES\n"
	"    postern-ca init --dir /etc/postern/ca --name \"Example Device CA\"\n"
	"    postern-ca server --dir /etc/postern/ca --name vpn.example.com --ip 192.0.2.1\n"
	"    postern-ca issue --dir /etc/postern/ca --device laptop-0042 \\\n"
	"        --owner \"Zoë Müller\" --group sales\n"
	"    postern-ca list --dir /etc/postern/ca --expiring 30\n"
	"    postern-ca lost --dir /etc/postern/ca --device phone-0007\n"
	"\n"
	SEE_ALSO("");

static const char help_init[] =
	"NAME\n"
	"    postern-ca init - create a CA\n"
	"\n"
	"SYNOPSIS\n"
	"    postern-ca init --dir DIR [--name NAME] [--days N] [--rsa]\n"
	"\n"
	"DESCRIPTION\n"
	"    Creates a CA in DIR (made 0700 if missing): ca.crt, ca.key (0600), an\n"
	"    empty crl.pem, the ledger ledger.db and devices/. Refuses a DIR that\n"
	"    already has a ca.key or a ledger.db.\n"
	"\n"
	"OPTIONS\n"
	OPT_DIR
	"    --name NAME\n"
	"        the CA's common name (default \"Postern Device CA\"); device\n"
	"        certificates carry it as their O\n"
	"    --days N\n"
	"        validity in days (default 3650)\n"
	"    --rsa\n"
	"        an RSA 3072 key instead of ECDSA P-256\n"
	"\n"
	EXIT_STATUS
	"FILES\n"
	"    DIR/ca.crt, DIR/ca.key, DIR/crl.pem, DIR/ledger.db, DIR/devices/\n"
	"\n"
	"EXAMPLES\n"
	"    postern-ca init --dir /etc/postern/ca --name \"Example Device CA\"\n"
	"\n"
	SEE_ALSO("postern-ca server --help, ");

static const char help_server[] =
	"NAME\n"
	"    postern-ca server - issue the gateway's server certificate\n"
	"\n"
	"SYNOPSIS\n"
	"    postern-ca server --dir DIR --name HOSTNAME [--ip ADDR]... [--days N] [--rsa]\n"
	"\n"
	"DESCRIPTION\n"
	"    Issues DIR/server.crt and DIR/server.key (never overwritten): CN and\n"
	"    DNS name HOSTNAME, one IP address name per --ip, extended key usage\n"
	"    serverAuth.\n"
	"\n"
	"OPTIONS\n"
	OPT_DIR
	"    --name HOSTNAME\n"
	"        the gateway's DNS name (at most 64 characters)\n"
	"    --ip ADDR\n"
	"        an IPv4 or IPv6 address clients connect to (up to 16)\n"
	"    --days N\n"
	"        validity in days (default 825)\n"
	"    --rsa\n"
	"        an RSA 3072 key instead of ECDSA P-256\n"
	"\n"
	EXIT_STATUS
	"FILES\n"
	"    DIR/server.crt, DIR/server.key (0600)\n"
	"\n"
	"EXAMPLES\n"
	"    postern-ca server --dir /etc/postern/ca --name vpn.example.com \\\n"
	"        --ip 192.0.2.1 --ip 2001:db8::1\n"
	"\n"
	SEE_ALSO("");

static const char help_issue[] =
	"NAME\n"
	"    postern-ca issue - issue a device certificate\n"
	"\n"
	"SYNOPSIS\n"
	"    postern-ca issue --dir DIR --device ID --owner NAME [--group GROUP]\n"
	"                     [--byod] [--days N] [--not-before YYYY-MM-DD] [--rsa]\n"
	"\n"
	"DESCRIPTION\n"
	"    Makes a key and a certificate for a new device, records the device in\n"
	"    the ledger and writes DIR/devices/ID.crt and ID.key. A device id is\n"
	"    issued once, whatever became of it; a device gets later certificates\n"
	"    with renew. The certificate names the device (CN, URI\n"
	"    urn:postern:device:ID), its group (OU), its ownership (URI\n"
	"    urn:postern:ownership:...) and its owner (subject attribute name).\n"
	"\n"
	"OPTIONS\n"
	OPT_DIR
	"    --device ID\n"
	"        1 to 64 of A-Z a-z 0-9 . _ -, starting with a letter or digit\n"
	"    --owner NAME\n"
	"        who holds the device: 1 to 128 characters of UTF-8 text\n"
	"    --group GROUP\n"
	"        the policy group, written as the OU (default \"default\")\n"
	"    --byod\n"
	"        a personal device (default: corporate)\n"
	"    --days N\n"
	"        validity in days (default 365)\n"
	"    --not-before YYYY-MM-DD\n"
	"        start of validity, at 00:00:00Z (default: now)\n"
	"    --rsa\n"
	"        an RSA 3072 key instead of ECDSA P-256\n"
	"\n"
	EXIT_STATUS
	"FILES\n"
	"    DIR/devices/ID.crt, DIR/devices/ID.key (0600), DIR/ledger.db\n"
	"\n"
	"EXAMPLES\n"
	"    postern-ca issue --dir /etc/postern/ca --device laptop-0042 \\\n"
	"        --owner \"Zoë Müller\" --group sales\n"
	"    postern-ca issue --dir /etc/postern/ca --device phone-0007 \\\n"
	"        --owner \"Sam Lee\" --byod --days 180\n"
	"\n"
	SEE_ALSO("postern-ca renew --help, postern-ca export --help, ");

static const char help_renew[] =
	"NAME\n"
	"    postern-ca renew - issue a device a new certificate\n"
	"\n"
	"SYNOPSIS\n"
	"    postern-ca renew --dir DIR --device ID [--days N] [--revoke-old] [--rsa]\n"
	"\n"
	"DESCRIPTION\n"
	"    Makes a new key and a new certificate (a new serial) for an existing\n"
	"    device, with the same device id, owner, group and ownership, and\n"
	"    records it in the ledger as the device's current certificate. The\n"
	"    previous certificate stays valid until it expires, so that the device\n"
	"    keeps working until the MDM has pushed the new one; --revoke-old\n"
	"    revokes it at once (reason superseded) and re-issues the CRL.\n"
	"\n"
	"    DIR/devices/ID.crt and ID.key then hold the new certificate; the\n"
	"    previous ones are kept in DIR/devices/archive/ID.SERIAL.crt and .key.\n"
	"    The new key is of the previous one's kind (RSA stays RSA) unless --rsa\n"
	"    is given. A lost device, or one whose current certificate is revoked,\n"
	"    is not renewed; an expired one is.\n"
	"\n"
	"OPTIONS\n"
	OPT_DIR
	OPT_DEVICE("to renew")
	"    --days N\n"
	"        validity in days from now (default 365)\n"
	"    --revoke-old\n"
	"        revoke the device's other valid certificates (reason superseded)\n"
	"    --rsa\n"
	"        an RSA 3072 key\n"
	"\n"
	EXIT_STATUS
	"FILES\n"
	"    DIR/devices/ID.crt, ID.key, DIR/devices/archive/, DIR/ledger.db,\n"
	"    DIR/crl.pem (with --revoke-old)\n"
	"\n"
	"EXAMPLES\n"
	"    postern-ca list --dir /etc/postern/ca --expiring 30\n"
	"    postern-ca renew --dir /etc/postern/ca --device laptop-0042\n"
	"    postern-ca export --dir /etc/postern/ca --device laptop-0042 \\\n"
	"        --p12 laptop-0042.p12 --password-file /root/p12-password\n"
	"\n"
	SEE_ALSO("postern-ca list --help, postern-ca export --help, ");

static const char help_revoke[] =
	"NAME\n"
	"    postern-ca revoke - revoke a device's certificates\n"
	"\n"
	"SYNOPSIS\n"
	"    postern-ca revoke --dir DIR --device ID [--serial HEX] [--reason REASON]\n"
	"\n"
	"DESCRIPTION\n"
	"    Marks the device's valid certificates revoked in the ledger (only the\n"
	"    one with --serial, when given) and re-issues DIR/crl.pem in the same\n"
	"    transaction. The new CRL is written to a temporary file, synced and\n"
	"    renamed over crl.pem, so the gateway never reads half of one. For a\n"
	"    lost or stolen device use lost instead.\n"
	"\n"
	"OPTIONS\n"
	OPT_DIR
	OPT_DEVICE("to revoke")
	"    --serial HEX\n"
	"        only this certificate (as list prints its serial)\n"
	"    --reason REASON\n"
	"        unspecified (default), keyCompromise, affiliationChanged,\n"
	"        superseded, cessationOfOperation\n"
	"\n"
	EXIT_STATUS
	"FILES\n"
	"    DIR/ledger.db, DIR/crl.pem\n"
	"\n"
	"EXAMPLES\n"
	"    postern-ca revoke --dir /etc/postern/ca --device laptop-0042 \\\n"
	"        --reason cessationOfOperation\n"
	"\n"
	SEE_ALSO("postern-ca lost --help, postern-ca crl --help, ");

static const char help_lost[] =
	"NAME\n"
	"    postern-ca lost - mark a lost or stolen device\n"
	"\n"
	"SYNOPSIS\n"
	"    postern-ca lost --dir DIR --device ID\n"
	"\n"
	"DESCRIPTION\n"
	"    Marks the device lost in the ledger, revokes every valid certificate\n"
	"    it has with reason keyCompromise (its key is out of our hands) and\n"
	"    re-issues DIR/crl.pem, all in one transaction; the CRL is replaced by\n"
	"    rename. The gateway ends the device's sessions when it reloads the\n"
	"    CRL. A lost device is never renewed; list shows it as lost.\n"
	"\n"
	"OPTIONS\n"
	OPT_DIR
	OPT_DEVICE("that was lost")
	"\n"
	EXIT_STATUS
	"FILES\n"
	"    DIR/ledger.db, DIR/crl.pem\n"
	"\n"
	"EXAMPLES\n"
	"    postern-ca lost --dir /etc/postern/ca --device phone-0007\n"
	"\n"
	SEE_ALSO("postern-ca revoke --help, ");

static const char help_crl[] =
	"NAME\n"
	"    postern-ca crl - re-issue the CRL\n"
	"\n"
	"SYNOPSIS\n"
	"    postern-ca crl --dir DIR [--days N]\n"
	"\n"
	"DESCRIPTION\n"
	"    Re-issues DIR/crl.pem from the ledger with a new CRL number, e.g. from\n"
	"    cron, well before the current one's nextUpdate: a gateway that checks\n"
	"    revocation refuses every device once its CRL is out of date.\n"
	"    A revoked certificate that expired more than a CRL lifetime ago\n"
	"    (--days, at least 30) is left out: its expiry refuses it anyway, and\n"
	"    the CRL does not grow with every revocation ever made.\n"
	"\n"
	"OPTIONS\n"
	OPT_DIR
	"    --days N\n"
	"        days until nextUpdate (default 30)\n"
	"\n"
	EXIT_STATUS
	"FILES\n"
	"    DIR/crl.pem, DIR/ledger.db\n"
	"\n"
	"EXAMPLES\n"
	"    0 3 * * 1  postern-ca crl --dir /etc/postern/ca --days 30\n"
	"\n"
	SEE_ALSO("");

static const char help_list[] =
	"NAME\n"
	"    postern-ca list - list devices and their certificates\n"
	"\n"
	"SYNOPSIS\n"
	"    postern-ca list --dir DIR [--expiring DAYS] [--json]\n"
	"\n"
	"DESCRIPTION\n"
	"    Lists every certificate of the ledger, device by device, oldest first:\n"
	"    device id, owner, group, ownership, serial, expiry (notAfter) and\n"
	"    status: valid, revoked, lost (the device is) or expired. The table has\n"
	"    a header line and aligned columns; --json prints a JSON array of\n"
	"    objects with the keys device_id, owner, group, ownership, serial,\n"
	"    not_before, not_after, status, current (the device's newest\n"
	"    certificate), revoked_at and reason (times ISO 8601 UTC, null when\n"
	"    not revoked).\n"
	"\n"
	"OPTIONS\n"
	OPT_DIR
	"    --expiring DAYS\n"
	"        only valid certificates that expire within DAYS days, leaving\n"
	"        out those whose device already has a valid certificate that\n"
	"        lasts longer (renewed, not yet pushed)\n"
	"    --json\n"
	"        JSON instead of the table\n"
	"\n"
	EXIT_STATUS
	"FILES\n"
	"    DIR/ledger.db (a schema version 1 ledger is migrated in place)\n"
	"\n"
	"EXAMPLES\n"
	"    postern-ca list --dir /etc/postern/ca\n"
	"    postern-ca list --dir /etc/postern/ca --expiring 30 --json\n"
	"\n"
	SEE_ALSO("postern-ca renew --help, ");

static const char help_export[] =
	"NAME\n"
	"    postern-ca export - write a device's PKCS#12 bundle\n"
	"\n"
	"SYNOPSIS\n"
	"    postern-ca export --dir DIR --device ID --p12 FILE --password-file PWFILE\n"
	"\n"
	"DESCRIPTION\n"
	"    Writes the device's current key and certificate and the CA certificate\n"
	"    as a PKCS#12 file that an MDM can push to a phone (iOS, Android). The\n"
	"    key and the certificates are encrypted with AES-256-CBC under PBKDF2\n"
	"    (hmacWithSHA256), and the file carries a SHA-256 MAC. FILE is created\n"
	"    0600 and never overwritten; it appears complete or not at all.\n"
	"\n"
	"    The password is the first line of PWFILE, without its line end. PWFILE\n"
	"    must not be accessible by group or others; an empty password is\n"
	"    refused. The password is never printed. Only a valid certificate is\n"
	"    exported: renew an expired one first.\n"
	"\n"
	"OPTIONS\n"
	OPT_DIR
	OPT_DEVICE("to export")
	"    --p12 FILE\n"
	"        the bundle to create\n"
	"    --password-file PWFILE\n"
	"        the file whose first line is the bundle's password\n"
	"\n"
	EXIT_STATUS
	"FILES\n"
	"    DIR/devices/ID.crt, ID.key, DIR/ca.crt (read); FILE (written)\n"
	"\n"
	"EXAMPLES\n"
	"    (umask 077; openssl rand -base64 18 >/root/p12-password)\n"
	"    postern-ca export --dir /etc/postern/ca --device phone-0007 \\\n"
	"        --p12 /root/phone-0007.p12 --password-file /root/p12-password\n"
	"    openssl pkcs12 -info -in /root/phone-0007.p12 -noout \\\n"
	"        -passin file:/root/p12-password\n"
	"\n"
	SEE_ALSO("openssl-pkcs12(1), ");

static const char help_check[] =
	"NAME\n"
	"    postern-ca check - check the ledger and the device files\n"
	"\n"
	"SYNOPSIS\n"
	"    postern-ca check --dir DIR\n"
	"\n"
	"DESCRIPTION\n"
	"    Runs SQLite's integrity and foreign key checks on the ledger, finishes\n"
	"    or undoes what killed runs left (staged files of a committed\n"
	"    certificate are put in place, those of an uncommitted one removed,\n"
	"    one line per file on standard output), then checks that every\n"
	"    device's DIR/devices/ID.crt holds the ledger's current serial and\n"
	"    that ID.key belongs to it. Each problem is one line on standard\n"
	"    error. issue, renew and export do the same finishing first.\n"
	"\n"
	"OPTIONS\n"
	OPT_DIR
	"\n"
	"EXIT STATUS\n"
	"    0   the ledger and the files are consistent\n"
	"    1   a problem was found (one line each on standard error)\n"
	"    2   usage error\n"
	"\n"
	"FILES\n"
	"    DIR/ledger.db, DIR/devices/\n"
	"\n"
	"EXAMPLES\n"
	"    postern-ca check --dir /etc/postern/ca\n"
	"\n"
	SEE_ALSO("");

static const struct {
	const char *command;
	const char *page;
} pages[] = {
	{ "init", help_init },
	{ "server", help_server },
	{ "issue", help_issue },
	{ "renew", help_renew },
	{ "revoke", help_revoke },
	{ "lost", help_lost },
	{ "crl", help_crl },
	{ "list", help_list },
	{ "export", help_export },
	{ "check", help_check },
};

const char *ca_help(const char *command)
{
	size_t i;

	if (!command)
		return help_main;
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++)
		if (strcmp(pages[i].command, command) == 0)
			return pages[i].page;
	return NULL;
}
