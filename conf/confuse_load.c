/* SPDX-License-Identifier: MIT */
/*
 * What the gateway configuration and the posture policy loaders share: the
 * file read into memory with a size cap, its directory resolved, comments
 * blanked before libconfuse sees the text (libconfuse 3.3 miscounts lines
 * after them), the start of each top-level section noted on the way,
 * numbers by the strict rule of common/number.h, the parse, and every problem collected as
 * "FILE:LINE: message" into the caller's buffer without printing anything.
 */
#include "conf/confuse_load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/number.h"

/* The comment pass's mark for a string or block comment that never ends. */
#define CONF_UNCLOSED SIZE_MAX

_Thread_local struct conf_load *conf_cur;

/* ---- collecting errors ---- */

/* A control character (a newline inside a quoted value) would break the
 * one-problem-per-line format that scripts and people read. */
static void conf_msg_clean(char *s)
{
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
	}
}

/* Appends one line; when the buffer is full the rest is dropped, never
 * overrun, and the buffer stays NUL-terminated. */
static void conf_err_append(struct conf_load *ld, int line, const char *msg)
{
	const char *sep = ld->used ? "\n" : "";
	size_t room;
	int n;

	if (!ld->err || ld->used + 1 >= ld->errlen)
		return;
	room = ld->errlen - ld->used;
	if (line > 0)
		n = snprintf(ld->err + ld->used, room, "%s%s:%d: %s", sep, ld->path, line, msg);
	else
		n = snprintf(ld->err + ld->used, room, "%s%s: %s", sep, ld->path, msg);
	if (n > 0)
		ld->used += (size_t)n < room ? (size_t)n : room - 1;
}

__attribute__((format(printf, 3, 0)))
static void conf_err_v(struct conf_load *ld, int line, const char *fmt, va_list ap)
{
	char msg[CONF_MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	conf_msg_clean(msg);
	ld->n_errors++;
	conf_err_append(ld, line, msg);
}

void conf_err(struct conf_load *ld, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	conf_err_v(ld, line, fmt, ap);
	va_end(ap);
}

/* libconfuse's own errors (syntax, unknown key) arrive here, with its line. */
__attribute__((format(printf, 2, 0)))
static void conf_confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	if (conf_cur)
		conf_err_v(conf_cur, cfg ? cfg->line : 0, fmt, ap);
}

/* ---- per-key bookkeeping, from inside the parse ---- */

int conf_opt_index(cfg_t *cfg, const cfg_opt_t *opt)
{
	int i;

	for (i = 0; i < CONF_KEYS_MAX && cfg->opts[i].name; i++) {
		if (&cfg->opts[i] == opt)
			return i;
	}
	return -1;
}

/*
 * The keys of the top level, or of the section being parsed: sections do not
 * nest, so a key outside the top level belongs to the section after the last
 * one finished. A section the comment pass did not see (it cannot happen
 * unless the pass and libconfuse's lexer disagree) gets a scratch scope.
 */
static struct conf_keys *conf_scope(cfg_t *cfg)
{
	static _Thread_local struct conf_keys scratch;

	if (cfg == conf_cur->root)
		return &conf_cur->top;
	if (conf_cur->n_sec_done < conf_cur->n_sec)
		return &conf_cur->sec[conf_cur->n_sec_done].keys;
	memset(&scratch, 0, sizeof(scratch));
	return &scratch;
}

void conf_err_opt(cfg_t *cfg, cfg_opt_t *opt, const char *fmt, ...)
{
	int i = conf_opt_index(cfg, opt);
	va_list ap;

	if (i >= 0)
		conf_scope(cfg)->bad[i] = true;
	va_start(ap, fmt);
	conf_err_v(conf_cur, cfg->line, fmt, ap);
	va_end(ap);
}

/* A scalar key set twice is refused: libconfuse would keep the second value
 * silently, and the first was meant too. */
