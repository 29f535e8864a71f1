/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for the posture agent's pure parts: the collectors pointed at
 * fixture trees in a temporary directory (os-release, mountinfo, a sysfs
 * block-device stack, the agent config, a device certificate, an overrides
 * file), the facts printer, the parsers of openconnect's wrapper arguments
 * (URL, port, token), the server key pin, the HTTP status line, and the dry
 * run's text and JSON output.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "certs/ca.h"
#include "posture/agent.h"
#include "posture/agentconf.h"
#include "posture/check.h"
#include "posture/collect.h"
#include "posture/factsfile.h"
#include "tests/unit/unit.h"

#define S(lit) lit, sizeof(lit) - 1

static char tmp[64];
static struct ca_authority authority;

/* ---- fixture helpers ---- */

static const char *tpath(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A path under the test's temporary directory, in a ring of 64 buffers:
 * enough for every path one test case holds at a time. */
static const char *tpath(const char *fmt, ...)
{
	static char bufs[64][PATH_MAX];
	static int next;
	char *b = bufs[next++ % 64];
	char rel[PATH_MAX - 80];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	snprintf(b, PATH_MAX, "%s/%s", tmp, rel);
	return b;
}

/* mkdir -p of the directory part of path, then the file itself. */
static void mkdirs(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + strlen(tmp) + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0700);
			*s = '/';
		}
	}
}

