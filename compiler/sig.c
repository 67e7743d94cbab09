/* sig.c — minisign-compatible key generation and signing (see sig.h for
 * the secret key format; runtime-min/minisig.c verifies).
 *
 * Secret material lives in fixed-size stack buffers that are wiped with
 * sodium_memzero before every return. */
#include "sig.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cmd.h"
#include "minisig.h"

/* Secret key blob layout. */
enum {
	SK_SIG_ALG = 0,
	SK_KDF_ALG = 2,
	SK_CHK_ALG = 4,
	SK_SALT = 6,
	SK_OPSLIMIT = SK_SALT + 32,
	SK_MEMLIMIT = SK_OPSLIMIT + 8,
	SK_KEYID = SK_MEMLIMIT + 8,
	SK_SK = SK_KEYID + MINISIG_KEYID_BYTES,
	SK_CHK = SK_SK + crypto_sign_SECRETKEYBYTES,
	SK_BLOB = SK_CHK + 32, /* 158 */
	SK_ENC_LEN = SK_BLOB - SK_KEYID, /* key_id | sk | checksum: 104 */
};

/* Hostile or corrupted key files must not make us allocate or spin without
 * bound: minisign uses opslimit 2^25 and memlimit 1 GiB. */
#define SK_OPSLIMIT_MAX (UINT64_C(1) << 27)
#define SK_MEMLIMIT_MAX (UINT64_C(2) << 30)
#define PASSWORD_MAX 1024

struct seckey {
	uint8_t key_id[MINISIG_KEYID_BYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static void put_u64le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64le(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Appends base64 of n bytes and a newline. */
static void b64_line(struct buf *out, const uint8_t *p, size_t n)
{
	char b64[sodium_base64_ENCODED_LEN(SK_BLOB, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof(b64), p, n, sodium_base64_VARIANT_ORIGINAL);
	buf_bytes(out, b64, strlen(b64));
	buf_u8(out, '\n');
	sodium_memzero(b64, sizeof(b64));
}

/* BLAKE2b-256("Ed" | key_id | sk). */
static void key_checksum(uint8_t out[32], const uint8_t *key_id, const uint8_t *sk)
{
	crypto_generichash_state st;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)"Ed", 2);
	crypto_generichash_update(&st, key_id, MINISIG_KEYID_BYTES);
	crypto_generichash_update(&st, sk, crypto_sign_SECRETKEYBYTES);
	crypto_generichash_final(&st, out, 32);
	sodium_memzero(&st, sizeof(st));
}

/* ---- passwords ------------------------------------------------------------ */

static volatile sig_atomic_t prompt_signal;
static void on_prompt_signal(int sig) { prompt_signal = sig; }

/* Reads one line from the terminal with echo off.  The prompt goes to the
 * terminal too, never to stdout/stderr.  *len gets the length; the password
 * is NUL-terminated in pw.  Ctrl-C (or another terminating signal) during
 * the prompt restores the terminal's echo first, then ends polc as that
 * signal would have. */
static int tty_password(const char *prompt, char *pw, size_t cap, size_t *len, char *err,
                        size_t errlen)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errlen, "no terminal to read the password from");
	struct termios old, quiet;
	if (tcgetattr(fd, &old) < 0) {
		close(fd);
		return fail(err, errlen, "no terminal to read the password from");
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ICANON;
	/* TCSANOW, not TCSAFLUSH: keep what was typed ahead of the prompt. */
	if (tcsetattr(fd, TCSANOW, &quiet) < 0) {
		close(fd);
		return fail(err, errlen, "cannot turn off terminal echo: %s", strerror(errno));
	}
	static const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
	struct sigaction sa, prev[4];
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_prompt_signal; /* no SA_RESTART: read returns EINTR */
	sigemptyset(&sa.sa_mask);
	prompt_signal = 0;
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &prev[i]);
	int rc = 0;
	if (write_all(fd, prompt, strlen(prompt)) < 0)
		rc = fail(err, errlen, "cannot write to the terminal: %s", strerror(errno));
	size_t n = 0;
	while (rc == 0) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR && prompt_signal) {
			rc = fail(err, errlen, "interrupted");
			break;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = fail(err, errlen, "cannot read the password: %s", strerror(errno));
			break;
		}
		if (r == 0 || c == '\n')
			break;
		if (n + 1 >= cap) {
			rc = fail(err, errlen, "password too long (at most %zu bytes)", cap - 1);
			break;
		}
		pw[n++] = c;
	}
	if (n > 0 && pw[n - 1] == '\r')
		n--;
	pw[n] = '\0';
	*len = n;
	if (tcsetattr(fd, TCSANOW, &old) < 0 && rc == 0)
		rc = fail(err, errlen, "cannot restore the terminal: %s", strerror(errno));
	(void)write_all(fd, "\n", 1);
	close(fd);
	if (rc < 0)
		sodium_memzero(pw, cap);
	for (int i = 0; i < 4; i++)
		sigaction(sigs[i], &prev[i], NULL);
	if (prompt_signal)
		raise(prompt_signal); /* the terminal is restored: now end as asked */
	return rc;
}

