/* test_sig.c — minisign-compatible keys, signing (compiler/sig.c) and
 * verification (runtime-min/minisig.c).
 *
 * Signatures and keys are also built here by an independent reference
 * encoder (ref_*), and checked against fixtures made by the real minisign
 * 0.11, so the two halves of polc cannot agree on a private dialect. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "arena.h"
#include "backend.h"
#include "minisig.h"
#include "sig.h"

/* ---- fixtures made by `minisign` 0.11 (throwaway test key) ---------------------- */

static const char MS_PUB[] = "untrusted comment: minisign public key 6579BB5E69111015\n"
                             "RWQVEBFpXrt5ZYb8q8vOWQyrBlvHrItp48SMA5z8ibJIoofGhtYAjypX\n";
/* `minisign -G -W`: unencrypted, all-zero checksum. */
static const char MS_KEY[] =
        "untrusted comment: minisign encrypted secret key\n"
        "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAFRARaV67eWUT"
        "A9sCOCQjHQ/+1S5iSduWyL60WE9jLC09peWGZVR4S4b8q8vOWQyrBlvHrItp48SMA5z8ibJIoofGhtYAjypX"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
static const char MS_MSG[] = "hello\n";
/* `minisign -S -t "fixture prehashed" -m h` */
static const char MS_SIG[] =
        "untrusted comment: signature from minisign secret key\n"
        "RUQVEBFpXrt5ZZbbSqFpvpuMD6wYYas2tVWsh0A4spBY5SyBw+wA7Ax8SOGto9agUaCC2yFnenup978R6Q6DGL9L"
        "NGhPr1RkwAk=\n"
        "trusted comment: fixture prehashed\n"
        "K8p2NRn+CP103v6niT23RDiGdxANyD02vvE4Ds/ZkTwT2LRfVoF9dJPZkmNnXvc7H28aDJ3NadvzFfV3UAsvDw==\n";
/* `minisign -S -l -t "fixture legacy" -m h` */
static const char MS_SIG_LEGACY[] =
        "untrusted comment: signature from minisign secret key\n"
        "RWQVEBFpXrt5ZaZqc0aHDmxdqMAEuZ3Z890pTkDmt+GuSdXhXXvtLeqc6gTHCZ+61Ti/xvq+CmMOwEWqGyYsW7rH"
        "s788HNZtVgQ=\n"
        "trusted comment: fixture legacy\n"
        "DNTRVlg1Yk2xRwE/rZXCeC4lyBDcxG3r0VSNngLwUWB+VR/Mf+oAQLc9XEEeC8dTX5aJ7hkNf/jKLnSDw6AVDA==\n";

/* ---- helpers ---------------------------------------------------------------------- */

static char dir[64];

