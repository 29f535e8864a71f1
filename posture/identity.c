/* SPDX-License-Identifier: MIT */
/*
 * Who a device certificate says the device is: the device id (CN, repeated
 * exactly in the SAN URI urn:postern:device:ID), its group (OU) and its
 * ownership (SAN URI urn:postern:ownership:corporate|byod), as postern-ca
 * writes them by the contract in common/device.h. The gateway reads it from
 * the verified peer certificate; the dry run and the agent read it from a
 * file, and all three agree.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "common/time.h"
#include "common/utf8.h"
#include "posture/posture.h"

static bool identity_copy_name(char *dst, const char *src, size_t len)
{
	if (!cm_device_id_valid(src, len))
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

static bool identity_subject_field(X509 *cert, int nid, char *dst)
{
	X509_NAME *name = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(name, nid, -1);
	ASN1_STRING *v;

	if (i < 0)
		return false;
	v = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
	return identity_copy_name(dst, (const char *)ASN1_STRING_get0_data(v),
			     (size_t)ASN1_STRING_length(v));
}

/* One SAN URI (common/device.h); false when it is malformed or repeats one
 * read before. */
static bool identity_san_uri(const ASN1_IA5STRING *s, struct pst_identity *id, bool *have_dev)
{
	struct cm_device_uri u;

	if (cm_device_uri_parse((const char *)ASN1_STRING_get0_data(s),
				(size_t)ASN1_STRING_length(s), &u))
		return false;
	if (u.kind == CM_URI_DEVICE) {
		if (*have_dev)
			return false;
		*have_dev = true;
		return !strcmp(u.device_id, id->device_id);
	}
	if (u.kind == CM_URI_OWNERSHIP) {
		if (id->ownership != CONF_OWNERSHIP_ANY)
			return false;
		id->ownership = conf_ownership_of(u.ownership);
	}
	return true;
}

/* Reads the urn:postern: URIs; returns false when one is malformed or repeated. */
static bool identity_san_uris(X509 *cert, struct pst_identity *id, bool *have_dev)
{
	GENERAL_NAMES *gens = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
	bool ok = true;

	for (int i = 0; gens && ok && i < sk_GENERAL_NAME_num(gens); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);

		if (g->type == GEN_URI)
			ok = identity_san_uri(g->d.uniformResourceIdentifier, id, have_dev);
	}
	GENERAL_NAMES_free(gens);
	return ok;
}

/*
 * The owner's name, as postern-ca writes it (subject attribute "name",
 * 2.5.4.41): for the operators' tools only, never for a decision. Kept only
 * when it is valid UTF-8 without control characters, else left empty.
 */
static void identity_owner(X509 *cert, char *dst, size_t cap)
{
	X509_NAME *name = X509_get_subject_name(cert);
	int i = X509_NAME_get_index_by_NID(name, NID_name, -1);
	unsigned char *utf8 = NULL;
	int len;

	dst[0] = '\0';
	if (i < 0)
		return;
	len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i)));
	if (len > 0 && (size_t)len < cap &&
	    cm_utf8_text_chars((const char *)utf8, (size_t)len) >= 0) {
		memcpy(dst, utf8, (size_t)len);
		dst[len] = '\0';
	}
	OPENSSL_free(utf8);
}

int pst_serial_hex(const ASN1_INTEGER *serial, char *dst, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	int n = snprintf(dst, len, "%s", hex ? hex : "?");

	OPENSSL_free(hex);
	BN_free(bn);
	return !hex ? -ENOMEM : n < 0 || (size_t)n >= len ? -ERANGE : 0;
}

/*
 * Fills id from a certificate: CN = device id, which the SAN URI
 * urn:postern:device: must repeat exactly, OU = group, the ownership URI,
 * and the owner's name when there is one. Returns false when it is not a device's certificate.
 */
bool pst_cert_identity(X509 *cert, struct pst_identity *id)
{
	unsigned int n = sizeof(id->fingerprint);
	bool have_dev = false;

	memset(id, 0, sizeof(*id));
	if (!identity_subject_field(cert, NID_commonName, id->device_id))
		return false;
	if (!identity_subject_field(cert, NID_organizationalUnitName, id->group))
		snprintf(id->group, sizeof(id->group), "default");
	if (!identity_san_uris(cert, id, &have_dev) || !have_dev)
		return false;
	pst_serial_hex(X509_get0_serialNumber(cert), id->serial, sizeof(id->serial));
	identity_owner(cert, id->owner, sizeof(id->owner));
	if (cm_time_from_asn1(X509_get0_notAfter(cert), &id->not_after))
		return false;
	return X509_digest(cert, EVP_sha256(), id->fingerprint, &n) == 1 &&
	       n == sizeof(id->fingerprint);
}