/* The password of an encrypted key for signing: $POLC_KEY_PASSWORD, else
 * the terminal. */
static int sign_password(char *pw, size_t cap, size_t *len, char *err, size_t errlen)
{
	const char *env = getenv(SIG_PASSWORD_ENV);
	if (env && *env) {
		size_t n = strlen(env);
		if (n >= cap)
			return fail(err, errlen, "%s is too long", SIG_PASSWORD_ENV);
		memcpy(pw, env, n + 1);
		*len = n;
		return 0;
	}
	if (tty_password("Password for the secret key: ", pw, cap, len, err, errlen) < 0) {
		char why[128];
		snprintf(why, sizeof(why), "%s", err);
		return fail(err, errlen, "the secret key is encrypted and %s (set %s)", why,
		            SIG_PASSWORD_ENV);
	}
	return 0;
}

/* ---- secret keys ---------------------------------------------------------- */

/* Decodes a secret key file's text into k.  An encrypted key asks for its
 * password (sign_password) only once its structure has been checked. */
static int seckey_decode(const char *text, size_t len, struct seckey *k, char *err,
                         size_t errlen)
{
	const char *nl = memchr(text, '\n', len);
	size_t pl = strlen(MINISIG_UNTRUSTED_PREFIX);
	if (!nl || (size_t)(nl - text) < pl || memcmp(text, MINISIG_UNTRUSTED_PREFIX, pl) != 0 ||
	    memchr(text, '\0', len))
		return fail(err, errlen, "not a minisign secret key (no untrusted comment line)");
	const char *b = nl + 1;
	size_t bl = len - (size_t)(b - text);
	if (bl > 0 && b[bl - 1] == '\n')
		bl--;
	if (bl > 0 && b[bl - 1] == '\r')
		bl--;

	uint8_t blob[SK_BLOB];
	int rc = -1;
	if (minisig_b64_decode(blob, sizeof(blob), b, bl) < 0) {
		fail(err, errlen, "not a minisign secret key (bad base64 line)");
		goto out;
	}
	if (memcmp(blob + SK_SIG_ALG, "Ed", 2) != 0 || memcmp(blob + SK_CHK_ALG, "B2", 2) != 0) {
		fail(err, errlen, "unsupported secret key algorithm");
		goto out;
	}
	bool encrypted;
	if (memcmp(blob + SK_KDF_ALG, "Sc", 2) == 0)
		encrypted = true;
	else if (blob[SK_KDF_ALG] == 0 && blob[SK_KDF_ALG + 1] == 0)
		encrypted = false;
	else {
		fail(err, errlen, "unsupported secret key encryption");
		goto out;
	}
	if (encrypted) {
		uint64_t ops = get_u64le(blob + SK_OPSLIMIT), mem = get_u64le(blob + SK_MEMLIMIT);
		if (ops < crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_MIN || ops > SK_OPSLIMIT_MAX ||
		    mem < crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN || mem > SK_MEMLIMIT_MAX) {
			fail(err, errlen, "secret key: scrypt limits out of range (ops %" PRIu64 ", mem %" PRIu64 ")",
			     ops, mem);
			goto out;
		}
		char pw[PASSWORD_MAX + 1];
		size_t pwlen;
		if (sign_password(pw, sizeof(pw), &pwlen, err, errlen) < 0)
			goto out;
		uint8_t stream[SK_ENC_LEN];
		int kr = crypto_pwhash_scryptsalsa208sha256(stream, sizeof(stream), pw, pwlen,
		                                            blob + SK_SALT, ops, (size_t)mem);
		sodium_memzero(pw, sizeof(pw));
		if (kr != 0) {
			sodium_memzero(stream, sizeof(stream));
			fail(err, errlen, "cannot derive the key from the password (out of memory?)");
			goto out;
		}
		for (size_t i = 0; i < SK_ENC_LEN; i++)
			blob[SK_KEYID + i] ^= stream[i];
		sodium_memzero(stream, sizeof(stream));
	}
	uint8_t chk[32], zero[32] = {0};
	key_checksum(chk, blob + SK_KEYID, blob + SK_SK);
	if (sodium_memcmp(chk, blob + SK_CHK, 32) != 0) {
		/* minisign -W leaves the checksum of unencrypted keys zero. */
		if (encrypted || sodium_memcmp(zero, blob + SK_CHK, 32) != 0) {
			fail(err, errlen, encrypted ? "wrong password for the secret key"
			                            : "corrupted secret key (checksum mismatch)");
			goto out;
		}
	}
	/* The secret key is seed | public key: both halves must agree, so a
	 * damaged key is refused instead of producing unverifiable signatures. */
	uint8_t seed[crypto_sign_SEEDBYTES], pk[crypto_sign_PUBLICKEYBYTES],
	        sk2[crypto_sign_SECRETKEYBYTES];
	crypto_sign_ed25519_sk_to_seed(seed, blob + SK_SK);
	crypto_sign_seed_keypair(pk, sk2, seed);
	int same = sodium_memcmp(sk2, blob + SK_SK, sizeof(sk2)) == 0;
	sodium_memzero(seed, sizeof(seed));
	sodium_memzero(sk2, sizeof(sk2));
	if (!same) {
		fail(err, errlen, "corrupted secret key (public half does not match)");
		goto out;
	}
	memcpy(k->key_id, blob + SK_KEYID, MINISIG_KEYID_BYTES);
	memcpy(k->sk, blob + SK_SK, crypto_sign_SECRETKEYBYTES);
	rc = 0;
out:
	sodium_memzero(blob, sizeof(blob));
	return rc;
}

