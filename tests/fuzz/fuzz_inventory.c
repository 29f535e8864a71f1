/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the MDM inventory loader (posture/inventory.c). Each
 * input is parsed as a CSV export. The target checks the loader's contract:
 * success exactly when an inventory comes back with an empty err, its hash
 * that of the input's bytes, at most one record per line; failure with
 * every err line naming the file. Then every word of the input that could
 * be a device id is looked up: a record's facts are of source mdm, within
 * the fact grammar and the loader's words (true/false, the five OS names, a
 * parsable version, active/lost/retired), the other sources' facts are left
 * alone, a stale record gives its status only, and a device reported lost
 * or retired is denied by the engine whatever else it claims.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/version.h"
#include "posture/inventory.h"

#define FUZZ_ASSERT(cond) do { if (!(cond)) abort(); } while (0)
#define FUZZ_NAME "inventory.csv"
#define FUZZ_IDS_MAX 64
#define NOW ((time_t)1760000000)

static struct conf_policy *fuzz_policy;

static const char fuzz_policy_text[] =
	"quarantine-profile = \"remediation\"\n"
	"agent = \"optional\"\n"
	"profile internal { allow = \"198.18.2.0/24\" }\n"
	"profile remediation { allow = \"198.18.3.0/24\" }\n"
	"platform ios { }\n"
	"platform linux { min-version = \"12\" }\n"
	"rule strict { group = \"strict\" trust = \"mdm\" require-mdm = true\n"
	"  require-passcode = true action = \"allow\" profile = \"internal\" }\n"
	"rule any { action = \"allow\" profile = \"internal\" }\n";

static void fuzz_load_policy(void)
{
	char path[] = "/tmp/postern-fuzz-inventory.XXXXXX", err[1024];
	int fd = mkstemp(path);

	FUZZ_ASSERT(fd >= 0);
	FUZZ_ASSERT(write(fd, fuzz_policy_text, strlen(fuzz_policy_text)) ==
		    (ssize_t)strlen(fuzz_policy_text));
	close(fd);
	FUZZ_ASSERT(conf_policy_load(path, &fuzz_policy, err, sizeof(err)) == 0);
	unlink(path);
}

static bool one_of(const char *v, const char *const *words, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!strcmp(v, words[i]))
			return true;
	}
	return false;
}

/* Every err line starts with the name and a colon; the last may be cut. */
static void check_err(const char *err, size_t len)
{
	size_t plen = strlen(FUZZ_NAME);
	const char *l;

	FUZZ_ASSERT(memchr(err, '\0', len) != NULL);
	FUZZ_ASSERT(err[0] != '\0');
	for (l = err; l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strlen(l) < plen + 1)
			FUZZ_ASSERT(!strncmp(l, FUZZ_NAME, strlen(l)));
		else
			FUZZ_ASSERT(!strncmp(l, FUZZ_NAME, plen) && l[plen] == ':');
	}
}

static void check_sha256(const struct pst_inventory *inv, const uint8_t *data, size_t size)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	char hex[65];

	FUZZ_ASSERT(EVP_Digest(data, size, md, &n, EVP_sha256(), NULL) == 1 && n == 32);
	for (i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	FUZZ_ASSERT(!strcmp(pst_inventory_sha256(inv), hex));
}

/* A record's facts: source mdm, the loader's words, dated alike. */
static void check_record_facts(const struct pst_facts *fs, bool fresh_allowed)
{
	static const char *const bools[] = { "true", "false" };
	static const char *const os[] = { "ios", "android", "linux", "windows", "macos" };
	static const char *const status[] = { "active", "lost", "retired" };
	const struct pst_fact *first = NULL;
	struct cm_version v;
	size_t i, n_mdm = 0;

	for (i = 0; i < fs->n; i++) {
		const struct pst_fact *f = &fs->f[i];

		if (f->source != PST_SRC_MDM)
			continue;
		n_mdm++;
		if (!first)
			first = f;
		if (!strcmp(f->name, "device.status"))
			FUZZ_ASSERT(one_of(f->value, status, 3));
		else if (!strcmp(f->name, "mdm.enrolled") || !strcmp(f->name, "passcode.set"))
			FUZZ_ASSERT(fresh_allowed && one_of(f->value, bools, 2));
		else if (!strcmp(f->name, "os.name"))
			FUZZ_ASSERT(fresh_allowed && one_of(f->value, os, 5));
		else if (!strcmp(f->name, "os.version"))
			FUZZ_ASSERT(fresh_allowed && cm_version_parse(f->value, &v) == 0);
		else
			FUZZ_ASSERT(0);
		FUZZ_ASSERT(f->time == first->time);
	}
	FUZZ_ASSERT(n_mdm <= 5);
}

