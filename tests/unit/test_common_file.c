/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of common/file.c: a regular file is read whole and
 * NUL-terminated, a /proc file (which says it is empty) too; more than the
 * limit is -EFBIG, a directory, a FIFO and a device are refused without
 * blocking, and the message variant says which step failed.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "tests/unit/unit.h"

static char dir[] = "/tmp/postern-test-file-XXXXXX";

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static int read_in(const char *name, size_t max, char **buf, size_t *len)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return cm_file_read(path, max, buf, len);
}

static void test_regular(void)
{
	char *buf = NULL;
	size_t len = 0;

	put("a", "hello\n");
	CHECK_EQ_INT(read_in("a", 6, &buf, &len), 0);
	CHECK_EQ_INT(len, 6);
	CHECK_EQ_STR(buf, "hello\n");
	free(buf);
	put("empty", "");
	buf = NULL;
	CHECK_EQ_INT(read_in("empty", 0, &buf, &len), 0);
	CHECK(buf && len == 0 && buf[0] == '\0');
	free(buf);
}

static void test_limit(void)
{
	char *buf = NULL, big[10000];
	size_t len = 0;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	put("big", big);
	CHECK_EQ_INT(read_in("big", 5, &buf, &len), -EFBIG);
	CHECK_EQ_INT(read_in("big", sizeof(big) - 2, &buf, &len), -EFBIG);
	CHECK_EQ_INT(read_in("big", sizeof(big) - 1, &buf, &len), 0);
	CHECK_EQ_INT(len, sizeof(big) - 1);
	free(buf);
}

static void test_proc(void)
{
	char *buf = NULL;
	size_t len = 0;

	CHECK_EQ_INT(cm_file_read("/proc/self/mountinfo", 4 << 20, &buf, &len), 0);
	CHECK(buf && len > 0 && strlen(buf) == len);
	free(buf);
}

static void test_not_regular(void)
{
	char fifo[256], *buf = NULL;
	size_t len = 0;

	CHECK_EQ_INT(cm_file_read(dir, 100, &buf, &len), -EISDIR);
	CHECK_EQ_INT(cm_file_read("/dev/null", 100, &buf, &len), -EINVAL);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	CHECK_EQ_INT(mkfifo(fifo, 0600), 0);
	CHECK_EQ_INT(cm_file_read(fifo, 100, &buf, &len), -EINVAL);	/* never blocks */
	CHECK_EQ_INT(cm_file_read("/nonexistent/x", 100, &buf, &len), -ENOENT);
	CHECK(buf == NULL);
}

static void test_why(void)
{
	char why[128], path[256], *buf = NULL;
	size_t len;

	CHECK_EQ_INT(cm_file_read_why("/nonexistent/x", 9, &buf, &len, why, sizeof(why)),
		     -ENOENT);
	CHECK_EQ_STR(why, "cannot open: No such file or directory");
	CHECK_EQ_INT(cm_file_read_why(dir, 9, &buf, &len, why, sizeof(why)), -EISDIR);
	CHECK_EQ_STR(why, "not a regular file");
	CHECK_EQ_INT(cm_file_read_why("/dev/null", 9, &buf, &len, why, sizeof(why)), -EINVAL);
	CHECK_EQ_STR(why, "not a regular file");
	put("ten", "0123456789");
	snprintf(path, sizeof(path), "%s/ten", dir);
	CHECK_EQ_INT(cm_file_read_why(path, 9, &buf, &len, why, sizeof(why)), -EFBIG);
	CHECK_EQ_STR(why, "cannot read: File too large");
}

int main(void)
{
	char cmd[300];

	if (!mkdtemp(dir)) {
		printf("not ok - mkdtemp\n");
		return 1;
	}
	RUN(test_regular);
	RUN(test_limit);
	RUN(test_proc);
	RUN(test_not_regular);
	RUN(test_why);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	UNIT_EXIT();
}
