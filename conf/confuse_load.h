/* SPDX-License-Identifier: MIT */
/*
 * The machinery the libconfuse loaders share (internal to conf/): reading
 * the file with a size cap, resolving its directory, the pass that blanks
 * comments before libconfuse sees the text (and notes where each top-level
 * section starts), numbers, the parse driver, and collecting
 * every problem as "FILE:LINE: message". A loader supplies its option table,
 * its per-key checks and its checks across keys; this file knows no key.
 */
#ifndef POSTERN_CONF_CONFUSE_LOAD_H
#define POSTERN_CONF_CONFUSE_LOAD_H

#include <confuse.h>
#include <stdbool.h>
#include <stddef.h>

/* A config is a few kilobytes; anything near this is a mistake. */
#define CONF_FILE_MAX (1024 * 1024)
#define CONF_MSG_MAX 512
#define CONF_WHY_MAX 128
#define CONF_KEYS_MAX 32
#define CONF_TITLE_MAX 64

/* Where each key of one scope (the file's top level, or one section) was
 * set, by option index; 0 = not set. bad: its value was refused, so no check
 * across keys uses it. */
struct conf_keys {
	int line[CONF_KEYS_MAX];
	bool bad[CONF_KEYS_MAX];
};

/*
 * A top-level section ("rule corporate { ... }"). libconfuse remembers only
 * the line where a section ends, so the comment pass notes where each one
 * starts, in file order; the section's validator fills in the rest when
 * libconfuse has parsed it.
 */
struct conf_section {
	int line;			/* of its name: "rule" in "rule corporate {" */
	char title[CONF_TITLE_MAX + 1];	/* as written when plain, else "" (for messages) */
	const cfg_opt_t *opt;		/* which kind of section; NULL until parsed */
	cfg_t *cfg;			/* NULL until parsed, and for a duplicate title */
	char *name;			/* its title as libconfuse read it */
	int end_line;			/* where libconfuse saw it end */
	struct conf_keys keys;
};

struct conf_range {
	const char *key;
	unsigned long min, max;
};

struct conf_check {
	const char *key;		/* "key", or "section|key" */
	cfg_validate_callback_t check;
};

/* What a loader tells the machinery about its file format. */
struct conf_schema {
	cfg_opt_t *opts;
	const struct conf_check *checks;
	size_t n_checks;
	const struct conf_range *ranges;	/* for conf_parse_uint */
	size_t n_ranges;
};

/* The state of one load. */
struct conf_load {
	const char *path;		/* as given: every message starts with it */
	const char *base;		/* its last component */
	char *dir;			/* realpath of its directory: relative names start here */
	char *err;			/* the caller's buffer, always NUL-terminated */
	size_t errlen;
	size_t used;
	unsigned int n_errors;
	const struct conf_schema *schema;
	cfg_t *root;			/* the file's top level, while it is parsed */
	struct conf_keys top;
	struct conf_section *sec;	/* every top-level section, in file order */
	size_t n_sec;
	size_t n_sec_done;		/* how many libconfuse has finished */
	int open_line;			/* a section still open at the end of the file */
	unsigned int n_kind[CONF_KEYS_MAX];	/* sections parsed, by option index */
	bool running;			/* a reload: files only read at start are not probed */
};

/*
 * libconfuse's callbacks carry no user pointer, so they find the load in
 * progress here. libconfuse's lexer is itself a global, so two loads must not
 * run at the same time in one process (the daemon loads from its main thread);
 * thread-local merely keeps a load in another thread from writing into this
 * one's buffer.
 */
extern _Thread_local struct conf_load *conf_cur;

/* ---- errors ---- */

/* line 0 means the problem has no line (a missing key, an unreadable file). */
__attribute__((format(printf, 3, 4)))
void conf_err(struct conf_load *ld, int line, const char *fmt, ...);
/* An error about the value of the key being parsed, at the current line;
 * marks the key bad. */
__attribute__((format(printf, 3, 4)))
void conf_err_opt(cfg_t *cfg, cfg_opt_t *opt, const char *fmt, ...);

/* ---- per-key bookkeeping, from inside the parse ---- */

int conf_opt_index(cfg_t *cfg, const cfg_opt_t *opt);
/* Remembers where a key is set; a scalar key set twice is refused. */
void conf_note(cfg_t *cfg, cfg_opt_t *opt);
/* The key's first value as a string, "" when unset. */
const char *conf_str(cfg_opt_t *opt);
/* Where key was set in the scope keys of cfg (0 = not set), and whether its
 * value was refused. */
int conf_key_line(const struct conf_keys *keys, cfg_t *cfg, const char *key);
bool conf_key_bad(const struct conf_keys *keys, cfg_t *cfg, const char *key);

/* A libconfuse parse callback for CFG_INT_CB keys with a range in the schema:
 * the number rule of common/number.h. */
int conf_parse_uint(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result);
/* A libconfuse parse callback for CFG_BOOL_CB keys: exactly "true" or
 * "false" (libconfuse alone also takes yes/no/on/off/1/0); conf_bool_parse
 * puts where (a section's name, or "") in front of the message. */
int conf_parse_bool(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result);
int conf_bool_parse(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result,
		    const char *where);
/* A validator for a CFGF_MULTI section option: records the section parsed
 * and refuses a title used twice. */
int conf_section_done(cfg_t *cfg, cfg_opt_t *opt);

/* ---- paths ---- */

/* name taken relative to dir unless absolute; NULL when out of memory. */
char *conf_path_abs(const char *dir, const char *name);
/* *dst = strdup(s), or stays NULL for a NULL s. 0 or -ENOMEM. */
int conf_dup(char **dst, const char *s);

/* ---- the load ---- */

/*
 * Reads ld->path into *text (NUL-terminated, *len bytes, at most max bytes)
 * and resolves its directory. Problems are reported into ld.
 */
int conf_load_read(struct conf_load *ld, size_t max, char **text, size_t *len);
/*
 * Blanks comments in text, then parses it with libconfuse against schema.
 * Returns -EINVAL when libconfuse stopped early (a syntax error, an unknown
 * key): the rest of the file was never read, so the checks across keys would
 * only add false alarms. *out is set either way, for cfg_free.
 */
int conf_load_parse(struct conf_load *ld, const struct conf_schema *schema, char *text,
		    size_t len, cfg_t **out);
/* Frees what the load allocated (not the caller's buffer). */
void conf_load_done(struct conf_load *ld);

#endif