void conf_note(cfg_t *cfg, cfg_opt_t *opt)
{
	struct conf_keys *keys = conf_scope(cfg);
	int i = conf_opt_index(cfg, opt);

	if (i < 0)
		return;
	if (keys->line[i] && !(opt->flags & CFGF_LIST) && cfg != conf_cur->root)
		conf_err_opt(cfg, opt, "%s '%s': %s: set twice (first on line %d)", cfg->name,
			     cfg->title ? cfg->title : "", opt->name, keys->line[i]);
	else if (keys->line[i] && !(opt->flags & CFGF_LIST))
		conf_err_opt(cfg, opt, "%s: set twice (first on line %d)", opt->name,
			     keys->line[i]);
	keys->line[i] = cfg->line;
}

const char *conf_str(cfg_opt_t *opt)
{
	const char *s = cfg_opt_getnstr(opt, 0);

	return s ? s : "";
}

int conf_key_line(const struct conf_keys *keys, cfg_t *cfg, const char *key)
{
	int i = conf_opt_index(cfg, cfg_getopt(cfg, key));

	return i < 0 ? 0 : keys->line[i];
}

bool conf_key_bad(const struct conf_keys *keys, cfg_t *cfg, const char *key)
{
	int i = conf_opt_index(cfg, cfg_getopt(cfg, key));

	return i < 0 || keys->bad[i];
}

/* ---- numbers ---- */

static const struct conf_range *conf_range_of(const char *key)
{
	const struct conf_schema *s = conf_cur->schema;
	size_t i;

	for (i = 0; i < s->n_ranges; i++) {
		if (!strcmp(s->ranges[i].key, key))
			return &s->ranges[i];
	}
	return NULL;
}

/*
 * Numbers are not left to libconfuse: it reads them with strtol(base 0),
 * which takes "0443" as octal 291 and "0x1bb" as hex, and it tests an errno
 * it never cleared. They follow the one rule of common/number.h.
 */
int conf_parse_uint(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	const struct conf_range *r = conf_range_of(opt->name);
	char why[CONF_WHY_MAX];
	uint64_t v = 0;

	conf_note(cfg, opt);
	if (!r)
		conf_err_opt(cfg, opt, "%s: no range known (a bug)", opt->name);
	else if (cm_number_parse_why(value, r->min, r->max, &v, why, sizeof(why)))
		conf_err_opt(cfg, opt, "%s: %s", opt->name, why);
	*(long *)result = (long)v;
	return 0;
}

int conf_bool_parse(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result,
		    const char *where)
{
	conf_note(cfg, opt);
	*(int *)result = value && !strcmp(value, "true");
	if (!value || (strcmp(value, "true") && strcmp(value, "false")))
		conf_err_opt(cfg, opt, "%s%s: '%s' is not true or false", where, opt->name,
			     value ? value : "");
	return 0;
}

int conf_parse_bool(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	return conf_bool_parse(cfg, opt, value, result, "");
}

/* ---- sections ---- */

static unsigned int conf_kind_count(cfg_t *cfg, cfg_opt_t *opt)
{
	int i = conf_opt_index(cfg, opt);

	return i < 0 ? 0 : conf_cur->n_kind[i];
}

static void conf_kind_grew(cfg_t *cfg, cfg_opt_t *opt)
{
	int i = conf_opt_index(cfg, opt);

	if (i >= 0)
		conf_cur->n_kind[i]++;
}

/* The earlier section of the same kind and title as written, for the
 * message when libconfuse's own bookkeeping cannot tell. */
static int conf_section_first(const struct conf_load *ld, const struct conf_section *s)
{
	size_t i;

	for (i = 0; s->title[0] && &ld->sec[i] < s; i++) {
		if (ld->sec[i].opt == s->opt && !strcmp(ld->sec[i].title, s->title))
			return ld->sec[i].line;
	}
	return 0;
}

/*
 * After a duplicate, libconfuse has freed the earlier section of that title
 * and parsed the new one into its place (often at the same address). The
 * earlier entry is found by its title: its section is no longer the one
 * libconfuse holds under that title, or it ends elsewhere. Its cfg is
 * cleared, so that nothing reads freed memory or checks the new section's
 * keys against the old one's lines.
 */
static struct conf_section *conf_section_replaced(struct conf_load *ld, cfg_opt_t *opt)
{
	struct conf_section *e;
	cfg_t *now;
	size_t i;