/* The engine denies a lost or retired device, whatever it reports. */
static void check_decision(const struct pst_facts *fs, const char *id)
{
	const struct pst_fact *st = pst_facts_get_from(fs, "device.status", PST_SRC_MDM);
	struct pst_subject subj = { .device_id = id, .group = "strict" };
	struct pst_decision d;

	pst_policy_decide(fuzz_policy, &subj, fs, NOW, &d);
	if (st && strcmp(st->value, "active"))
		FUZZ_ASSERT(d.verdict == PST_DENY && !d.rule && d.n_reasons == 1);
	if (d.verdict == PST_ALLOW) {
		/* trust = mdm: the two requirements came from the inventory. */
		const struct pst_fact *m = pst_facts_get_from(fs, "mdm.enrolled", PST_SRC_MDM);
		const struct pst_fact *p = pst_facts_get_from(fs, "passcode.set", PST_SRC_MDM);

		FUZZ_ASSERT(m && p && !strcmp(m->value, "true") && !strcmp(p->value, "true"));
	}
	FUZZ_ASSERT(!pst_policy_wants_agent(fuzz_policy, &subj, fs));
}

static void check_lookup(const struct pst_inventory *inv, const char *id)
{
	struct pst_facts fs, stale;
	int ret;

	/* Facts of another source are kept; earlier mdm ones are replaced. */
	pst_facts_init(&fs);
	FUZZ_ASSERT(pst_facts_set(&fs, "os.name", "linux", PST_SRC_AGENT, NOW) == 0);
	FUZZ_ASSERT(pst_facts_set(&fs, "passcode.set", "true", PST_SRC_AGENT, NOW) == 0);
	FUZZ_ASSERT(pst_facts_set(&fs, "os.kernel", "x", PST_SRC_MDM, NOW) == 0);
	ret = pst_inventory_facts(inv, id, NOW, 86400, &fs);
	FUZZ_ASSERT(ret == 0 || ret == 1);
	FUZZ_ASSERT(pst_facts_get_from(&fs, "os.name", PST_SRC_AGENT) &&
		    pst_facts_get_from(&fs, "passcode.set", PST_SRC_AGENT));
	FUZZ_ASSERT(!pst_facts_get_from(&fs, "os.kernel", PST_SRC_MDM));
	if (ret == 0)
		FUZZ_ASSERT(fs.n == 2);
	check_record_facts(&fs, true);
	check_decision(&fs, id);
	/* After the year 9999 every record is stale: its status at most. */
	pst_facts_init(&stale);
	FUZZ_ASSERT(pst_inventory_facts(inv, id, (time_t)300000000000LL, 60, &stale) == ret);
	FUZZ_ASSERT(stale.n <= 1);
	check_record_facts(&stale, false);
	if (stale.n)
		FUZZ_ASSERT(!strcmp(stale.f[0].name, "device.status"));
}

/* Words of the input that fit the device id grammar are looked up. */
static void check_ids(const struct pst_inventory *inv, const uint8_t *data, size_t size)
{
	char id[PST_DEVICE_ID_MAX + 1];
	size_t i = 0, n, found = 0;
	const char *s = (const char *)data;
	static const char id_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				       "0123456789._-";

	while (i < size && found < FUZZ_IDS_MAX) {
		for (n = 0; i + n < size && s[i + n] && strchr(id_chars, s[i + n]); n++)
			;
		if (n >= 1 && n <= PST_DEVICE_ID_MAX) {
			memcpy(id, s + i, n);
			id[n] = '\0';
			check_lookup(inv, id);
			found++;
		}
		i += n + 1;
	}
	check_lookup(inv, "");
	check_lookup(inv, NULL);
}

static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t i, n = 1;

	for (i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pst_inventory *inv = NULL, *again = NULL;
	char err[1024], err2[1024];
	int ret;

	if (!fuzz_policy)
		fuzz_load_policy();
	ret = pst_inventory_parse((const char *)data, size, FUZZ_NAME, &inv, err, sizeof(err));
	FUZZ_ASSERT((ret == 0) == (inv != NULL));
	FUZZ_ASSERT(ret == 0 || ret == -EINVAL || ret == -EFBIG);
	if (!inv) {
		check_err(err, sizeof(err));
		FUZZ_ASSERT(pst_inventory_parse((const char *)data, size, FUZZ_NAME, &again, err2,
						sizeof(err2)) == ret);
		FUZZ_ASSERT(!again && !strcmp(err, err2));
		return 0;
	}
	FUZZ_ASSERT(err[0] == '\0');
	FUZZ_ASSERT(pst_inventory_count(inv) <= count_lines(data, size) - 1);
	check_sha256(inv, data, size);
	check_ids(inv, data, size);
	pst_inventory_free(inv);
	return 0;
}
