/* SPDX-License-Identifier: MIT */
/*
 * A device's facts: a small fixed-size set of (name, source) pairs with a
 * value and the time the source observed it. Names and values are held to
 * a narrow grammar on the way in, so that every consumer (the engine, the
 * audit log's JSON, the report formatter, log lines) can print them without
 * quoting rules of its own.
 */
#include "posture/posture.h"

#include <errno.h>
#include <string.h>

#include "common/macros.h"

static const char *const pst_source_names[PST_SRC_N] = {
	[PST_SRC_CLIENT] = "client",
	[PST_SRC_AGENT] = "agent",
	[PST_SRC_MDM] = "mdm",
	[PST_SRC_CERT] = "cert",
};

/* Keep in step with the list in posture.h. */
static const char *const pst_known_facts[] = {
	"os.name", "os.version", "os.patch-level", "device.id",
	"mdm.enrolled", "passcode.set", "disk.encrypted", "device.rooted",
	"device.type", "device.unique-id", "os.kernel", "device.hostname", "device.status",
};

const char *pst_source_name(enum pst_source src)
{
	if ((unsigned int)src >= PST_SRC_N)
		return "unknown";
	return pst_source_names[src];
}

bool pst_fact_known(const char *name)
{
	size_t i;

	for (i = 0; name && i < CM_ARRAY_SIZE(pst_known_facts); i++) {
		if (!strcmp(name, pst_known_facts[i]))
			return true;
	}
	return false;
}

/* [a-z][a-z0-9.-]*, at most PST_NAME_MAX. */
static bool pst_name_ok(const char *s)
{
	size_t n;

	if (!s || s[0] < 'a' || s[0] > 'z')
		return false;
	n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789.-");
	return s[n] == '\0' && n <= PST_NAME_MAX;
}

/* 1..PST_VALUE_MAX printable ASCII characters, without '"' and '\\': values
 * end up inside quotes in reports, JSON and log lines. */
static bool pst_value_ok(const char *s)
{
	size_t n;

	if (!s)
		return false;
	for (n = 0; s[n]; n++) {
		if (n == PST_VALUE_MAX || s[n] < 0x20 || s[n] > 0x7e || s[n] == '"' ||
		    s[n] == '\\')
			return false;
	}
	return n > 0;
}

void pst_facts_init(struct pst_facts *fs)
{
	memset(fs, 0, sizeof(*fs));
}

static struct pst_fact *pst_facts_find(const struct pst_facts *fs, const char *name,
				       enum pst_source src)
{
	size_t i;

	for (i = 0; i < fs->n && i < PST_FACTS_MAX; i++) {
		if (fs->f[i].source == src && !strcmp(fs->f[i].name, name))
			return (struct pst_fact *)&fs->f[i];
	}
	return NULL;
}

int pst_facts_set(struct pst_facts *fs, const char *name, const char *value,
		  enum pst_source src, time_t when)
{
	struct pst_fact *f;

	if (!pst_name_ok(name) || !pst_value_ok(value) || (unsigned int)src >= PST_SRC_N)
		return -EINVAL;
	f = pst_facts_find(fs, name, src);
	if (!f) {
		if (fs->n >= PST_FACTS_MAX)
			return -ENOSPC;
		f = &fs->f[fs->n++];
		strcpy(f->name, name);
		f->source = src;
	}
	strcpy(f->value, value);
	f->time = when;
	return 0;
}

/* The rest move up, so facts keep the order they were first set in. */
void pst_facts_del(struct pst_facts *fs, const char *name, enum pst_source src)
{
	struct pst_fact *f = name ? pst_facts_find(fs, name, src) : NULL;
	size_t i;

	if (!f)
		return;
	i = (size_t)(f - fs->f);
	memmove(f, f + 1, (fs->n - i - 1) * sizeof(*f));
	fs->n--;
}

const struct pst_fact *pst_facts_get(const struct pst_facts *fs, const char *name)
{
	const struct pst_fact *f;
	int src;

	for (src = PST_SRC_N - 1; name && src >= 0; src--) {
		f = pst_facts_find(fs, name, (enum pst_source)src);
		if (f)
			return f;
	}
	return NULL;
}

const struct pst_fact *pst_facts_get_from(const struct pst_facts *fs, const char *name,
					  enum pst_source src)
{
	return name ? pst_facts_find(fs, name, src) : NULL;
}

/* How many facts of src in from are not yet in to. */
static size_t pst_facts_new(const struct pst_facts *to, const struct pst_facts *from,
			    enum pst_source src)
{
	size_t i, n = 0;

	for (i = 0; i < from->n && i < PST_FACTS_MAX; i++) {
		if (from->f[i].source == src && !pst_facts_find(to, from->f[i].name, src))
			n++;
	}
	return n;
}

/* Room is checked first, so a merge that cannot fit changes nothing. */
int pst_facts_merge(struct pst_facts *to, const struct pst_facts *from, enum pst_source src)
{
	const struct pst_fact *f;
	size_t i;
	int ret;

	if (to->n + pst_facts_new(to, from, src) > PST_FACTS_MAX)
		return -ENOSPC;
	for (i = 0; i < from->n && i < PST_FACTS_MAX; i++) {
		f = &from->f[i];
		if (f->source != src)
			continue;
		ret = pst_facts_set(to, f->name, f->value, src, f->time);
		if (ret)
			return ret;
	}
	return 0;
}