static void mkdir_tmp(void)
{
	strcpy(dir, "/tmp/polc-test-sig.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes the test folder (flat: tests create no subfolders). */
static void rm_tmp(void)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char p[512];
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static const char *path(const char *name)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

static void write_file(const char *p, const void *data, size_t n, mode_t mode)
{
	unlink(p);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static char *slurp(const char *p, size_t *len)
{
	int fd = open(p, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	struct stat st;
	ck_assert_int_eq(fstat(fd, &st), 0);
	char *b = malloc((size_t)st.st_size + 1);
	ck_assert_int_eq(read(fd, b, (size_t)st.st_size), st.st_size);
	b[st.st_size] = '\0';
	close(fd);
	if (len)
		*len = (size_t)st.st_size;
	return b;
}

static mode_t mode_of(const char *p)
{
	struct stat st;
	ck_assert_int_eq(stat(p, &st), 0);
	return st.st_mode & 07777;
}

/* Verifies; returns 0/-1, the trusted comment in tc and the reason in err. */
static char tc[MINISIG_TC_MAX + 1], err[512];
static int verify(const void *msg, size_t len, const char *sig, size_t siglen, const char *pk)
{
	tc[0] = err[0] = '\0';
	return minisig_verify(msg, len, sig, siglen, pk, strlen(pk), tc, sizeof(tc), err,
	                      sizeof(err));
}

/* ---- reference encoder ---------------------------------------------------------------- */

struct refkey {
	uint8_t id[8], pk[32], sk[64];
};

static void ref_key(struct refkey *k)
{
	randombytes_buf(k->id, sizeof(k->id));
	crypto_sign_keypair(k->pk, k->sk);
}

static void b64(struct buf *o, const uint8_t *p, size_t n)
{
	char s[512];
	sodium_bin2base64(s, sizeof(s), p, n, sodium_base64_VARIANT_ORIGINAL);
	buf_bytes(o, s, strlen(s));
	buf_u8(o, '\n');
}

static char *ref_pub(const struct refkey *k)
{
	struct buf o = {0};
	uint8_t blob[42];
	memcpy(blob, "Ed", 2);
	memcpy(blob + 2, k->id, 8);
	memcpy(blob + 10, k->pk, 32);
	buf_bytes(&o, "untrusted comment: ref\n", 23);
	b64(&o, blob, sizeof(blob));
	buf_u8(&o, 0);
	return (char *)o.p;
}

/* A .minisig text; legacy = "Ed" (raw message signed). */
static char *ref_sig(const struct refkey *k, const void *msg, size_t len, const char *tcom,
                     int legacy, const char *ucom)
{
	uint8_t blob[74], h[64], global[64];
	memcpy(blob, legacy ? "Ed" : "ED", 2);
	memcpy(blob + 2, k->id, 8);
	if (legacy)
		crypto_sign_detached(blob + 10, NULL, msg, len, k->sk);
	else {
		crypto_generichash(h, 64, msg, len, NULL, 0);
		crypto_sign_detached(blob + 10, NULL, h, 64, k->sk);
	}
	size_t tl = strlen(tcom);
	uint8_t *gm = malloc(64 + tl);
	memcpy(gm, blob + 10, 64);
	memcpy(gm + 64, tcom, tl);
	crypto_sign_detached(global, NULL, gm, 64 + tl, k->sk);
	free(gm);
	struct buf o = {0};
	buf_bytes(&o, "untrusted comment: ", 19);
	buf_bytes(&o, ucom, strlen(ucom));
	buf_u8(&o, '\n');
	b64(&o, blob, sizeof(blob));
	buf_bytes(&o, "trusted comment: ", 17);
	buf_bytes(&o, tcom, tl);
	buf_u8(&o, '\n');
	b64(&o, global, sizeof(global));
	buf_u8(&o, 0);
	return (char *)o.p;
}

struct refsk {
	char kdf[2], chk[2], alg[2];
	uint64_t ops, mem;
	int zero_checksum, bad_checksum;
	const char *pw;
};

/* A secret key file text, encrypted when o->pw is set. */
static char *ref_sec(const struct refkey *k, const struct refsk *o)
{
	uint8_t blob[158] = {0};
	memcpy(blob, o->alg[0] ? o->alg : "Ed", 2);
	memcpy(blob + 2, o->pw ? "Sc" : o->kdf[0] ? o->kdf : "\0\0", 2);
	memcpy(blob + 4, o->chk[0] ? o->chk : "B2", 2);
	for (int i = 0; i < 8; i++) {
		blob[38 + i] = (uint8_t)(o->ops >> (8 * i));
		blob[46 + i] = (uint8_t)(o->mem >> (8 * i));
	}
	memcpy(blob + 54, k->id, 8);
	memcpy(blob + 62, k->sk, 64);
	if (!o->zero_checksum) {
		crypto_generichash_state st;
		crypto_generichash_init(&st, NULL, 0, 32);
		crypto_generichash_update(&st, (const uint8_t *)"Ed", 2);
		crypto_generichash_update(&st, k->id, 8);
		crypto_generichash_update(&st, k->sk, 64);
		crypto_generichash_final(&st, blob + 126, 32);
	}
	if (o->bad_checksum)
		blob[130] ^= 0x10;
	if (o->pw) {
		uint8_t stream[104];
		randombytes_buf(blob + 6, 32);
		ck_assert_int_eq(crypto_pwhash_scryptsalsa208sha256(stream, sizeof(stream), o->pw,
		                                                    strlen(o->pw), blob + 6, o->ops,
		                                                    o->mem),
		                 0);
		for (int i = 0; i < 104; i++)
			blob[54 + i] ^= stream[i];
	}
	struct buf b = {0};
	buf_bytes(&b, "untrusted comment: ref secret key\n", 34);
	b64(&b, blob, sizeof(blob));
	buf_u8(&b, 0);
	return (char *)b.p;
}

static int sign_file(const char *skpath, const void *msg, size_t len, const char *tcom,
                     struct buf *out)
{
	err[0] = '\0';
	return sig_sign(msg, len, skpath, tcom, out, err, sizeof(err));
}

/* ---- minisign fixtures ----------------------------------------------------------------- */

START_TEST(minisign_fixtures)
{
	ck_assert_msg(verify(MS_MSG, 6, MS_SIG, strlen(MS_SIG), MS_PUB) == 0, "%s", err);
	ck_assert_str_eq(tc, "fixture prehashed");
	ck_assert_msg(verify(MS_MSG, 6, MS_SIG_LEGACY, strlen(MS_SIG_LEGACY), MS_PUB) == 0, "%s",
	              err);
	ck_assert_str_eq(tc, "fixture legacy");
	ck_assert_int_eq(verify("hello!", 6, MS_SIG, strlen(MS_SIG), MS_PUB), -1);
	ck_assert_int_eq(verify("hello!", 6, MS_SIG_LEGACY, strlen(MS_SIG_LEGACY), MS_PUB), -1);

	struct minisig_pk pk;
	ck_assert_int_eq(minisig_pk_parse(&pk, MS_PUB, strlen(MS_PUB), err, sizeof(err)), 0);
	char id[MINISIG_KEYID_STR];
	minisig_key_id_str(pk.key_id, id);
	ck_assert_str_eq(id, "6579BB5E69111015"); /* as minisign prints it */

	/* polc signs with minisign's unencrypted key (zero checksum) */
	mkdir_tmp();
	write_file(path("ms.key"), MS_KEY, strlen(MS_KEY), 0600);
	struct buf s = {0};
	ck_assert_msg(sign_file(path("ms.key"), "abc", 3, "from polc", &s) == 0, "%s", err);
	ck_assert_msg(verify("abc", 3, (char *)s.p, s.len, MS_PUB) == 0, "%s", err);
	ck_assert_str_eq(tc, "from polc");
	buf_free(&s);
	rm_tmp();
}
END_TEST

/* sig_sign's output is byte for byte what the reference encoder makes. */
START_TEST(sign_matches_reference)
{
	mkdir_tmp();
	struct refkey k;
	ref_key(&k);
	struct refsk o = {0};
	char *sk = ref_sec(&k, &o), *pub = ref_pub(&k);
	write_file(path("k"), sk, strlen(sk), 0600);
	const char msg[] = "some artifact bytes\n";
	struct buf s = {0};
	ck_assert_msg(sign_file(path("k"), msg, sizeof(msg) - 1, "file:x", &s) == 0, "%s", err);
	char *want = ref_sig(&k, msg, sizeof(msg) - 1, "file:x", 0, "signature from polc secret key");
	ck_assert_uint_eq(s.len, strlen(want));
	ck_assert(memcmp(s.p, want, s.len) == 0);
	/* deterministic: the same input gives the same signature */
	struct buf s2 = {0};
	ck_assert_int_eq(sign_file(path("k"), msg, sizeof(msg) - 1, "file:x", &s2), 0);
	ck_assert(s2.len == s.len && memcmp(s2.p, s.p, s.len) == 0);
	ck_assert_msg(verify(msg, sizeof(msg) - 1, (char *)s.p, s.len, pub) == 0, "%s", err);
	/* an empty message signs and verifies too */
	buf_free(&s2);
	ck_assert_int_eq(sign_file(path("k"), NULL, 0, "", &s2), 0);
	ck_assert_msg(verify(NULL, 0, (char *)s2.p, s2.len, pub) == 0, "%s", err);
	ck_assert_str_eq(tc, "");
	ck_assert_int_eq(verify("x", 1, (char *)s2.p, s2.len, pub), -1);
	free(want);
	free(sk);
	free(pub);
	buf_free(&s);
	buf_free(&s2);
	rm_tmp();
}
END_TEST

/* ---- tampering ------------------------------------------------------------------------- */

static const uint8_t flips[] = {0x01, 0x02, 0x20, 0x80, 0xff};

/* Flips every byte of msg and of the signature text: each must be
 * rejected, except inside the untrusted comment, which minisign leaves
 * unsigned by design: there a flip may only leave the result unchanged. */
static void tamper_all(uint8_t *msg, size_t len, char *sig, size_t siglen, const char *pub,
                       const char *want_tc)
{
	for (size_t i = 0; i < len; i++)
		for (size_t f = 0; f < sizeof(flips); f++) {
			msg[i] ^= flips[f];
			ck_assert_msg(verify(msg, len, sig, siglen, pub) == -1,
			              "file flip 0x%02x at %zu accepted", flips[f], i);
			msg[i] ^= flips[f];
		}
	const char *nl = strchr(sig, '\n');
	size_t ucom_from = strlen(MINISIG_UNTRUSTED_PREFIX), ucom_to = (size_t)(nl - sig);
	int rejected = 0;
	for (size_t i = 0; i < siglen; i++)
		for (size_t f = 0; f < sizeof(flips); f++) {
			sig[i] ^= (char)flips[f];
			int rc = verify(msg, len, sig, siglen, pub);
			if (i >= ucom_from && i < ucom_to && rc == 0)
				ck_assert_str_eq(tc, want_tc);
			else
				ck_assert_msg(rc == -1, "signature flip 0x%02x at %zu accepted", flips[f], i);
			rejected += rc == -1;
			sig[i] ^= (char)flips[f];
		}
	ck_assert_int_ge(rejected, (int)((siglen - (ucom_to - ucom_from)) * sizeof(flips)));
	ck_assert_msg(verify(msg, len, sig, siglen, pub) == 0, "%s", err);
	ck_assert_str_eq(tc, want_tc);
}

START_TEST(tamper_small_file)
{
	mkdir_tmp();
	ck_assert_int_eq(sig_keygen(path("p"), path("s"), false, err, sizeof(err)), 0);
	char *pub = slurp(path("p"), NULL);
	uint8_t msg[] = "tiny signed file\n";
	struct buf s = {0};
	ck_assert_msg(sign_file(path("s"), msg, sizeof(msg) - 1, "file:tiny", &s) == 0, "%s", err);
	buf_u8(&s, 0);
	tamper_all(msg, sizeof(msg) - 1, (char *)s.p, s.len - 1, pub, "file:tiny");
	free(pub);
	buf_free(&s);
	rm_tmp();
}
END_TEST

static void compiled(struct buf *out, const char *name)
{
	struct arena *a = arena_new();
	struct ir_policy *p = ir_policy_new(a);
	struct diag_sink *d = diag_sink_new(a);
	p->name = name;
	p->fs.present = true;
	struct ir_fs_rule *f = ARENA_PUSH(a, p->fs.rules, p->fs.nrules, p->fs.caprules);
	f->path = "/usr";
	f->access = IR_FS_READ;
	f = ARENA_PUSH(a, p->fs.rules, p->fs.nrules, p->fs.caprules);
	f->path = "/workspace";
	f->access = IR_FS_WRITE;
	ir_finalize(p, d);
	ck_assert_int_eq(polc_compile(p, d, out), 0);
	arena_free(a);
}

static char *artifact_comment(const struct buf *art, const char *name)
{
	uint8_t h[32];
	char hex[65], *s;
	crypto_hash_sha256(h, art->p, art->len);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	ck_assert_int_ge(asprintf(&s, "polc-artifact sha256:%s name:%s", hex, name), 0);
	return s;
}

START_TEST(tamper_artifact)
{
	mkdir_tmp();
	ck_assert_int_eq(sig_keygen(path("p"), path("s"), false, err, sizeof(err)), 0);
	char *pub = slurp(path("p"), NULL);
	struct buf art = {0}, other = {0}, s = {0};
	compiled(&art, "signed");
	compiled(&other, "other");
	char *c = artifact_comment(&art, "signed");
	ck_assert_msg(sign_file(path("s"), art.p, art.len, c, &s) == 0, "%s", err);
	buf_u8(&s, 0);
	ck_assert_msg(verify(art.p, art.len, (char *)s.p, s.len - 1, pub) == 0, "%s", err);
	ck_assert_str_eq(tc, c);
	ck_assert_int_eq(minisig_check_artifact_comment(tc, art.p, art.len, err, sizeof(err)), 1);
	/* the comment names this artifact, not another one */
	ck_assert_int_eq(minisig_check_artifact_comment(tc, other.p, other.len, err, sizeof(err)),
	                 -1);
	ck_assert_ptr_nonnull(strstr(err, "sha256"));
	tamper_all(art.p, art.len, (char *)s.p, s.len - 1, pub, c);
	free(c);
	free(pub);
	buf_free(&art);
	buf_free(&other);
	buf_free(&s);
	rm_tmp();
}
END_TEST

START_TEST(artifact_comment_forms)
{
	const uint8_t m[] = "x";
	uint8_t h[32];
	char hex[65], good[200];
	crypto_hash_sha256(h, m, 1);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	snprintf(good, sizeof(good), "polc-artifact sha256:%s name:p", hex);
	ck_assert_int_eq(minisig_check_artifact_comment(good, m, 1, err, sizeof(err)), 1);
	snprintf(good, sizeof(good), "polc-artifact sha256:%s", hex);
	ck_assert_int_eq(minisig_check_artifact_comment(good, m, 1, err, sizeof(err)), 1);
	/* not of the form: nothing to check */
	ck_assert_int_eq(minisig_check_artifact_comment("file:x", m, 1, err, sizeof(err)), 0);
	ck_assert_int_eq(minisig_check_artifact_comment("polc-artifacts", m, 1, err, sizeof(err)),
	                 0);
	ck_assert_int_eq(minisig_check_artifact_comment("", m, 1, err, sizeof(err)), 0);
	/* of the form but malformed or wrong: refused */
	char bad[200];
	const char *forms[] = {"polc-artifact", "polc-artifact name:p", "polc-artifact sha256:",
	                       "polc-artifact sha256:abc", "polc-artifact  sha256:%s"};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(bad, sizeof(bad), forms[i], hex);
		ck_assert_msg(minisig_check_artifact_comment(bad, m, 1, err, sizeof(err)) == -1,
		              "'%s' accepted", bad);
	}
	for (int i = 0; i < 64; i++) {
		snprintf(bad, sizeof(bad), "polc-artifact sha256:%s", hex);
		char *d = bad + 21 + i;
		*d = *d == '0' ? '1' : '0';
		ck_assert_int_eq(minisig_check_artifact_comment(bad, m, 1, err, sizeof(err)), -1);
		snprintf(bad, sizeof(bad), "polc-artifact sha256:%s", hex);
		if (*d >= 'a' && *d <= 'f') { /* upper case is not what polc writes */
			*d = (char)(*d - 32);
			ck_assert_int_eq(minisig_check_artifact_comment(bad, m, 1, err, sizeof(err)), -1);
		}
	}
	snprintf(bad, sizeof(bad), "polc-artifact sha256:%sX", hex); /* 65th character */
	ck_assert_int_eq(minisig_check_artifact_comment(bad, m, 1, err, sizeof(err)), -1);
}
END_TEST

/* ---- keys ------------------------------------------------------------------------------ */

START_TEST(wrong_key)
{
	struct refkey k, k2;
	ref_key(&k);
	ref_key(&k2);
	char *pub2 = ref_pub(&k2);
	char *s = ref_sig(&k, "m", 1, "t", 0, "u");
	ck_assert_int_eq(verify("m", 1, s, strlen(s), pub2), -1);
	ck_assert_ptr_nonnull(strstr(err, "signed by key"));
	/* same key id, another key: the signature itself must fail */
	memcpy(k2.id, k.id, 8);
	free(pub2);
	pub2 = ref_pub(&k2);
	ck_assert_int_eq(verify("m", 1, s, strlen(s), pub2), -1);
	ck_assert_ptr_nonnull(strstr(err, "does not match"));
	/* the right key, a signature by a key claiming its id: refused */
	char *pub = ref_pub(&k);
	char *s2 = ref_sig(&k2, "m", 1, "t", 0, "u");
	ck_assert_int_eq(verify("m", 1, s2, strlen(s2), pub), -1);
	ck_assert_int_eq(verify("m", 1, s, strlen(s), pub), 0);
	free(pub);
	free(pub2);
	free(s);
	free(s2);
}
END_TEST

START_TEST(legacy_and_algorithms)
{
	struct refkey k;
	ref_key(&k);
	char *pub = ref_pub(&k);
	char *s = ref_sig(&k, "legacy", 6, "old", 1, "u");
	ck_assert_msg(verify("legacy", 6, s, strlen(s), pub) == 0, "%s", err);
	ck_assert_str_eq(tc, "old");
	ck_assert_int_eq(verify("legacY", 6, s, strlen(s), pub), -1);
	free(s);
	/* a legacy signature presented as prehashed (and back) fails */
	struct minisig_sig ps;
	struct minisig_pk pk;
	s = ref_sig(&k, "m", 1, "t", 1, "u");
	ck_assert_int_eq(minisig_pk_parse(&pk, pub, strlen(pub), err, sizeof(err)), 0);
	ck_assert_int_eq(minisig_sig_parse(&ps, s, strlen(s), err, sizeof(err)), 0);
	ck_assert_int_eq(ps.prehashed, 0);
	ps.prehashed = 1;
	ck_assert_int_eq(minisig_verify_parsed(&ps, &pk, (const uint8_t *)"m", 1, err, sizeof(err)),
	                 -1);
	free(s);

	/* unknown algorithms, in the signature and in the key */
	struct buf o = {0};
	uint8_t blob[74] = {'E', 'X'};
	buf_bytes(&o, "untrusted comment: x\n", 21);
	b64(&o, blob, sizeof(blob));
	buf_bytes(&o, "trusted comment: t\n", 19);
	b64(&o, blob, 64);
	ck_assert_int_eq(verify("m", 1, (char *)o.p, o.len, pub), -1);
	ck_assert_ptr_nonnull(strstr(err, "algorithm"));
	buf_free(&o);
	uint8_t pblob[42] = {'E', 'D'};
	buf_bytes(&o, "untrusted comment: x\n", 21);
	b64(&o, pblob, sizeof(pblob));
	ck_assert_int_eq(minisig_pk_parse(&pk, (char *)o.p, o.len, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "algorithm"));
	buf_free(&o);
	free(pub);
}
END_TEST

/* Replaces the first occurrence of a in s (a malloc'd string) by b. */
static char *subst(const char *s, const char *a, const char *b)
{
	const char *at = strstr(s, a);
	ck_assert_ptr_nonnull(at);
	char *r;
	ck_assert_int_ge(asprintf(&r, "%.*s%s%s", (int)(at - s), s, b, at + strlen(a)), 0);
	return r;
}

START_TEST(strict_structure)
{
	struct refkey k;
	ref_key(&k);
	char *pub = ref_pub(&k);
	char *s = ref_sig(&k, "m", 1, "comment", 0, "u c");
	size_t n = strlen(s);
	ck_assert_int_eq(verify("m", 1, s, n, pub), 0);

	/* tolerated: no final newline, CRLF line ends (as minisign does) */
	ck_assert_msg(verify("m", 1, s, n - 1, pub) == 0, "%s", err);
	char *crlf = malloc(2 * n + 1), *w = crlf;
	for (const char *r = s; *r; r++) {
		if (*r == '\n')
			*w++ = '\r';
		*w++ = *r;
	}
	*w = '\0';
	ck_assert_msg(verify("m", 1, crlf, strlen(crlf), pub) == 0, "%s", err);
	ck_assert_str_eq(tc, "comment");
	free(crlf);

	/* every truncation but the final newline's */
	for (size_t i = 0; i < n - 1; i++)
		ck_assert_msg(verify("m", 1, s, i, pub) == -1, "truncation at %zu accepted", i);
	size_t pn = strlen(pub);
	struct minisig_pk pk;
	for (size_t i = 0; i < pn - 1; i++)
		ck_assert_int_eq(minisig_pk_parse(&pk, pub, i, err, sizeof(err)), -1);
	ck_assert_int_eq(minisig_pk_parse(&pk, pub, pn - 1, err, sizeof(err)), 0);

	/* rejected: anything more, NULs, stray CRs, whitespace, other prefixes */
	const char *const extra[] = {"\n", "x", "\n\n", "trusted comment: again\n", " "};
	for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]); i++) {
		char *t;
		ck_assert_int_ge(asprintf(&t, "%s%s", s, extra[i]), 0);
		ck_assert_msg(verify("m", 1, t, strlen(t), pub) == -1, "extra %zu accepted", i);
		free(t);
		ck_assert_int_ge(asprintf(&t, "%s%s", pub, extra[i]), 0);
		ck_assert_msg(minisig_pk_parse(&pk, t, strlen(t), err, sizeof(err)) == -1,
		              "pk extra %zu accepted", i);
		free(t);
	}
	const struct {
		const char *a, *b;
	} edits[] = {
	        {"untrusted comment: ", "Untrusted comment: "},
	        {"untrusted comment: ", " untrusted comment: "},
	        {"untrusted comment: ", "untrusted comment:"},
	        {"trusted comment: comment", "trusted comment:comment"},
	        {"trusted comment: comment", "trusted  comment: comment"},
	        {"trusted comment: comment", "trusted comment: com\rment"}, /* CR inside */
	        {"\ntrusted comment", "\n\ntrusted comment"},
	        {"u c\n", "u\rc\n"},
	        {"u c\n", "u c\n\n"},
	        {"\nR", "\n R"},
	        {"\nR", "\n\tR"},
	        {"=\n", "= \n"},
	        {"=\n", "\n"},
	        {"=\n", "==\n"},
	};
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		char *t = subst(s, edits[i].a, edits[i].b);
		ck_assert_msg(verify("m", 1, t, strlen(t), pub) == -1, "edit %zu accepted", i);
		free(t);
	}
	char *nul = strdup(s);
	nul[5] = '\0';
	ck_assert_int_eq(verify("m", 1, nul, n, pub), -1);
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	nul[5] = s[5];
	nul[n - 1] = '\0'; /* a trailing NUL counted in the length */
	ck_assert_int_eq(verify("m", 1, nul, n, pub), -1);
	free(nul);
	ck_assert_int_eq(verify("m", 1, s, 0, pub), -1);
	ck_assert_int_eq(verify("m", 1, NULL, 0, pub), -1);
	ck_assert_int_eq(minisig_verify((const uint8_t *)"m", 1, s, n, pub, 0, tc, sizeof(tc), err,
	                                sizeof(err)),
	                 -1);

	/* non-canonical base64: the same bytes with non-zero unused bits.  The
	 * 74-byte blob ends in "X=" where X carries 2 unused low bits. */
	const char *l2 = strchr(s, '\n') + 1;
	const char *eq = strchr(l2, '=');
	char *nc = strdup(s);
	char *x = nc + (eq - s) - 1;
	const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	int v = (int)(strchr(alpha, *x) - alpha);
	ck_assert_int_eq(v & 3, 0);
	*x = alpha[v | 1];
	ck_assert_int_eq(verify("m", 1, nc, n, pub), -1);
	free(nc);
	free(s);
	free(pub);
}
END_TEST