	for (i = 0; i + 1 < ld->n_sec_done; i++) {
		e = &ld->sec[i];
		if (e->opt != opt || !e->cfg)
			continue;
		now = cfg_opt_gettsec(opt, e->name);
		if (now != e->cfg || now->line != e->end_line) {
			e->cfg = NULL;
			return e;
		}
	}
	return NULL;
}

/* The first section of that kind and (libconfuse's) title. */
static int conf_section_first_named(const struct conf_load *ld, const cfg_opt_t *opt,
				    const char *name)
{
	size_t i;

	for (i = 0; i < ld->n_sec_done; i++) {
		if (ld->sec[i].opt == opt && ld->sec[i].name && !strcmp(ld->sec[i].name, name))
			return ld->sec[i].line;
	}
	return 0;
}

/* What libconfuse keeps is the later definition, so the checks after the
 * parse see that one, with its own lines. */
static void conf_section_dup(struct conf_load *ld, cfg_opt_t *opt, struct conf_section *s)
{
	const struct conf_section *e = conf_section_replaced(ld, opt);
	int first = conf_section_first(ld, s);

	if (e && !conf_dup(&s->name, e->name)) {
		s->cfg = cfg_opt_gettsec(opt, s->name);
		s->end_line = s->cfg ? s->cfg->line : 0;
	}
	if (e)
		conf_err(ld, s->line, "%s '%s' is defined twice (first on line %d)", opt->name,
			 e->name, conf_section_first_named(ld, opt, e->name));
	else if (first)
		conf_err(ld, s->line, "%s '%s' is defined twice (first on line %d)", opt->name,
			 s->title, first);
	else
		conf_err(ld, s->line, "%s '%s' is defined twice", opt->name, s->title);
}

/*
 * libconfuse calls a section option's validator in the parent when the
 * section closes. For a title it has seen before it frees the earlier
 * section and keeps the new one in its place, silently; that shows here as
 * a count that did not grow. The comment pass saw the sections in the same
 * order, so the one closing is the next in ld->sec.
 */
int conf_section_done(cfg_t *cfg, cfg_opt_t *opt)
{
	struct conf_load *ld = conf_cur;
	struct conf_section *s;
	unsigned int n = cfg_opt_size(opt);

	if (ld->n_sec_done >= ld->n_sec)
		return 0;
	s = &ld->sec[ld->n_sec_done++];
	s->opt = opt;
	if (n <= conf_kind_count(cfg, opt)) {
		conf_section_dup(ld, opt, s);
		return 0;
	}
	conf_kind_grew(cfg, opt);
	s->cfg = cfg_opt_getnsec(opt, n - 1);
	s->end_line = s->cfg->line;
	if (conf_dup(&s->name, cfg_title(s->cfg) ? cfg_title(s->cfg) : "")) {
		conf_err(ld, s->line, "out of memory");
		s->cfg = NULL;
	}
	return 0;
}

/* ---- paths ---- */

/* Relative names are taken from the config file's directory, not from the
 * working directory, which differs between `posternd -t` and the service. */