static void put(const char *path, const char *text)
{
	FILE *f;

	mkdirs(path);
	f = fopen(path, "w");
	if (!f) {
		printf("# cannot write %s\n", path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static void mkdir_p(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/", path);
	mkdirs(p);
}

static void tmp_init(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/test_collect.XXXXXX");
	if (!mkdtemp(tmp)) {
		printf("# mkdtemp failed\n");
		exit(1);
	}
}

static void tmp_cleanup(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", tmp);
}

static void authority_init(void)
{
	struct ca_validity v = { .not_before = time(NULL), .days = 30 };

	if (ca_key_generate(CA_KEY_EC_P256, &authority.key, NULL, 0) < 0 ||
	    ca_cert_build_ca(authority.key, "Unit CA", &v, &authority.cert, NULL, 0) < 0) {
		printf("# cannot build the test CA\n");
		exit(1);
	}
}

static X509 *device_cert(const char *id, EVP_PKEY **key_out)
{
	struct ca_device_req req = {
		.device_id = id, .group = "field", .ownership = CM_OWNERSHIP_CORPORATE,
		.validity = { .not_before = time(NULL), .days = 30 },
	};
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	if (ca_key_generate(CA_KEY_EC_P256, &key, NULL, 0) == 0)
		ca_cert_build_device(&authority, key, &req, &cert, NULL, 0);
	if (key_out)
		*key_out = key;
	else
		EVP_PKEY_free(key);
	return cert;
}

static const char *fact(const struct pst_facts *fs, const char *name)
{
	const struct pst_fact *f = pst_facts_get_from(fs, name, PST_SRC_AGENT);

	return f ? f->value : NULL;
}

/* ---- os-release ---- */

static void test_osrelease_value(void)
{
	static const char text[] =
		"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
		"NAME='Debian GNU/Linux'\n"
		"VERSION_ID_X=99\n"
		"# VERSION_ID=1\n"
		"VERSION_ID=\"12\"\n"
		"ID=debian\n"
		"ESCAPED=\"a \\\"b\\\" \\$c\"\n";
	char out[64];

	CHECK_EQ_INT(pst_osrelease_value(S(text), "VERSION_ID", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "12");
	CHECK_EQ_INT(pst_osrelease_value(S(text), "ID", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "debian");
	CHECK_EQ_INT(pst_osrelease_value(S(text), "NAME", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "Debian GNU/Linux");
	CHECK_EQ_INT(pst_osrelease_value(S(text), "ESCAPED", out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "a \"b\" $c");
	CHECK_EQ_INT(pst_osrelease_value(S(text), "VERSION", out, sizeof(out)), -ENOENT);
	CHECK_EQ_INT(pst_osrelease_value(S(text), "PRETTY_NAME", out, 8), -ENOSPC);
}

static void test_osrelease_last_wins_and_strict(void)
{
	char out[64];

	CHECK_EQ_INT(pst_osrelease_value(S("VERSION_ID=11\nVERSION_ID=12.4\n"), "VERSION_ID",
					 out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "12.4");
	CHECK_EQ_INT(pst_osrelease_value(S("VERSION_ID=\"12"), "VERSION_ID", out, sizeof(out)),
		     -EINVAL);
	CHECK_EQ_INT(pst_osrelease_value(S("VERSION_ID=1 2\n"), "VERSION_ID", out, sizeof(out)),
		     -EINVAL);
	CHECK_EQ_INT(pst_osrelease_value(S("VERSION_ID=$(reboot)\n"), "VERSION_ID", out,
					 sizeof(out)), -EINVAL);
	CHECK_EQ_INT(pst_osrelease_value(S("VERSION_ID=\"a\\nb\"\n"), "VERSION_ID", out,
					 sizeof(out)), -EINVAL);
	CHECK_EQ_INT(pst_osrelease_value(S("VERSION_ID='1'2'\n"), "VERSION_ID", out,
					 sizeof(out)), -EINVAL);
	CHECK_EQ_INT(pst_osrelease_value(S(""), "VERSION_ID", out, sizeof(out)), -ENOENT);
}

/* /usr/lib/os-release is read only when /etc/os-release does not exist. */
static void test_osrelease_version_files(void)
{
	char out[64];

	put(tpath("osr1/etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\n");
	put(tpath("osr1/usr/lib/os-release"), "VERSION_ID=\"99\"\n");
	CHECK_EQ_INT(pst_osrelease_version(tpath("osr1"), out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "12");
	put(tpath("osr2/usr/lib/os-release"), "VERSION_ID=13\n");
	CHECK_EQ_INT(pst_osrelease_version(tpath("osr2/"), out, sizeof(out)), 0);
	CHECK_EQ_STR(out, "13");
	put(tpath("osr3/etc/os-release"), "ID=debian\n");
	put(tpath("osr3/usr/lib/os-release"), "VERSION_ID=13\n");
	CHECK_EQ_INT(pst_osrelease_version(tpath("osr3"), out, sizeof(out)), -ENOENT);
	CHECK_EQ_INT(pst_osrelease_version(tpath("nothing"), out, sizeof(out)), -ENOENT);
}

/* ---- mountinfo and block devices ---- */

static void test_mountinfo_root(void)
{
	static const char text[] =
		"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
		"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
		"28 27 0:25 / /home\\040dir rw - tmpfs tmpfs rw\n";
	static const char over[] =
		"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
		"40 27 0:44 / / rw - overlay overlay rw\n";
	unsigned int ma = 99, mi = 99;

	CHECK_EQ_INT(pst_mountinfo_root(S(text), &ma, &mi), 0);
	CHECK_EQ_INT(ma, 254);
	CHECK_EQ_INT(mi, 0);
	CHECK_EQ_INT(pst_mountinfo_root(S(over), &ma, &mi), 0);
	CHECK_EQ_INT(ma, 0);
	CHECK_EQ_INT(mi, 44);
	CHECK_EQ_INT(pst_mountinfo_root(S("22 27 0:21 / /proc rw - proc proc rw\n"), &ma, &mi),
		     -ENOENT);
	CHECK_EQ_INT(pst_mountinfo_root(S("27 1 254 / / rw - ext4 /dev/vda rw\n"), &ma, &mi),
		     -EINVAL);
	CHECK_EQ_INT(pst_mountinfo_root(S("27 1 254:x / / rw\n"), &ma, &mi), -EINVAL);
	CHECK_EQ_INT(pst_mountinfo_root(S("27 1 99999999999:0 / / rw\n"), &ma, &mi), -EINVAL);
	CHECK_EQ_INT(pst_mountinfo_root(S("\n"), &ma, &mi), -EINVAL);
	CHECK_EQ_INT(pst_mountinfo_root(S(""), &ma, &mi), -ENOENT);
}

/* A sysfs-like tree: /sys/dev/block/M:m/{dm/uuid,slaves/NAME/...}. */
static void test_blockdev_encrypted(void)
{
	const char *sys = tpath("sys");
	bool enc = true;

	/* a plain partition: no dm, no slaves directory */
	mkdir_p(tpath("sys/dev/block/8:2"));
	CHECK_EQ_INT(pst_blockdev_encrypted(sys, 8, 2, &enc), 0);
	CHECK(!enc);
	/* a whole disk: an empty slaves directory */
	mkdir_p(tpath("sys/dev/block/8:0/slaves"));
	enc = true;
	CHECK_EQ_INT(pst_blockdev_encrypted(sys, 8, 0, &enc), 0);
	CHECK(!enc);
	/* dm-crypt itself */
	put(tpath("sys/dev/block/254:0/dm/uuid"), "CRYPT-LUKS2-0123abcd-root\n");
	mkdir_p(tpath("sys/dev/block/254:0/slaves/sda3"));
	CHECK_EQ_INT(pst_blockdev_encrypted(sys, 254, 0, &enc), 0);
	CHECK(enc);
	/* LVM on dm-crypt */
	put(tpath("sys/dev/block/254:1/dm/uuid"), "LVM-abcdef\n");
	put(tpath("sys/dev/block/254:1/slaves/dm-0/dm/uuid"), "CRYPT-LUKS1-xyz-pv\n");
	enc = false;
	CHECK_EQ_INT(pst_blockdev_encrypted(sys, 254, 1, &enc), 0);
	CHECK(enc);
	/* LVM over one encrypted and one plain disk is not encrypted */
	put(tpath("sys/dev/block/254:2/dm/uuid"), "LVM-abcdef\n");
	put(tpath("sys/dev/block/254:2/slaves/dm-0/dm/uuid"), "CRYPT-LUKS2-xyz-pv\n");
	mkdir_p(tpath("sys/dev/block/254:2/slaves/sdb1"));
	CHECK_EQ_INT(pst_blockdev_encrypted(sys, 254, 2, &enc), 0);
	CHECK(!enc);
	/* dm-verity and dm-integrity say CRYPT- but do not encrypt */
	put(tpath("sys/dev/block/254:3/dm/uuid"), "CRYPT-VERITY-abc-root\n");
	mkdir_p(tpath("sys/dev/block/254:3/slaves/sda2"));
	enc = true;
	CHECK_EQ_INT(pst_blockdev_encrypted(sys, 254, 3, &enc), 0);
	CHECK(!enc);
	/* cannot tell: anonymous devices, devices sysfs does not know */
	CHECK_EQ_INT(pst_blockdev_encrypted(sys, 0, 44, &enc), -ENODEV);
	CHECK_EQ_INT(pst_blockdev_encrypted(sys, 9, 9, &enc), -ENODEV);
}

static void test_blockdev_depth(void)
{
	char rel[PATH_MAX] = "deep/dev/block/254:9";
	bool enc;
	int i;

	for (i = 0; i < 12; i++)
		strncat(rel, "/slaves/dm", sizeof(rel) - strlen(rel) - 1);
	mkdir_p(tpath("%s", rel));
	CHECK_EQ_INT(pst_blockdev_encrypted(tpath("deep"), 254, 9, &enc), -ELOOP);
}

/* ---- the agent config ---- */

static void test_agentconf(void)
{
	char why[PST_WHY_MAX] = "";
	bool enrolled = false;
	char text[PATH_MAX + 64];

	CHECK_EQ_INT(pst_agentconf_mdm(tpath("no-such.conf"), &enrolled, why, sizeof(why)),
		     -ENOENT);
	put(tpath("mdm/enrolled"), "");
	snprintf(text, sizeof(text), "# the MDM's marker\nmdm-marker = \"%s\"\n",
		 tpath("mdm/enrolled"));
	put(tpath("agent-yes.conf"), text);
	CHECK_EQ_INT(pst_agentconf_mdm(tpath("agent-yes.conf"), &enrolled, why, sizeof(why)), 0);
	CHECK(enrolled);
	snprintf(text, sizeof(text), "mdm-marker = \"%s\"\n", tpath("mdm/absent"));
	put(tpath("agent-no.conf"), text);
	CHECK_EQ_INT(pst_agentconf_mdm(tpath("agent-no.conf"), &enrolled, why, sizeof(why)), 0);
	CHECK(!enrolled);
}

static void test_agentconf_errors(void)
{
	char why[PST_WHY_MAX], want[PATH_MAX + 64];
	bool enrolled;

	put(tpath("bad1.conf"), "\nmdm-marker = \"relative/path\"\n");
	CHECK(pst_agentconf_mdm(tpath("bad1.conf"), &enrolled, why, sizeof(why)) < 0);
	snprintf(want, sizeof(want), "%s:2: ", tpath("bad1.conf"));
	CHECK(!strncmp(why, want, strlen(want)) && strstr(why, "absolute"));
	put(tpath("bad2.conf"), "mdm-marker = \"/a\"\nmdm-marker = \"/b\"\n");
	CHECK(pst_agentconf_mdm(tpath("bad2.conf"), &enrolled, why, sizeof(why)) < 0);
	CHECK(strstr(why, "set twice") != NULL);
	put(tpath("bad3.conf"), "mdm-markr = \"/a\"\n");
	CHECK(pst_agentconf_mdm(tpath("bad3.conf"), &enrolled, why, sizeof(why)) < 0);
	snprintf(want, sizeof(want), "%s:1: ", tpath("bad3.conf"));
	CHECK(!strncmp(why, want, strlen(want)));
	put(tpath("bad4.conf"), "# nothing\n");
	CHECK(pst_agentconf_mdm(tpath("bad4.conf"), &enrolled, why, sizeof(why)) < 0);
	CHECK(strstr(why, "missing mdm-marker") != NULL);
	put(tpath("bad6.conf"), "");
	CHECK(pst_agentconf_mdm(tpath("bad6.conf"), &enrolled, why, sizeof(why)) < 0);
	CHECK(strstr(why, "missing mdm-marker") != NULL);
	put(tpath("bad5.conf"), "mdm-marker = \"/a\n");
	CHECK(pst_agentconf_mdm(tpath("bad5.conf"), &enrolled, why, sizeof(why)) < 0);
	CHECK(strstr(why, tpath("bad5.conf")) != NULL);
}

/* ---- certificate, facts files, printing ---- */

static void test_certfile_identity(void)
{
	X509 *cert = device_cert("laptop-0042", NULL);
	struct pst_identity id;
	char why[PST_WHY_MAX];

	CHECK(cert && ca_cert_save(tpath("laptop.crt"), cert, NULL, 0) == 0);
	CHECK_EQ_INT(pst_certfile_identity(tpath("laptop.crt"), &id, why, sizeof(why)), 0);
	CHECK_EQ_STR(id.device_id, "laptop-0042");
	CHECK_EQ_STR(id.group, "field");
	CHECK_EQ_INT(id.ownership, CONF_OWNERSHIP_CORPORATE);
	CHECK(ca_cert_save(tpath("ca.crt"), authority.cert, NULL, 0) == 0);
	CHECK_EQ_INT(pst_certfile_identity(tpath("ca.crt"), &id, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "not a Postern device certificate") != NULL);
	put(tpath("junk.crt"), "hello\n");
	CHECK_EQ_INT(pst_certfile_identity(tpath("junk.crt"), &id, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "not a PEM certificate") != NULL);
	CHECK_EQ_INT(pst_certfile_identity(tpath("none.crt"), &id, why, sizeof(why)), -ENOENT);
	CHECK_EQ_INT(pst_certfile_identity(tmp, &id, why, sizeof(why)), -EISDIR);
	X509_free(cert);
}

static void test_factsfile_errors(void)
{
	struct pst_facts fs;
	char why[PST_WHY_MAX], want[PATH_MAX + 16];

	pst_facts_init(&fs);
	put(tpath("bad.facts"), "# ok\nos.name=linux\nos.nmae=linux\n");
	CHECK(pst_factsfile_load(tpath("bad.facts"), 1000, &fs, why, sizeof(why)) < 0);
	snprintf(want, sizeof(want), "%s:3: ", tpath("bad.facts"));
	CHECK(!strncmp(why, want, strlen(want)));
	CHECK(pst_factsfile_load(tpath("none.facts"), 1000, &fs, why, sizeof(why)) == -ENOENT);
	CHECK(strstr(why, "No such file") != NULL);
	CHECK(pst_factsfile_load("/dev/null", 1000, &fs, why, sizeof(why)) == -EINVAL);
}

static void test_factsfile_write(void)
{
	struct pst_facts fs;
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.version", "12", PST_SRC_AGENT, 2000), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", "linux", PST_SRC_AGENT, 1500), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "device.id", "dev", PST_SRC_AGENT, 2000), 0);
	CHECK_EQ_INT(pst_facts_set(&fs, "os.name", "android", PST_SRC_CLIENT, 10), 0);
	CHECK_EQ_INT(pst_facts_collected_at(&fs, PST_SRC_AGENT, 3000), 1500);
	out = open_memstream(&text, &len);
	CHECK_EQ_INT(pst_factsfile_write(out, &fs, PST_SRC_AGENT, 3000), 0);
	fclose(out);
	CHECK_EQ_STR(text, "collected-at=1500\ndevice.id=dev\nos.name=linux\nos.version=12\n");
	free(text);
	pst_facts_init(&fs);
	CHECK_EQ_INT(pst_facts_collected_at(&fs, PST_SRC_AGENT, 3000), 3000);
}

/* Everything together, on fixture paths, with an overrides file. */
static void test_collect_all(void)
{
	X509 *cert = device_cert("dev-7", NULL);
	struct pst_collect_paths paths = {
		.root = tpath("all/root"), .mountinfo = tpath("all/mountinfo"),
		.sys = tpath("all/sys"), .agent_conf = tpath("all/agent.conf"),
		.cert = tpath("all/dev-7.crt"), .facts = tpath("all/over.facts"),
	};
	struct pst_facts fs;
	char why[PST_WHY_MAX] = "";
	char text[PATH_MAX + 32];

	put(tpath("all/root/etc/os-release"), "VERSION_ID=\"12\"\n");
	put(tpath("all/mountinfo"), "27 1 254:1 / / rw - ext4 /dev/mapper/root rw\n");
	put(tpath("all/sys/dev/block/254:1/dm/uuid"), "CRYPT-LUKS2-abc-root\n");
	snprintf(text, sizeof(text), "mdm-marker = \"%s\"\n", tpath("all/agent.conf"));
	put(tpath("all/agent.conf"), text);
	put(tpath("all/over.facts"), "passcode.set=true\nos.kernel=\ncollected-at=1000\n");
	CHECK(cert && ca_cert_save(tpath("all/dev-7.crt"), cert, NULL, 0) == 0);
	CHECK_EQ_INT(pst_collect(&paths, 5000, &fs, why, sizeof(why)), 0);
	CHECK_EQ_STR(fact(&fs, "os.name"), "linux");
	CHECK_EQ_STR(fact(&fs, "os.version"), "12");
	CHECK_EQ_STR(fact(&fs, "disk.encrypted"), "true");
	CHECK_EQ_STR(fact(&fs, "mdm.enrolled"), "true");
	CHECK_EQ_STR(fact(&fs, "device.id"), "dev-7");
	CHECK_EQ_STR(fact(&fs, "passcode.set"), "true");
	CHECK(fact(&fs, "os.kernel") == NULL);
	CHECK(fact(&fs, "device.rooted") == NULL);
	CHECK(fact(&fs, "device.hostname") != NULL);
	CHECK_EQ_INT(pst_facts_collected_at(&fs, PST_SRC_AGENT, 5000), 1000);
	CHECK_EQ_INT(pst_facts_get_from(&fs, "os.name", PST_SRC_AGENT)->time, 5000);

	/* an overlay root and no agent config: those facts are left out */
	put(tpath("all/mountinfo"), "27 1 0:40 / / rw - overlay overlay rw\n");
	paths.agent_conf = tpath("all/none.conf");
	paths.facts = NULL;
	CHECK_EQ_INT(pst_collect(&paths, 5000, &fs, why, sizeof(why)), 0);
	CHECK(fact(&fs, "disk.encrypted") == NULL);
	CHECK(fact(&fs, "mdm.enrolled") == NULL);
	CHECK(fact(&fs, "passcode.set") == NULL);

	/* a broken overrides file or certificate fails the whole collection */
	put(tpath("all/bad.facts"), "bogus=1\n");
	paths.facts = tpath("all/bad.facts");
	CHECK(pst_collect(&paths, 5000, &fs, why, sizeof(why)) < 0);
	CHECK(strstr(why, "bad.facts:1: ") != NULL);
	paths.facts = NULL;
	paths.cert = tpath("all/missing.crt");
	CHECK(pst_collect(&paths, 5000, &fs, why, sizeof(why)) < 0);
	CHECK(strstr(why, "missing.crt") != NULL);
	X509_free(cert);
}

/* ---- the wrapper's arguments ---- */

static void test_csd_args(void)
{
	char *argv[] = {
		"postern-posture", "", "-ticket", "\"T1\"", "-stub", "\"0\"", "-group", "\"\"",
		"-certhash", "\"AB:CD\"", "-url", "\"https://gw.postern.test/+CSCOE+/sdesktop/"
		"token.xml?ticket=T1&stub=0\"", "-langselen", NULL,
	};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	struct pst_csd_args a;
	char why[PST_WHY_MAX] = "";

	CHECK_EQ_INT(pst_csd_args_parse(argc, argv, &a, why, sizeof(why)), 0);
	CHECK_EQ_STR(a.host, "gw.postern.test");
	CHECK_EQ_INT(a.port, 0);

	argv[11] = "\"https://[2001:db8::1]:8443/start\"";
	CHECK_EQ_INT(pst_csd_args_parse(argc, argv, &a, why, sizeof(why)), 0);
	CHECK_EQ_STR(a.host, "[2001:db8::1]");
	CHECK_EQ_INT(a.port, 8443);

	argv[11] = "https://198.18.0.1:444";	/* unquoted is taken too */
	CHECK_EQ_INT(pst_csd_args_parse(argc, argv, &a, why, sizeof(why)), 0);
	CHECK_EQ_STR(a.host, "198.18.0.1");
	CHECK_EQ_INT(a.port, 444);

	argv[11] = "\"http://gw/\"";
	CHECK_EQ_INT(pst_csd_args_parse(argc, argv, &a, why, sizeof(why)), -EINVAL);
	CHECK(strstr(why, "-url") != NULL);

	/* a value option at the end without its value */
	CHECK_EQ_INT(pst_csd_args_parse(11, argv, &a, why, sizeof(why)), -EINVAL);
	/* no -url at all, and unknown arguments: fine */
	{
		char *mini[] = { "postern-posture", "", "-future", "x", NULL };

		CHECK_EQ_INT(pst_csd_args_parse(4, mini, &a, why, sizeof(why)), 0);
		CHECK_EQ_STR(a.host, "");
		CHECK_EQ_INT(a.port, 0);
		CHECK_EQ_INT(pst_csd_args_parse(2, mini, &a, why, sizeof(why)), 0);
	}
}

static void test_url_parse(void)
{
	char host[PST_HOST_MAX + 1];
	uint16_t port = 1;

	CHECK_EQ_INT(pst_url_parse("https://gw", host, sizeof(host), &port), 0);
	CHECK_EQ_STR(host, "gw");
	CHECK_EQ_INT(port, 0);
	CHECK_EQ_INT(pst_url_parse("https://gw:65535/x:1", host, sizeof(host), &port), 0);
	CHECK_EQ_INT(port, 65535);
	CHECK_EQ_INT(pst_url_parse("https://[::1]/", host, sizeof(host), &port), 0);
	CHECK_EQ_STR(host, "[::1]");
	CHECK_EQ_INT(pst_url_parse("https://gw:0/", host, sizeof(host), &port), -EINVAL);
	CHECK_EQ_INT(pst_url_parse("https://gw:65536/", host, sizeof(host), &port), -EINVAL);
	CHECK_EQ_INT(pst_url_parse("https://gw:/", host, sizeof(host), &port), -EINVAL);
	CHECK_EQ_INT(pst_url_parse("https:///x", host, sizeof(host), &port), -EINVAL);
	CHECK_EQ_INT(pst_url_parse("https://user@gw/", host, sizeof(host), &port), -EINVAL);
	CHECK_EQ_INT(pst_url_parse("https://gw\r\nX: y/", host, sizeof(host), &port), -EINVAL);
	CHECK_EQ_INT(pst_url_parse("https://[::1/", host, sizeof(host), &port), -EINVAL);
	CHECK_EQ_INT(pst_url_parse("https://[zz::1]/", host, sizeof(host), &port), -EINVAL);
	CHECK_EQ_INT(pst_url_parse("https://[::1]x/", host, sizeof(host), &port), -EINVAL);
	CHECK_EQ_INT(pst_url_parse("HTTPS://gw/", host, sizeof(host), &port), -EINVAL);
	CHECK_EQ_INT(pst_url_parse("https://gw", host, 2, &port), -EINVAL);
}

static void test_port_parse(void)
{
	uint16_t port = 0;

	CHECK_EQ_INT(pst_port_parse("443", &port), 0);
	CHECK_EQ_INT(port, 443);
	CHECK_EQ_INT(pst_port_parse("1", &port), 0);
	CHECK_EQ_INT(pst_port_parse("65535", &port), 0);
	CHECK_EQ_INT(pst_port_parse("0", &port), -EINVAL);
	CHECK_EQ_INT(pst_port_parse("0443", &port), -EINVAL);
	CHECK_EQ_INT(pst_port_parse("65536", &port), -EINVAL);
	CHECK_EQ_INT(pst_port_parse("99999", &port), -EINVAL);
	CHECK_EQ_INT(pst_port_parse("443 ", &port), -EINVAL);
	CHECK_EQ_INT(pst_port_parse("+443", &port), -EINVAL);
	CHECK_EQ_INT(pst_port_parse("", &port), -EINVAL);
	CHECK_EQ_INT(pst_port_parse("100000", &port), -EINVAL);
}

static void test_token_valid(void)
{
	char longer[300];

	CHECK(pst_token_valid("0123abcdef"));
	CHECK(pst_token_valid("A-b_c.d~e+f/g="));
	CHECK(!pst_token_valid(""));
	CHECK(!pst_token_valid("a b"));
	CHECK(!pst_token_valid("a;b"));
	CHECK(!pst_token_valid("a\r\nX-Injected: 1"));
	CHECK(!pst_token_valid("a\"b"));
	memset(longer, 'a', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	CHECK(!pst_token_valid(longer));
	longer[256] = '\0';
	CHECK(pst_token_valid(longer));
}

/* ---- the pin ---- */

/* The pin computed another way: from the key, as curl documents it. */
static void pin_of_key(EVP_PKEY *key, char b64[64])
{
	unsigned char *der = NULL, md[SHA256_DIGEST_LENGTH];
	int len = i2d_PUBKEY(key, &der);

	SHA256(der, (size_t)len, md);
	OPENSSL_free(der);
	EVP_EncodeBlock((unsigned char *)b64, md, sizeof(md));
}

static void test_pin(void)
{
	EVP_PKEY *key = NULL;
	X509 *cert = device_cert("pinned", &key), *other = device_cert("other", NULL);
	uint8_t pin[PST_PIN_LEN];
	char b64[64];

	pin_of_key(key, b64);
	CHECK_EQ_INT(strlen(b64), 44);
	CHECK_EQ_INT(pst_pin_parse(b64, pin), 0);
	CHECK_EQ_INT(pst_pin_check(cert, pin), 0);
	CHECK_EQ_INT(pst_pin_check(other, pin), -EPERM);
	/* a certificate of the same key (re-issued) keeps its pin */
	CHECK_EQ_INT(pst_pin_check(cert, pin), 0);
	pin[31] ^= 1;
	CHECK_EQ_INT(pst_pin_check(cert, pin), -EPERM);

	CHECK_EQ_INT(pst_pin_parse("", pin), -EINVAL);
	CHECK_EQ_INT(pst_pin_parse("sha256//AAAA", pin), -EINVAL);
	CHECK_EQ_INT(pst_pin_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", pin), 0);
	CHECK_EQ_INT(pst_pin_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=", pin), -EINVAL);
	CHECK_EQ_INT(pst_pin_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", pin), -EINVAL);
	CHECK_EQ_INT(pst_pin_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", pin), -EINVAL);
	CHECK_EQ_INT(pst_pin_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA*=", pin), -EINVAL);
	CHECK_EQ_INT(pst_pin_parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-A=", pin), -EINVAL);
	X509_free(cert);
	X509_free(other);
	EVP_PKEY_free(key);
}

/* ---- the response ---- */

static void test_http_status(void)
{
	int status = 0;

	CHECK_EQ_INT(pst_http_status(S("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"), &status), 0);
	CHECK_EQ_INT(status, 200);
	CHECK_EQ_INT(pst_http_status(S("HTTP/1.0 403 Forbidden\r\n"), &status), 0);
	CHECK_EQ_INT(status, 403);
	CHECK_EQ_INT(pst_http_status(S("HTTP/1.1 200\r\n"), &status), 0);
	CHECK_EQ_INT(pst_http_status(S("HTTP/1.1 200\n"), &status), 0);
	CHECK_EQ_INT(pst_http_status(S("HTTP/1.1 20"), &status), -EAGAIN);
	CHECK_EQ_INT(pst_http_status(S("HTT"), &status), -EAGAIN);
	CHECK_EQ_INT(pst_http_status(S(""), &status), -EAGAIN);
	CHECK_EQ_INT(pst_http_status(S("HTX"), &status), -EBADMSG);
	CHECK_EQ_INT(pst_http_status(S("SSH-2.0-OpenSSH\r\n"), &status), -EBADMSG);
	CHECK_EQ_INT(pst_http_status(S("HTTP/2 200 OK\r\n"), &status), -EBADMSG);
	CHECK_EQ_INT(pst_http_status(S("HTTP/1.1 2000 OK\r\n"), &status), -EBADMSG);
	CHECK_EQ_INT(pst_http_status(S("HTTP/1.1 20x OK\r\n"), &status), -EBADMSG);
	CHECK_EQ_INT(pst_http_status(S("HTTP/1.1 099 OK\r\n"), &status), -EBADMSG);
	CHECK_EQ_INT(pst_http_status(S("HTTP/1.1  200 OK\r\n"), &status), -EBADMSG);
	CHECK_EQ_INT(pst_http_status(S("HTTP/1.1 200 OK"), &status), -EAGAIN);
}

/* ---- the dry run's output ---- */

static char *print_decision(const struct pst_decision *d, bool json)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	if (json)
		pst_decision_print_json(out, d);
	else
		pst_decision_print_text(out, d);
	fclose(out);
	return text;
}

static void test_decision_output(void)
{
	struct conf_rule rule = { .name = "corporate" };
	struct conf_profile prof = { .name = "remediation" };
	struct pst_decision d = {
		.verdict = PST_QUARANTINE, .rule = &rule, .profile = &prof, .n_reasons = 2,
	};
	char *text;

	snprintf(d.reasons[0], PST_REASON_MAX, "passcode.set is not \"true\": set a passcode");
	snprintf(d.reasons[1], PST_REASON_MAX, "line\nbreak\\");
	text = print_decision(&d, false);
	CHECK_EQ_STR(text, "verdict: quarantine\nrule: corporate\nprofile: remediation\n"
		     "failed: passcode.set is not \"true\": set a passcode\n"
		     "failed: line?break\\\n");
	free(text);
	text = print_decision(&d, true);
	CHECK_EQ_STR(text, "{\"verdict\": \"quarantine\", \"rule\": \"corporate\", "
		     "\"profile\": \"remediation\", \"reasons\": [\"passcode.set is not "
		     "\\\"true\\\": set a passcode\", \"line\\u000abreak\\\\\"]}\n");
	free(text);

	d = (struct pst_decision){ .verdict = PST_DENY, .n_reasons = 1 };
	snprintf(d.reasons[0], PST_REASON_MAX, "no rule matches");
	text = print_decision(&d, false);
	CHECK_EQ_STR(text, "verdict: deny\nrule: -\nprofile: -\nreason: no rule matches\n");
	free(text);
	text = print_decision(&d, true);
	CHECK_EQ_STR(text, "{\"verdict\": \"deny\", \"rule\": null, \"profile\": null, "
		     "\"reasons\": [\"no rule matches\"]}\n");
	free(text);
}

/* ---- the dry run ---- */

/* argv for check; "check" first, as postern-posture passes it. */
static int check_parse(struct pst_check_opts *o, char *err, size_t errlen, const char *a1,
		       const char *a2, const char *a3, const char *a4)
{
	char *argv[] = { "check", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL };
	int argc = 1;

	while (argv[argc])
		argc++;
	return pst_check_opts_parse(argc, argv, o, err, errlen);
}

static void test_check_opts(void)
{
	struct pst_check_opts o;
	char err[256];

	CHECK_EQ_INT(check_parse(&o, err, sizeof(err), "--policy", "p", "--facts", "f"), 0);
	CHECK(o.policy && !strcmp(o.policy, "p") && o.facts && !strcmp(o.facts, "f"));
	CHECK(!o.cert && !o.json && !o.help);
	CHECK_EQ_INT(check_parse(&o, err, sizeof(err), "--help", NULL, NULL, NULL), 0);
	CHECK(o.help);
	/* --policy alone is the lint; --cert and --json are about a decision. */
	CHECK_EQ_INT(check_parse(&o, err, sizeof(err), "--policy", "p", NULL, NULL), 0);
	CHECK(o.policy && !o.facts && !o.strict);
	CHECK_EQ_INT(check_parse(&o, err, sizeof(err), "--policy", "p", "--strict", NULL), 0);
	CHECK(o.strict);
	CHECK_EQ_INT(check_parse(&o, err, sizeof(err), "--policy", "p", "--cert", "c"), -EINVAL);
	CHECK_EQ_STR(err, "--cert needs --facts");
	CHECK_EQ_INT(check_parse(&o, err, sizeof(err), "--policy", "p", "--json", NULL), -EINVAL);
	CHECK_EQ_STR(err, "--json needs --facts");
	CHECK_EQ_INT(check_parse(&o, err, sizeof(err), "--facts", "f", NULL, NULL), -EINVAL);
	CHECK_EQ_STR(err, "missing --policy");
	CHECK_EQ_INT(check_parse(&o, err, sizeof(err), "--policy", "p", "--policy", "q"), -EINVAL);
	CHECK_EQ_STR(err, "--policy given twice");
	CHECK_EQ_INT(check_parse(&o, err, sizeof(err), "--bogus\x01", NULL, NULL, NULL), -EINVAL);
	CHECK_EQ_STR(err, "unknown option '--bogus?'");
}

/* The decision goes to the caller's stream, the problems to its buffer. */
static void test_check_run(void)
{
	struct pst_check_opts o = { .policy = "tests/fixtures/posture/policy.conf",
				    .facts = "tests/fixtures/posture/compliant.facts" };
	char *text = NULL, err[PST_CHECK_ERR_MAX];
	size_t len = 0;
	struct pst_check_result res;
	FILE *out, *warn = fopen("/dev/null", "w");

	if (access(o.policy, R_OK) != 0) {
		printf("# %s not found from here; skipped\n", o.policy);
		return;
	}
	out = open_memstream(&text, &len);
	CHECK_EQ_INT(pst_check_run(&o, out, warn, &res, err, sizeof(err)), 0);
	fclose(out);
	/* No certificate: no group, so no rule fits. */
	CHECK(res.decided);
	CHECK_EQ_INT(res.verdict, PST_DENY);
	CHECK(text && !strncmp(text, "verdict: deny\nrule: -\nprofile: -\nreason: ", 41));
	free(text);
	o.facts = "/nonexistent/postern.facts";
	text = NULL;
	out = open_memstream(&text, &len);
	CHECK(pst_check_run(&o, out, warn, &res, err, sizeof(err)) < 0);
	fclose(out);
	fclose(warn);
	CHECK(strstr(err, "/nonexistent/postern.facts") != NULL);
	CHECK(text && !text[0]);
	free(text);
}

int main(void)
{
	tmp_init();
	authority_init();
	RUN(test_osrelease_value);
	RUN(test_osrelease_last_wins_and_strict);
	RUN(test_osrelease_version_files);
	RUN(test_mountinfo_root);
	RUN(test_blockdev_encrypted);
	RUN(test_blockdev_depth);
	RUN(test_agentconf);
	RUN(test_agentconf_errors);
	RUN(test_certfile_identity);
	RUN(test_factsfile_errors);
	RUN(test_factsfile_write);
	RUN(test_collect_all);
	RUN(test_csd_args);
	RUN(test_url_parse);
	RUN(test_port_parse);
	RUN(test_token_valid);
	RUN(test_pin);
	RUN(test_http_status);
	RUN(test_decision_output);
	RUN(test_check_opts);
	RUN(test_check_run);
	X509_free(authority.cert);
	EVP_PKEY_free(authority.key);
	tmp_cleanup();
	UNIT_EXIT();
}