/* Opens, checks and decodes the secret key at path.  Permissions are
 * checked on the opened descriptor, so the file checked is the file read. */
static int seckey_load(const char *path, struct seckey *k, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO planted at the path must not hang us before the
	 * regular-file check (it does not affect reading a regular file). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fail(err, errlen, "cannot open secret key '%s': %s", path, strerror(errno));
	char text[SIG_SECKEY_MAX + 1];
	size_t n = 0;
	int rc = -1;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(err, errlen, "secret key '%s' is not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		fail(err, errlen,
		     "secret key '%s' is accessible by group or others (mode %04o); run: chmod 600 '%s'",
		     path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, text + n, sizeof(text) - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fail(err, errlen, "cannot read '%s': %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == sizeof(text)) {
			fail(err, errlen, "'%s' is too large to be a secret key", path);
			goto out;
		}
	}
	if (seckey_decode(text, n, k, err, errlen) < 0) {
		char why[200];
		snprintf(why, sizeof(why), "%s", err);
		fail(err, errlen, "%s: %s", path, why);
		goto out;
	}
	rc = 0;
out:
	sodium_memzero(text, sizeof(text));
	close(fd);
	return rc;
}

/* ---- signing ---------------------------------------------------------------- */

int sig_sign(const uint8_t *msg, size_t len, const char *sk_path, const char *trusted_comment,
             struct buf *out, char *err, size_t errlen)
{
	static const uint8_t empty[1];
	if (sodium_init() < 0)
		return fail(err, errlen, "libsodium failed to initialise");
	const char *tc = trusted_comment ? trusted_comment : "";
	size_t tclen = strlen(tc);
	if (tclen > MINISIG_TC_MAX)
		return fail(err, errlen, "trusted comment too long (%zu bytes, at most %d)", tclen,
		            MINISIG_TC_MAX);
	if (strpbrk(tc, "\r\n"))
		return fail(err, errlen, "trusted comment must be one line");

	struct seckey k;
	if (seckey_load(sk_path, &k, err, errlen) < 0)
		return -1;

