/* SPDX-License-Identifier: MIT */
/*
 * The posture model and engine. A device's posture is a set of facts, each
 * a name and a value with the source that stated it and the wall-clock time
 * it was observed. The engine applies a policy (conf/policy.h) to a device's
 * identity (from its certificate) and facts and returns a decision: allow
 * with a profile, quarantine with one reason per failed check, or deny.
 *
 * Nothing here knows about sockets, TLS or the TUN device: the gateway, the
 * agent and the dry run (`postern-posture check`) all use the same code, so
 * a dry run decides exactly as the gateway would.
 *
 * Fail closed: a fact that is missing, unparsable or older than its
 * source's limit (max-inventory-age for the MDM inventory, max-report-age
 * for the others) never satisfies a requirement; an agent fact that
 * contradicts the inventory's fails a check of its own; and a device the
 * inventory reports lost or retired is denied, however old its record.
 */
#ifndef POSTERN_POSTURE_H
#define POSTERN_POSTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "common/device.h"
#include "conf/policy.h"

/* The device-certificate contract (common/device.h): ids and groups are
 * [A-Za-z0-9._-], alphanumeric first; an owner's name is UTF-8 text. */
#define PST_DEVICE_ID_MAX	CM_DEVICE_ID_MAX
#define PST_OWNER_MAX	CM_OWNER_BYTES_MAX	/* bytes of the owner's name */
#define PST_FINGERPRINT_LEN	32	/* SHA-256 of the certificate's DER */
#define PST_NAME_MAX	48	/* fact names: [a-z0-9.-], starting with a letter */
#define PST_VALUE_MAX	128	/* fact values: printable ASCII without '"' and '\\' */
#define PST_FACTS_MAX	48	/* (name, source) pairs in one set */
#define PST_REASONS_MAX	12
#define PST_REASON_MAX	200

/*
 * Where a fact comes from, lowest rank first. When several sources state the
 * same fact, the highest rank wins: the MDM inventory (posture/inventory.h)
 * over the agent's report over what the client's HTTP requests claim. The
 * certificate states device.id only (signed by our CA, so it is what the
 * reported device.id is checked against).
 */
enum pst_source {
	PST_SRC_CLIENT,		/* <device-id> and X-AnyConnect-Identifier-* */
	PST_SRC_AGENT,		/* the posture agent's report (host-scan) */
	PST_SRC_MDM,		/* the MDM inventory */
	PST_SRC_CERT,		/* the verified device certificate */
	PST_SRC_N
};

/*
 * The facts the policy understands (pst_fact_known() is true for them):
 *   os.name         ios | android | linux | windows | macos
 *   os.version      a version number (cm_version_parse)
 *   os.patch-level  YYYY-MM-DD (Android security patch)
 *   device.id       the device id the reporter believes it is
 *   mdm.enrolled, passcode.set, disk.encrypted, device.rooted   true | false
 *   device.status   active | lost | retired: the MDM inventory's (only the
 *                   mdm source's value counts)
 *   device.type, device.unique-id, os.kernel, device.hostname   informational
 * Other names are ignored by the report parser.
 */
struct pst_fact {
	char name[PST_NAME_MAX + 1];
	char value[PST_VALUE_MAX + 1];
	enum pst_source source;
	time_t time;		/* wall clock: when the source observed it */
};

struct pst_facts {
	struct pst_fact f[PST_FACTS_MAX];
	size_t n;
};

/* What a verified device certificate says about the device. */
struct pst_identity {
	char device_id[PST_DEVICE_ID_MAX + 1];
	char group[PST_DEVICE_ID_MAX + 1];	/* "default" when the certificate has no OU */
	char owner[PST_OWNER_MAX + 1];		/* subject name (2.5.4.41); "" when absent */
	enum conf_ownership ownership;		/* ANY when it states neither */
	char serial[80];			/* hex */
	time_t not_after;			/* the certificate's end of validity */
	uint8_t fingerprint[PST_FINGERPRINT_LEN];
};

/* Fills id from a device certificate; false when it is not one (see identity.c). */
bool pst_cert_identity(X509 *cert, struct pst_identity *id);
/* A serial as id.serial holds it (BN_bn2hex; "?" without memory, cut to
 * len): 0, -ENOMEM, or -ERANGE when it was cut. */
int pst_serial_hex(const ASN1_INTEGER *serial, char *dst, size_t len);

const char *pst_source_name(enum pst_source src);	/* "client", "agent", "mdm", "cert" */
const char *pst_ownership_name(enum conf_ownership o);	/* "corporate", "byod", "unknown" */
bool pst_fact_known(const char *name);

