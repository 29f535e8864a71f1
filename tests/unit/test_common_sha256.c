/* SPDX-License-Identifier: MIT */
/* Unit tests of common/sha256.c: the FIPS 180-2 test vectors, lower-case hex. */
#include <string.h>

#include "common/sha256.h"
#include "tests/unit/unit.h"

static void test_vectors(void)
{
	char hex[CM_SHA256_HEX_SIZE];

	CHECK_EQ_INT(cm_sha256_hex("", 0, hex), 0);
	CHECK_EQ_STR(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	CHECK_EQ_INT(cm_sha256_hex("abc", 3, hex), 0);
	CHECK_EQ_STR(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	CHECK_EQ_INT(cm_sha256_hex("a\0b", 3, hex), 0);	/* bytes, not a C string */
	CHECK(strcmp(hex, "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"));
	CHECK_EQ_INT(strlen(hex), 64);
}

int main(void)
{
	RUN(test_vectors);
	UNIT_EXIT();
}