	uint8_t h[crypto_generichash_BYTES_MAX];
	uint8_t blob[2 + MINISIG_KEYID_BYTES + crypto_sign_BYTES];
	uint8_t gm[crypto_sign_BYTES + MINISIG_TC_MAX], global[crypto_sign_BYTES];
	crypto_generichash(h, sizeof(h), msg ? msg : empty, len, NULL, 0);
	memcpy(blob, "ED", 2);
	memcpy(blob + 2, k.key_id, MINISIG_KEYID_BYTES);
	crypto_sign_detached(blob + 2 + MINISIG_KEYID_BYTES, NULL, h, sizeof(h), k.sk);
	memcpy(gm, blob + 2 + MINISIG_KEYID_BYTES, crypto_sign_BYTES);
	memcpy(gm + crypto_sign_BYTES, tc, tclen);
	crypto_sign_detached(global, NULL, gm, crypto_sign_BYTES + tclen, k.sk);
	sodium_memzero(&k, sizeof(k));

	static const char uc[] = MINISIG_UNTRUSTED_PREFIX "signature from polc secret key\n";
	static const char tp[] = MINISIG_TRUSTED_PREFIX;
	buf_bytes(out, uc, sizeof(uc) - 1);
	b64_line(out, blob, sizeof(blob));
	buf_bytes(out, tp, sizeof(tp) - 1);
	buf_bytes(out, tc, tclen);
	buf_u8(out, '\n');
	b64_line(out, global, sizeof(global));
	return 0;
}

/* ---- key generation ---------------------------------------------------------- */

int sig_keygen_text(struct buf *pk_text, struct buf *sk_text, const char *pw, size_t pwlen,
                    uint64_t opslimit, uint64_t memlimit, char *err, size_t errlen)
{
	if (sodium_init() < 0)
		return fail(err, errlen, "libsodium failed to initialise");
	if (pw && (opslimit < crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_MIN ||
	           opslimit > SK_OPSLIMIT_MAX ||
	           memlimit < crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN ||
	           memlimit > SK_MEMLIMIT_MAX))
		return fail(err, errlen, "scrypt limits out of range");

	/* Room up front, so no copy of the secret key is left behind in a
	 * block freed by a realloc. */
	buf_reserve(sk_text, 512);
	uint8_t blob[SK_BLOB] = {0};
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t key_id[MINISIG_KEYID_BYTES];
	randombytes_buf(key_id, sizeof(key_id));
	memcpy(blob + SK_SIG_ALG, "Ed", 2);
	memcpy(blob + SK_CHK_ALG, "B2", 2);
	memcpy(blob + SK_KEYID, key_id, sizeof(key_id));
	crypto_sign_keypair(pk, blob + SK_SK);
	key_checksum(blob + SK_CHK, key_id, blob + SK_SK);
	if (pw) {
		uint8_t stream[SK_ENC_LEN];
		memcpy(blob + SK_KDF_ALG, "Sc", 2);
		randombytes_buf(blob + SK_SALT, 32);
		put_u64le(blob + SK_OPSLIMIT, opslimit);
		put_u64le(blob + SK_MEMLIMIT, memlimit);
		if (crypto_pwhash_scryptsalsa208sha256(stream, sizeof(stream), pw, pwlen,
		                                       blob + SK_SALT, opslimit, (size_t)memlimit) != 0) {
			sodium_memzero(blob, sizeof(blob));
			return fail(err, errlen, "cannot derive a key from the password (out of memory?)");
		}
		for (size_t i = 0; i < SK_ENC_LEN; i++)
			blob[SK_KEYID + i] ^= stream[i];
		sodium_memzero(stream, sizeof(stream));
	}

	char id[MINISIG_KEYID_STR], line[128];
	minisig_key_id_str(key_id, id);
	uint8_t pblob[2 + MINISIG_KEYID_BYTES + crypto_sign_PUBLICKEYBYTES];
	memcpy(pblob, "Ed", 2);
	memcpy(pblob + 2, key_id, sizeof(key_id));
	memcpy(pblob + 2 + sizeof(key_id), pk, sizeof(pk));
	int n = snprintf(line, sizeof(line), MINISIG_UNTRUSTED_PREFIX "minisign public key %s\n", id);
	buf_bytes(pk_text, line, (size_t)n);
	b64_line(pk_text, pblob, sizeof(pblob));

	n = snprintf(line, sizeof(line), MINISIG_UNTRUSTED_PREFIX "minisign %ssecret key %s\n",
	             pw ? "encrypted " : "", id);
	buf_bytes(sk_text, line, (size_t)n);
	b64_line(sk_text, blob, sizeof(blob));
	sodium_memzero(blob, sizeof(blob));
	return 0;
}