char *conf_path_abs(const char *dir, const char *name)
{
	char *p;

	if (name[0] == '/')
		return strdup(name);
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

int conf_dup(char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

/* ---- reading the file ---- */

static int conf_file_fail(struct conf_load *ld, const char *what, int ret)
{
	conf_err(ld, 0, "%s: %s", what, strerror(-ret));
	return ret;
}

/* The file is read into memory once (common/file.h: regular files only, so
 * that a FIFO never blocks the load): the comment pass below edits it
 * before libconfuse sees it. */
static int conf_file_read(struct conf_load *ld, size_t max, char **text, size_t *len)
{
	char why[CONF_WHY_MAX];
	int ret = cm_file_read_why(ld->path, max, text, len, why, sizeof(why));

	if (ret)
		conf_err(ld, 0, "%s", why);
	return ret;
}

static int conf_dir_resolve(struct conf_load *ld)
{
	const char *slash = strrchr(ld->path, '/');
	size_t n = slash == ld->path ? 1 : (size_t)(slash - ld->path);
	char *dir = slash ? strndup(ld->path, n) : strdup(".");
	int ret = -ENOMEM;

	ld->base = slash ? slash + 1 : ld->path;
	if (dir) {
		ld->dir = cm_file_realpath(dir);
		ret = ld->dir ? 0 : -errno;
	}
	free(dir);
	return ret ? conf_file_fail(ld, "cannot resolve its directory", ret) : 0;
}

int conf_load_read(struct conf_load *ld, size_t max, char **text, size_t *len)
{
	int ret = conf_file_read(ld, max, text, len);

	return ret ? ret : conf_dir_resolve(ld);
}

/* ---- blanking comments ---- */
/*
 * libconfuse 3.3 counts each "#" or "//" comment as three lines and each block
 * comment as one line too many, so every error after a comment would name the
 * wrong line; it also refuses a comment inside a list's braces. The loader
 * therefore blanks comments itself (spaces, newlines kept) before the parse.
 * The scan follows lexer.l so that it blanks exactly what the lexer would
 * take as a comment: "#" anywhere outside a string, "//" and "/" "*" only where
 * a token starts (inside an unquoted word a slash belongs to the word).
 */

static bool conf_starts(const char *t, size_t n, size_t i, const char *s)
{
	size_t k = strlen(s);

	return n - i >= k && !memcmp(t + i, s, k);
}

/* What the lexer reads as an unquoted word is a run of anything but these. */
static bool conf_word_char(char c)
{
	return c != '\0' && !strchr(" #\"'\t\n\r={}()+,*", c);
}

/* "${VAR}" is one token to the lexer, even across quotes and newlines.
 * Returns the index of its closing brace, 0 when this is not one. */
static size_t conf_env_end(const char *t, size_t n, size_t i)
{
	const char *e;

	if (!conf_starts(t, n, i, "${"))
		return 0;
	e = memchr(t + i + 2, '}', n - i - 2);
	return e ? (size_t)(e - t) : 0;
}

/* Returns the index after the closing quote, or CONF_UNCLOSED. A backslash
 * always takes the next character along, in both kinds of quotes. */
static size_t conf_skip_quoted(const char *t, size_t n, size_t i)
{
	char q = t[i];

	for (i++; i < n; i++) {
		if (t[i] == '\\')
			i++;
		else if (q == '"' && conf_env_end(t, n, i))
			i = conf_env_end(t, n, i);
		else if (t[i] == q)
			return i + 1;
	}
	return CONF_UNCLOSED;
}

static void conf_blank(char *t, size_t from, size_t to)
{
	for (; from < to; from++) {
		if (t[from] != '\n')
			t[from] = ' ';
	}
}

static int conf_line_at(const char *t, size_t i)
{
	int line = 1;

	while (i-- > 0)
		line += t[i] == '\n';
	return line;
}

/* Blanks the comment starting at i; returns the index after it, or
 * CONF_UNCLOSED for a block comment that is never closed. */
static size_t conf_blank_comment(char *t, size_t n, size_t i)
{
	const char *e;
	size_t end;

	if (conf_starts(t, n, i, "/*")) {
		e = memmem(t + i + 2, n - i - 2, "*/", 2);
		end = e ? (size_t)(e - t) + 2 : n;
		conf_blank(t, i, end);
		return e ? end : CONF_UNCLOSED;
	}
	e = memchr(t + i, '\n', n - i);
	end = e ? (size_t)(e - t) : n;
	conf_blank(t, i, end);
	return end;
}

/* Where the token starting at i ends; comments are blanked on the way. */
static size_t conf_token_end(char *t, size_t n, size_t i)
{
	if (t[i] == '"' || t[i] == '\'')
		return conf_skip_quoted(t, n, i);
	if (t[i] == '#' || conf_starts(t, n, i, "//") || conf_starts(t, n, i, "/*"))
		return conf_blank_comment(t, n, i);
	if (conf_env_end(t, n, i))
		return conf_env_end(t, n, i) + 1;
	if (!conf_word_char(t[i]))
		return i + 1;
	while (i < n && conf_word_char(t[i]))
		i++;
	return i;
}

/* ---- noting where sections start ---- */

/* The tokens the section scan looks back on: a section is "NAME TITLE {"
 * at the top level, where a list is "KEY = {" (or "KEY += {"). */
struct conf_scan {
	int depth;
	int open_line;		/* of the top-level section open now, or 0 */
	int line;		/* of the token being looked at */
	char prev;		/* the last token's first character */
	int name_line;		/* the line of the token before the last */
	int last_line;
	size_t title_at, title_end;	/* the last token */
};

static int conf_section_add(struct conf_load *ld, int line, const char *title, size_t len)
{
	struct conf_section *s;

	if (ld->n_sec % 16 == 0) {
		s = reallocarray(ld->sec, ld->n_sec + 16, sizeof(*s));
		if (!s)
			return -ENOMEM;
		ld->sec = s;
	}
	s = &ld->sec[ld->n_sec++];
	memset(s, 0, sizeof(*s));
	s->line = line;
	/* A quoted title is kept for messages only when it needs no unescaping. */
	if (len >= 2 && title[0] == '"') {
		title++;
		len -= 2;
	}
	if (len <= CONF_TITLE_MAX && !memchr(title, '\\', len) && !memchr(title, '$', len) &&
	    !memchr(title, '\'', len))
		memcpy(s->title, title, len);
	return 0;
}

/* Looks at one token (not whitespace, not a comment). */
static int conf_scan_token(struct conf_load *ld, struct conf_scan *sc, const char *t,
			   size_t i, size_t end)
{
	int ret = 0, line = sc->name_line ? sc->name_line : sc->line;

	if (t[i] == '{' && sc->depth++ == 0 && sc->prev != '=' && sc->prev) {
		ret = conf_section_add(ld, line, t + sc->title_at, sc->title_end - sc->title_at);
		sc->open_line = line;
	} else if (t[i] == '}' && sc->depth > 0 && --sc->depth == 0) {
		sc->open_line = 0;
	}
	sc->name_line = sc->last_line;
	sc->last_line = sc->line;
	sc->prev = t[i];
	sc->title_at = i;
	sc->title_end = end;
	return ret;
}

static bool conf_blank_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- finding the string left open ---- */

/* How many strings spanning a line are tried as the one left open: a bound
 * on the work a hostile file can cause (each try scans the rest). */
#define CONF_UNCLOSED_TRIES 64

static bool conf_quote(char c)
{
	return c == '"' || c == '\'';
}

/* Scans the tokens of t from i to the end: true when no string or comment
 * is left open and no string spans a line. Blanks comments in t. */
static bool conf_rest_clean(char *t, size_t n, size_t i)
{
	size_t end;

	for (; i < n; i = end) {
		end = conf_token_end(t, n, i);
		if (end == CONF_UNCLOSED)
			return false;
		if (conf_quote(t[i]) && memchr(t + i, '\n', end - i))
			return false;
	}
	return true;
}

/* Whether the string at i, ended at the end of its own line, leaves the
 * rest of the file clean (scratch: a copy to scan, as scanning blanks). */
static bool conf_opened_here(const char *orig, char *scratch, size_t n, size_t i)
{
	const char *nl = memchr(orig + i, '\n', n - i);
	size_t from;

	if (!nl)
		return true;
	from = (size_t)(nl - orig) + 1;
	memcpy(scratch + from, orig + from, n - from);
	return conf_rest_clean(scratch, n, from);
}

/*
 * The lexer pairs a quote left open with the opening quote of the next
 * string, and so on, so that the quote it finds open at the end is the
 * last one of the file, not the one the user forgot to close. That one is
 * the first string that spans a line break and that, ended at the end of
 * its own line, leaves the rest of the file with every string closed on
 * its line. A file with strings meant to span lines may have none such;
 * then the last opening is named, as the lexer sees it. Returns the line.
 */
static int conf_unclosed_line(const char *orig, size_t n, size_t last)
{
	char *t = malloc(n + 1), *scratch = malloc(n + 1);
	size_t i, end, tries = 0;
	int line = 0;

	if (t && scratch)
		memcpy(t, orig, n);
	for (i = 0; t && scratch && i < n && !line && tries < CONF_UNCLOSED_TRIES; i = end) {
		end = conf_token_end(t, n, i);
		if (!conf_quote(t[i]) || (end != CONF_UNCLOSED && !memchr(t + i, '\n', end - i)))
			continue;
		tries++;
		if (conf_opened_here(orig, scratch, n, i))
			line = conf_line_at(orig, i);
		if (end == CONF_UNCLOSED)
			break;
	}
	free(t);
	free(scratch);
	return line ? line : conf_line_at(orig, last);
}

/*
 * Unclosed strings and comments are refused here rather than passed on:
 * libconfuse accepts an unclosed block comment silently, and a backslash
 * at the end of an unclosed string makes its lexer echo it to stdout.
 */
static int conf_blank_comments(struct conf_load *ld, char *t, size_t n, const char *orig)
{
	const char *nul = memchr(t, '\0', n);
	struct conf_scan sc = { .line = 1 };
	size_t i, k, end;
	bool quote;

	if (nul) {
		conf_err(ld, conf_line_at(t, (size_t)(nul - t)), "NUL byte: not a text file");
		return -EINVAL;
	}
	for (i = 0; i < n; i = end) {
		quote = conf_quote(t[i]);
		end = conf_token_end(t, n, i);
		if (end == CONF_UNCLOSED) {
			conf_err(ld, quote ? conf_unclosed_line(orig, n, i) : conf_line_at(t, i),
				 "this %s is never closed", quote ? "string" : "comment");
			return -EINVAL;
		}
		/* A comment is blank now, so its first character is a space. */
		if (!conf_blank_space(t[i]) && conf_scan_token(ld, &sc, t, i, end)) {
			conf_err(ld, 0, "out of memory");
			return -ENOMEM;
		}
		for (k = i; k < end; k++)
			sc.line += t[k] == '\n';
	}
	ld->open_line = sc.open_line;
	return 0;
}

/* ---- parsing ---- */

static cfg_t *conf_cfg_new(const struct conf_load *ld, const struct conf_schema *schema)
{
	cfg_t *cfg = cfg_init(schema->opts, CFGF_NONE);
	size_t i;

	if (!cfg)
		return NULL;
	cfg_set_error_function(cfg, conf_confuse_error);
	for (i = 0; i < schema->n_checks; i++)
		cfg_set_validate_func(cfg, schema->checks[i].key, schema->checks[i].check);
	/* cfg_parse_fp names the file "FILE" unless told; cfg_free frees it. */
	cfg->filename = strdup(ld->path);
	return cfg;
}

int conf_load_parse(struct conf_load *ld, const struct conf_schema *schema, char *text,
		    size_t len, cfg_t **out)
{
	FILE *fp = NULL;
	char *orig;
	cfg_t *cfg;
	int ret;

	/* The text as written, for conf_unclosed_line: the pass edits text. */
	orig = malloc(len + 1);
	if (!orig) {
		conf_err(ld, 0, "out of memory");
		return -ENOMEM;
	}
	memcpy(orig, text, len);
	orig[len] = '\0';
	ret = conf_blank_comments(ld, text, len, orig);
	free(orig);
	if (ret)
		return ret;
	*out = cfg = conf_cfg_new(ld, schema);
	if (cfg)
		fp = fmemopen(text, len, "r");
	if (!fp) {
		conf_err(ld, 0, "out of memory");
		return -ENOMEM;
	}
	ld->schema = schema;
	ld->root = cfg;
	conf_cur = ld;
	ret = cfg_parse_fp(cfg, fp) == CFG_SUCCESS ? 0 : -EINVAL;
	conf_cur = NULL;
	fclose(fp);
	if (ret && !ld->n_errors)
		conf_err(ld, 0, "syntax error");
	/* libconfuse takes the end of the file as the end of an open section. */
	if (!ret && ld->open_line) {
		conf_err(ld, ld->open_line, "this section is never closed");
		ret = -EINVAL;
	}
	return ret;
}

void conf_load_done(struct conf_load *ld)
{
	size_t i;

	for (i = 0; i < ld->n_sec; i++)
		free(ld->sec[i].name);
	free(ld->dir);
	free(ld->sec);
	ld->dir = NULL;
	ld->sec = NULL;
	ld->n_sec = 0;
}