START_TEST(size_limits)
{
	struct refkey k;
	ref_key(&k);
	char *pub = ref_pub(&k);
	char *big = malloc(MINISIG_TC_MAX + 2);
	memset(big, 'c', MINISIG_TC_MAX + 1);
	big[MINISIG_TC_MAX] = '\0';
	/* the longest trusted comment verifies, and needs all of tc */
	char *s = ref_sig(&k, "m", 1, big, 0, "u");
	ck_assert_msg(verify("m", 1, s, strlen(s), pub) == 0, "%s", err);
	ck_assert_uint_eq(strlen(tc), MINISIG_TC_MAX);
	char small[MINISIG_TC_MAX];
	ck_assert_int_eq(minisig_verify((const uint8_t *)"m", 1, s, strlen(s), pub, strlen(pub),
	                                small, sizeof(small), err, sizeof(err)),
	                 -1); /* never truncated */
	free(s);
	big[MINISIG_TC_MAX] = 'c';
	big[MINISIG_TC_MAX + 1] = '\0';
	s = ref_sig(&k, "m", 1, big, 0, "u"); /* validly signed, but over the limit */
	ck_assert_int_eq(verify("m", 1, s, strlen(s), pub), -1);
	ck_assert_ptr_nonnull(strstr(err, "too long"));
	free(s);
	/* the untrusted comment is bounded too */
	char *ucom = malloc(MINISIG_COMMENT_MAX + 2);
	memset(ucom, 'u', MINISIG_COMMENT_MAX + 1);
	ucom[MINISIG_COMMENT_MAX] = '\0';
	s = ref_sig(&k, "m", 1, "t", 0, ucom);
	ck_assert_msg(verify("m", 1, s, strlen(s), pub) == 0, "%s", err);
	free(s);
	ucom[MINISIG_COMMENT_MAX] = 'u';
	ucom[MINISIG_COMMENT_MAX + 1] = '\0';
	s = ref_sig(&k, "m", 1, "t", 0, ucom);
	ck_assert_int_eq(verify("m", 1, s, strlen(s), pub), -1);
	free(s);
	free(ucom);
	/* whole texts over MINISIG_TEXT_MAX are refused before parsing */
	char *huge = malloc(MINISIG_TEXT_MAX + 2);
	memset(huge, 'a', MINISIG_TEXT_MAX + 1);
	huge[MINISIG_TEXT_MAX + 1] = '\0';
	ck_assert_int_eq(verify("m", 1, huge, MINISIG_TEXT_MAX + 1, pub), -1);
	ck_assert_ptr_nonnull(strstr(err, "too large"));
	free(huge);

	/* signing refuses what it could not verify */
	mkdir_tmp();
	struct refsk o = {0};
	char *sk = ref_sec(&k, &o);
	write_file(path("k"), sk, strlen(sk), 0600);
	struct buf out = {0};
	ck_assert_int_eq(sign_file(path("k"), "m", 1, big, &out), -1);
	big[MINISIG_TC_MAX] = '\0';
	ck_assert_msg(sign_file(path("k"), "m", 1, big, &out) == 0, "%s", err);
	ck_assert_msg(verify("m", 1, (char *)out.p, out.len, pub) == 0, "%s", err);
	buf_free(&out);
	ck_assert_int_eq(sign_file(path("k"), "m", 1, "two\nlines", &out), -1);
	ck_assert_int_eq(sign_file(path("k"), "m", 1, "cr\r", &out), -1);
	ck_assert_uint_eq(out.len, 0);
	free(sk);
	free(big);
	free(pub);
	rm_tmp();
}
END_TEST