/* Creates path exclusively (never through a symlink) with mode and the
 * given contents.  On failure nothing is left behind. */
static int write_new(const char *path, const void *p, size_t n, mode_t mode, char *err,
                     size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		if (errno == EEXIST)
			return fail(err, errlen, "'%s' exists; refusing to overwrite it (use --force)",
			            path);
		return fail(err, errlen, "cannot create '%s': %s", path, strerror(errno));
	}
	/* fchmod: the mode is exact whatever the umask (0644 / 0600). */
	if (write_all(fd, p, n) < 0 || fchmod(fd, mode) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(path);
		return fail(err, errlen, "cannot write '%s': %s", path, strerror(e));
	}
	if (close(fd) < 0) {
		int e = errno;
		unlink(path);
		return fail(err, errlen, "cannot write '%s': %s", path, strerror(e));
	}
	return 0;
}

static int refuse_existing(const char *path, char *err, size_t errlen)
{
	struct stat st;
	if (lstat(path, &st) == 0)
		return fail(err, errlen, "'%s' exists; refusing to overwrite it (use --force)", path);
	if (errno != ENOENT)
		return fail(err, errlen, "cannot create '%s': %s", path, strerror(errno));
	return 0;
}

int sig_keygen_flags(const char *pk_path, const char *sk_path, unsigned flags, char *err,
                     size_t errlen)
{
	bool force = flags & SIG_KEYGEN_FORCE;
	if (sodium_init() < 0)
		return fail(err, errlen, "libsodium failed to initialise");
	if (strcmp(pk_path, sk_path) == 0)
		return fail(err, errlen, "the public and secret key must be different files");
	/* Check before asking for a password; O_EXCL below closes the race. */
	if (!force &&
	    (refuse_existing(sk_path, err, errlen) < 0 || refuse_existing(pk_path, err, errlen) < 0))
		return -1;

	char pw[PASSWORD_MAX + 1], pw2[PASSWORD_MAX + 1];
	size_t pwlen = 0, pwlen2 = 0;
	int rc = -1;
	struct buf pkt = {0}, skt = {0};
	if (flags & SIG_KEYGEN_PASSWORD) {
		if (tty_password("Password for the new secret key: ", pw, sizeof(pw), &pwlen, err,
		                 errlen) < 0 ||
		    tty_password("Password (again): ", pw2, sizeof(pw2), &pwlen2, err, errlen) < 0)
			goto out;
		if (pwlen != pwlen2 || sodium_memcmp(pw, pw2, pwlen) != 0) {
			fail(err, errlen, "the passwords do not match");
			goto out;
		}
		if (pwlen == 0) {
			fail(err, errlen, "empty password (omit --password for an unencrypted key)");
			goto out;
		}
	}
	if (sig_keygen_text(&pkt, &skt, (flags & SIG_KEYGEN_PASSWORD) ? pw : NULL, pwlen,
	                    crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE,
	                    crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE, err, errlen) < 0)
		goto out;
	if (force) {
		if (polc_write_atomic(sk_path, skt.p, skt.len, 0600) < 0) {
			fail(err, errlen, "cannot write '%s': %s", sk_path, strerror(errno));
			goto out;
		}
		if (polc_write_atomic(pk_path, pkt.p, pkt.len, 0644) < 0) {
			fail(err, errlen, "cannot write '%s': %s", pk_path, strerror(errno));
			goto out;
		}
	} else {
		if (write_new(sk_path, skt.p, skt.len, 0600, err, errlen) < 0)
			goto out;
		if (write_new(pk_path, pkt.p, pkt.len, 0644, err, errlen) < 0) {
			unlink(sk_path); /* ours: created exclusively just above */
			goto out;
		}
	}
	rc = 0;
out:
	sodium_memzero(pw, sizeof(pw));
	sodium_memzero(pw2, sizeof(pw2));
	if (skt.p)
		sodium_memzero(skt.p, skt.cap);
	buf_free(&skt);
	buf_free(&pkt);
	return rc;
}

int sig_keygen(const char *pk_path, const char *sk_path, bool password, char *err, size_t errlen)
{
	return sig_keygen_flags(pk_path, sk_path, password ? SIG_KEYGEN_PASSWORD : 0, err, errlen);
}