void pst_facts_init(struct pst_facts *fs);
/*
 * Sets (name, source) to value, replacing an earlier value from the same
 * source. Returns 0, -EINVAL for a name or value outside the grammar above,
 * -ENOSPC when the set is full.
 */
int pst_facts_set(struct pst_facts *fs, const char *name, const char *value,
		  enum pst_source src, time_t when);
void pst_facts_del(struct pst_facts *fs, const char *name, enum pst_source src);
/* The value from the highest-ranked source, or NULL. */
const struct pst_fact *pst_facts_get(const struct pst_facts *fs, const char *name);
const struct pst_fact *pst_facts_get_from(const struct pst_facts *fs, const char *name,
					  enum pst_source src);
/* Copies every fact of src from `from` into `to` (replacing). 0 or -ENOSPC. */
int pst_facts_merge(struct pst_facts *to, const struct pst_facts *from, enum pst_source src);

/*
 * The agent's report, the body of POST /+CSCOE+/sdesktop/scan.xml: lines
 * `endpoint.<key>="<value>";` (blank lines allowed, LF or CRLF). Keys that
 * name a known fact set it with source src; other keys (the stock
 * csd-post.sh sends endpoint.device.port["22"]="true"; and
 * endpoint.fw["X"]={}; and such) are skipped. `endpoint.collected-at="EPOCH"`
 * dates every fact of the report: time = min(received, collected-at); without
 * it, time = received. Returns 0, or -EBADMSG with "line N: what" in err for
 * a line of another shape, a known fact with a bad value, or more than
 * PST_FACTS_MAX facts. On error, facts is unchanged.
 */
int pst_report_parse(const char *buf, size_t len, enum pst_source src, time_t received,
		     struct pst_facts *facts, char *err, size_t errlen);
/* Formats facts of src as a report (what the agent posts). Returns the length
 * written (excluding the NUL) or -ENOSPC. */
int pst_report_format(const struct pst_facts *facts, enum pst_source src,
		      char *buf, size_t len);

/*
 * A facts file (POSTERN_FACTS, `check --facts`): lines `name=value`, `#`
 * comments and blank lines. A name may carry the source that stated it,
 * `client:os.name=linux` or `mdm:passcode.set=true` (default: src), so that
 * a decision resting on several sources can be replayed. An empty value removes the fact (so a test can
 * take away a fact the agent collected); `collected-at=EPOCH` dates the
 * facts as in a report. Unknown names are an error here (a typo in a fixture
 * must not pass silently). Returns 0 or -EINVAL with "line N: what" in err.
 */
int pst_facts_file_parse(const char *buf, size_t len, enum pst_source src, time_t now,
			 struct pst_facts *facts, char *err, size_t errlen);

/*
 * What the client's init request says about itself: the <device-id> element
 * of the XML body (text "linux-64", "win", "mac-intel", "android",
 * "apple-ios" -> os.name; attributes platform-version -> os.version,
 * device-type -> device.type, unique-id -> device.unique-id), and the
 * X-AnyConnect-Identifier-Platform, -PlatformVersion, -DeviceType and
 * -Device-UniqueID headers (pst_client_header; other names are ignored).
 * Values outside the fact grammar are skipped, never an error: these are
 * hints from an unauthenticated client. Facts get source PST_SRC_CLIENT.
 */
void pst_client_xml(const char *xml, size_t len, time_t now, struct pst_facts *facts);
void pst_client_header(const char *name, size_t name_len, const char *value, size_t value_len,
		       time_t now, struct pst_facts *facts);

enum pst_verdict { PST_ALLOW, PST_QUARANTINE, PST_DENY };

const char *pst_verdict_name(enum pst_verdict v);	/* "allow", "quarantine", "deny" */

/* Who the device is, from its verified certificate. */
struct pst_subject {
	const char *device_id;
	const char *group;		/* "" when the certificate names none */
	enum conf_ownership ownership;	/* ANY when the certificate says neither */
	/* NULL when an agent report counted; otherwise why none did, in words
	 * ("no posture report was received"). Under a rule whose agent is
	 * required that is a failed check of its own. */
	const char *report_problem;
	/* When the agent's and the client's facts are judged (their ages
	 * against max-report-age); 0 = the decision's now. The gateway passes a
	 * live session's original decision time when it re-evaluates it, so
	 * that a reload does not make every report "too old". MDM facts are
	 * always judged at now, against max-inventory-age. */
	time_t judged_at;
};

/*
 * What kind of check a reason failed: a fixed set, so that counters can be
 * kept by it (postern_quarantines_total{reason}) where the words, which
 * quote the device's own values, could not. A fact missing or too old
 * counts as such, whichever check needed it; a value that is there but
 * fails (or cannot be read) counts under its check.
 */