START_TEST(keygen_files)
{
	mkdir_tmp();
	umask(0);
	ck_assert_msg(sig_keygen(path("a.pub"), path("a.key"), false, err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_uint_eq(mode_of(path("a.key")), 0600);
	ck_assert_uint_eq(mode_of(path("a.pub")), 0644);
	umask(077);
	ck_assert_msg(sig_keygen(path("b.pub"), path("b.key"), false, err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_uint_eq(mode_of(path("b.pub")), 0644);
	ck_assert_uint_eq(mode_of(path("b.key")), 0600);
	umask(022);

	size_t n;
	char *pub = slurp(path("a.pub"), &n);
	struct minisig_pk pk;
	ck_assert_int_eq(minisig_pk_parse(&pk, pub, n, err, sizeof(err)), 0);
	char id[MINISIG_KEYID_STR];
	minisig_key_id_str(pk.key_id, id);
	ck_assert_ptr_nonnull(strstr(pub, id)); /* the comment names the key id */
	char *sk = slurp(path("a.key"), &n);
	ck_assert_ptr_nonnull(strstr(sk, id));
	/* the secret key has the real checksum, unencrypted */
	uint8_t blob[158];
	size_t got;
	const char *l2 = strchr(sk, '\n') + 1;
	ck_assert_int_eq(sodium_base642bin(blob, sizeof(blob), l2, strlen(l2) - 1, NULL, &got, NULL,
	                                   sodium_base64_VARIANT_ORIGINAL),
	                 0);
	ck_assert_uint_eq(got, 158);
	ck_assert(memcmp(blob, "Ed\0\0B2", 6) == 0);
	ck_assert(memcmp(blob + 54, pk.key_id, 8) == 0);
	ck_assert(memcmp(blob + 62 + 32, pk.pk, 32) == 0);
	uint8_t zero[32] = {0};
	ck_assert(memcmp(blob + 126, zero, 32) != 0);

	/* two key pairs differ */
	char *pub2 = slurp(path("b.pub"), NULL);
	ck_assert_str_ne(pub, pub2);
	struct buf s = {0};
	ck_assert_int_eq(sign_file(path("a.key"), "x", 1, "t", &s), 0);
	ck_assert_int_eq(verify("x", 1, (char *)s.p, s.len, pub), 0);
	ck_assert_int_eq(verify("x", 1, (char *)s.p, s.len, pub2), -1);
	free(pub);
	free(pub2);
	free(sk);
	buf_free(&s);
	rm_tmp();
}
END_TEST

START_TEST(keygen_no_overwrite)
{
	mkdir_tmp();
	ck_assert_int_eq(sig_keygen(path("p"), path("s"), false, err, sizeof(err)), 0);
	char *p0 = slurp(path("p"), NULL), *s0 = slurp(path("s"), NULL);
	ck_assert_int_eq(sig_keygen(path("p"), path("s"), false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "exists"));
	/* only one of them exists: nothing is created */
	ck_assert_int_eq(sig_keygen(path("p"), path("s2"), false, err, sizeof(err)), -1);
	ck_assert_int_eq(access(path("s2"), F_OK), -1);
	ck_assert_int_eq(sig_keygen(path("p2"), path("s"), false, err, sizeof(err)), -1);
	ck_assert_int_eq(access(path("p2"), F_OK), -1);
	char *p1 = slurp(path("p"), NULL), *s1 = slurp(path("s"), NULL);
	ck_assert_str_eq(p0, p1);
	ck_assert_str_eq(s0, s1);
	free(p1);
	free(s1);
	/* a dangling symlink is not followed */
	ck_assert_int_eq(symlink(path("target"), path("link")), 0);
	ck_assert_int_eq(sig_keygen(path("p3"), path("link"), false, err, sizeof(err)), -1);
	ck_assert_int_eq(access(path("target"), F_OK), -1);
	ck_assert_int_eq(access(path("p3"), F_OK), -1);
	ck_assert_int_eq(sig_keygen(path("same"), path("same"), false, err, sizeof(err)), -1);
	/* --force replaces both, atomically, with the right modes */
	chmod(path("p"), 0600);
	ck_assert_msg(sig_keygen_flags(path("p"), path("s"), SIG_KEYGEN_FORCE, err, sizeof(err)) == 0,
	              "%s", err);
	p1 = slurp(path("p"), NULL);
	s1 = slurp(path("s"), NULL);
	ck_assert_str_ne(p0, p1);
	ck_assert_str_ne(s0, s1);
	ck_assert_uint_eq(mode_of(path("p")), 0644);
	ck_assert_uint_eq(mode_of(path("s")), 0600);
	/* --force through a symlink replaces the link, never writes its target */
	ck_assert_msg(sig_keygen_flags(path("p4"), path("link"), SIG_KEYGEN_FORCE, err,
	                               sizeof(err)) == 0,
	              "%s", err);
	ck_assert_int_eq(access(path("target"), F_OK), -1);
	struct stat st;
	ck_assert_int_eq(lstat(path("link"), &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	free(p0);
	free(s0);
	free(p1);
	free(s1);
	rm_tmp();
}
END_TEST

START_TEST(seckey_permissions)
{
	mkdir_tmp();
	ck_assert_int_eq(sig_keygen(path("p"), path("s"), false, err, sizeof(err)), 0);
	char *pub = slurp(path("p"), NULL);
	struct buf out = {0};
	static const mode_t bad[] = {0644, 0640, 0604, 0620, 0602, 0660, 0601, 0610, 0777};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(chmod(path("s"), bad[i]), 0);
		ck_assert_msg(sign_file(path("s"), "m", 1, "t", &out) == -1, "mode %o accepted",
		              bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "group or others"));
		ck_assert_uint_eq(out.len, 0);
	}
	static const mode_t good[] = {0600, 0400, 0700};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_int_eq(chmod(path("s"), good[i]), 0);
		ck_assert_msg(sign_file(path("s"), "m", 1, "t", &out) == 0, "mode %o: %s", good[i],
		              err);
		ck_assert_int_eq(verify("m", 1, (char *)out.p, out.len, pub), 0);
		buf_free(&out);
	}
	/* the mode checked is the file's read (a symlink's own mode is 0777) */
	ck_assert_int_eq(chmod(path("s"), 0600), 0);
	ck_assert_int_eq(symlink(path("s"), path("ln")), 0);
	ck_assert_msg(sign_file(path("ln"), "m", 1, "t", &out) == 0, "%s", err);
	buf_free(&out);
	ck_assert_int_eq(chmod(path("s"), 0640), 0);
	ck_assert_int_eq(sign_file(path("ln"), "m", 1, "t", &out), -1);
	/* not a regular file (a FIFO must not block), missing */
	ck_assert_int_eq(mkfifo(path("fifo"), 0600), 0);
	ck_assert_int_eq(sign_file(path("fifo"), "m", 1, "t", &out), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	ck_assert_int_eq(sign_file(dir, "m", 1, "t", &out), -1);
	ck_assert_int_eq(sign_file(path("missing"), "m", 1, "t", &out), -1);
	ck_assert_uint_eq(out.len, 0);
	free(pub);
	rm_tmp();
}
END_TEST

START_TEST(seckey_formats)
{
	mkdir_tmp();
	struct refkey k;
	ref_key(&k);
	char *pub = ref_pub(&k);
	struct buf out = {0};
	const struct {
		struct refsk o;
		int ok;
		const char *why;
	} cases[] = {
	        {{.zero_checksum = 1}, 1, NULL}, /* as `minisign -G -W` writes it */
	        {{.ops = 0}, 1, NULL},
	        {{.bad_checksum = 1}, 0, "checksum"},
	        {{.kdf = "XY"}, 0, "encryption"},
	        {{.kdf = "Sc", .ops = 1ull << 40, .mem = 1ull << 24}, 0, "out of range"},
	        {{.kdf = "Sc", .ops = 1ull << 20, .mem = 1ull << 40}, 0, "out of range"},
	        {{.kdf = "Sc", .ops = 1, .mem = 1}, 0, "out of range"},
	        {{.chk = "B3"}, 0, "algorithm"},
	        {{.alg = "ED"}, 0, "algorithm"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *sk = ref_sec(&k, &cases[i].o);
		write_file(path("k"), sk, strlen(sk), 0600);
		int rc = sign_file(path("k"), "m", 1, "t", &out);
		ck_assert_msg(rc == (cases[i].ok ? 0 : -1), "case %zu: rc %d (%s)", i, rc, err);
		if (rc == 0)
			ck_assert_int_eq(verify("m", 1, (char *)out.p, out.len, pub), 0);
		else
			ck_assert_msg(strstr(err, cases[i].why), "case %zu: '%s'", i, err);
		buf_free(&out);
		free(sk);
	}
	/* a damaged public half, with a checksum that matches the damage */
	struct refkey bad = k;
	bad.sk[50] ^= 1;
	struct refsk o = {0};
	char *sk = ref_sec(&bad, &o);
	write_file(path("k"), sk, strlen(sk), 0600);
	ck_assert_int_eq(sign_file(path("k"), "m", 1, "t", &out), -1);
	ck_assert_ptr_nonnull(strstr(err, "public half"));
	free(sk);
	/* text damage */
	sk = ref_sec(&k, &o);
	const char *texts[] = {"", "untrusted comment: x\n", "no comment\n", "\n\n"};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		write_file(path("k"), texts[i], strlen(texts[i]), 0600);
		ck_assert_int_eq(sign_file(path("k"), "m", 1, "t", &out), -1);
	}
	size_t n = strlen(sk);
	for (size_t cut = 0; cut < n - 1; cut++) {
		write_file(path("k"), sk, cut, 0600);
		ck_assert_msg(sign_file(path("k"), "m", 1, "t", &out) == -1, "cut at %zu accepted",
		              cut);
	}
	char *t;
	ck_assert_int_ge(asprintf(&t, "%sjunk\n", sk), 0);
	write_file(path("k"), t, strlen(t), 0600);
	ck_assert_int_eq(sign_file(path("k"), "m", 1, "t", &out), -1);
	free(t);
	char *huge = calloc(1, SIG_SECKEY_MAX + 10);
	memcpy(huge, sk, n);
	memset(huge + n, '\n', SIG_SECKEY_MAX + 9 - n);
	write_file(path("k"), huge, SIG_SECKEY_MAX + 9, 0600);
	ck_assert_int_eq(sign_file(path("k"), "m", 1, "t", &out), -1);
	ck_assert_ptr_nonnull(strstr(err, "too large"));
	ck_assert_uint_eq(out.len, 0);
	free(huge);
	free(sk);
	free(pub);
	rm_tmp();
}
END_TEST

START_TEST(encrypted_keys)
{
	/* No terminal in this process: passwords come from the environment or
	 * the signing fails (it must never block on a prompt).  Check's forked
	 * child can always leave its session; with CK_FORK=no the process may
	 * lead its group and keep the terminal: skip what needs none then. */
	int no_tty = setsid() >= 0;
	if (!no_tty) {
		int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
		no_tty = fd < 0;
		if (fd >= 0)
			close(fd);
	}
	mkdir_tmp();
	const uint64_t ops = crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_MIN,
	               mem = crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN;
	struct refkey k;
	ref_key(&k);
	char *pub = ref_pub(&k);
	struct refsk o = {.pw = "correct horse", .ops = ops, .mem = mem};
	char *sk = ref_sec(&k, &o);
	write_file(path("enc"), sk, strlen(sk), 0600);
	struct buf out = {0};

	if (no_tty) {
		unsetenv(SIG_PASSWORD_ENV);
		ck_assert_int_eq(sign_file(path("enc"), "m", 1, "t", &out), -1);
		ck_assert_ptr_nonnull(strstr(err, SIG_PASSWORD_ENV));
		setenv(SIG_PASSWORD_ENV, "", 1); /* empty: as unset */
		ck_assert_int_eq(sign_file(path("enc"), "m", 1, "t", &out), -1);
	}
	setenv(SIG_PASSWORD_ENV, "wrong horse", 1);
	ck_assert_int_eq(sign_file(path("enc"), "m", 1, "t", &out), -1);
	ck_assert_ptr_nonnull(strstr(err, "wrong password"));
	ck_assert_uint_eq(out.len, 0);
	setenv(SIG_PASSWORD_ENV, "correct horse", 1);
	ck_assert_msg(sign_file(path("enc"), "m", 1, "t", &out) == 0, "%s", err);
	ck_assert_int_eq(verify("m", 1, (char *)out.p, out.len, pub), 0);
	buf_free(&out);

	/* sig_keygen_text's encrypted keys decrypt with the same password only */
	struct buf pt = {0}, st = {0};
	ck_assert_int_eq(sig_keygen_text(&pt, &st, "pw2", 3, ops, mem, err, sizeof(err)), 0);
	ck_assert_ptr_nonnull(strstr((char *)st.p, "encrypted"));
	write_file(path("enc2"), st.p, st.len, 0600);
	buf_u8(&pt, 0);
	ck_assert_int_eq(sign_file(path("enc2"), "m", 1, "t", &out), -1); /* "correct horse" */
	setenv(SIG_PASSWORD_ENV, "pw2", 1);
	ck_assert_msg(sign_file(path("enc2"), "m", 1, "t", &out) == 0, "%s", err);
	ck_assert_msg(verify("m", 1, (char *)out.p, out.len, (char *)pt.p) == 0, "%s", err);
	buf_free(&out);
	/* the stored limits are the ones asked for, the salt is random */
	size_t got;
	uint8_t blob[158];
	const char *l2 = strchr((char *)st.p, '\n') + 1;
	ck_assert_int_eq(sodium_base642bin(blob, sizeof(blob), l2, st.len - (size_t)(l2 - (char *)st.p) - 1,
	                                   NULL, &got, NULL, sodium_base64_VARIANT_ORIGINAL),
	                 0);
	ck_assert(memcmp(blob, "EdScB2", 6) == 0);
	ck_assert_uint_eq(blob[38] | blob[39] << 8 | blob[40] << 16, ops);
	ck_assert_uint_eq(blob[46] | blob[47] << 8 | blob[48] << 16 | (uint64_t)blob[49] << 24, mem);
	uint8_t zero[32] = {0};
	ck_assert(memcmp(blob + 6, zero, 32) != 0);
	ck_assert_int_eq(sig_keygen_text(&pt, &st, "pw", 2, 1, 1, err, sizeof(err)), -1);

	/* keygen --password needs a terminal and refuses without one */
	if (no_tty) {
		ck_assert_int_eq(sig_keygen(path("p"), path("s"), true, err, sizeof(err)), -1);
		ck_assert_ptr_nonnull(strstr(err, "terminal"));
		ck_assert_int_eq(access(path("s"), F_OK), -1);
	}
	buf_free(&pt);
	buf_free(&st);
	free(sk);
	free(pub);
	rm_tmp();
}
END_TEST

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	Suite *s = suite_create("sig");
	TCase *tc1 = tcase_create("sig");
	tcase_set_timeout(tc1, 120);
	tcase_add_test(tc1, minisign_fixtures);
	tcase_add_test(tc1, sign_matches_reference);
	tcase_add_test(tc1, tamper_small_file);
	tcase_add_test(tc1, tamper_artifact);
	tcase_add_test(tc1, artifact_comment_forms);
	tcase_add_test(tc1, wrong_key);
	tcase_add_test(tc1, legacy_and_algorithms);
	tcase_add_test(tc1, strict_structure);
	tcase_add_test(tc1, size_limits);
	tcase_add_test(tc1, keygen_files);
	tcase_add_test(tc1, keygen_no_overwrite);
	tcase_add_test(tc1, seckey_permissions);
	tcase_add_test(tc1, seckey_formats);
	tcase_add_test(tc1, encrypted_keys);
	suite_add_tcase(s, tc1);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