enum pst_class {
	PST_CLASS_OTHER,		/* "other": the policy cannot be applied */
	PST_CLASS_NO_REPORT,		/* "no_report": the agent is required, no report counted */
	PST_CLASS_NOT_REPORTED,		/* "not_reported": a fact no usable source states */
	PST_CLASS_STALE_REPORT,		/* "stale_report": a device's fact older than its limit */
	PST_CLASS_STALE_MDM,		/* "stale_mdm": the MDM record too old, or no check-in */
	PST_CLASS_DEVICE_ID,		/* "device_id": a reported device.id is another's */
	PST_CLASS_CONTRADICTION,	/* "contradiction": the agent and the MDM disagree */
	PST_CLASS_OS_NOT_ALLOWED,	/* "os_not_allowed": no platform for the os.name */
	PST_CLASS_OS_VERSION,		/* "os_version": below the platform's minimum */
	PST_CLASS_PATCH_LEVEL,		/* "patch_level": older than the platform's minimum */
	PST_CLASS_NOT_ENROLLED,		/* "not_enrolled": require-mdm */
	PST_CLASS_NO_PASSCODE,		/* "no_passcode": require-passcode */
	PST_CLASS_NOT_ENCRYPTED,	/* "not_encrypted": require-disk-encryption */
	PST_CLASS_ROOTED,		/* "rooted": deny-rooted */
	/* Only a deny has these. */
	PST_CLASS_DEVICE_STATUS,	/* "device_status": lost, retired (the MDM) */
	PST_CLASS_DENY_RULE,		/* "deny_rule": the first rule that fits denies */
	PST_CLASS_NO_RULE,		/* "no_rule": no rule fits */
	PST_CLASS_N
};

/* The class's name (in the comments above); "other" when out of range. */
const char *pst_class_name(enum pst_class c);

struct pst_decision {
	enum pst_verdict verdict;
	const struct conf_rule *rule;		/* NULL when no rule matched */
	const struct conf_profile *profile;	/* allow: the rule's; quarantine: the
						 * policy's quarantine profile; deny: NULL */
	char reasons[PST_REASONS_MAX][PST_REASON_MAX];	/* plain words, each says what to do */
	enum pst_class classes[PST_REASONS_MAX];	/* each reason's */
	size_t n_reasons;
};

/* d's reasons joined by "; " into buf, cut to fit len: for one log line. */
void pst_decision_reasons(const struct pst_decision *d, char *buf, size_t len);

/*
 * Whether a device of platform os_name (an os.name value) can be running
 * version text while it connects through a VPN client: text parses and is
 * no lower than the first release of that platform that let an app provide
 * a VPN (android 4.0, ios 4.0, macos 10.0; linux and windows: any version).
 * False for a NULL os_name or text.
 */
bool pst_version_possible(const char *os_name, const char *text);

/*
 * Applies the policy at time now. An mdm device.status of lost or retired
 * (or anything but active) -> deny, before any rule. Otherwise the first
 * rule whose group, ownership and platform list fit decides (the platform
 * list is matched against the best-known os.name, pst_facts_get). A deny
 * rule denies. An allow rule allows when every check holds: with the rule's
 * agent required, an agent report must have counted; a reported device.id
 * equals the certificate's (from every source); no agent fact contradicts
 * the MDM's (mdm.enrolled, passcode.set, os.name, os.version); the
 * platform's minimum version and patch level (for the os.name known; an
 * os.name the policy has no platform for fails); and each require-* key.
 * With trust = mdm the inventory's facts (mdm.enrolled, passcode.set,
 * os.name, os.version) count only from the mdm source. Any failed check (a
 * fact missing, not parsable, or older than its source's limit counts as
 * failed) -> quarantine, one reason per failed check. No rule fits -> deny.
 * An os.version only the client states, which its platform cannot be
 * running (pst_version_possible; openconnect's fixed "1.0" for phones),
 * counts as missing: the reason says where the version must come from (the
 * MDM record, the agent), never to update the OS.
 */
void pst_policy_decide(const struct conf_policy *p, const struct pst_subject *subj,
		       const struct pst_facts *facts, time_t now, struct pst_decision *out);

/*
 * Whether the gateway should send the host-scan challenge: the first rule
 * that fits what is known now (identity, client facts, inventory facts) is
 * an allow rule whose agent is required. No rule fits, a deny rule fits, or
 * the inventory's status denies -> false. No policy -> false.
 */
bool pst_policy_wants_agent(const struct conf_policy *p, const struct pst_subject *subj,
			    const struct pst_facts *facts);

#endif
