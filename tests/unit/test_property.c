/* test_property.c — a property test of the whole compiler.
 *
 * Random valid policies are written as YAML text (a seeded PRNG picks
 * filesystem paths and rights, syscalls with argument conditions and
 * actions, network rows), loaded and compiled exactly as `polc build` does
 * (load_inputs + polc_compile), and every kind of `polc query` answered from
 * the artifact (bpf_query, ll_query, nt_query: the simulators behind the
 * command) must agree with a direct evaluation of the policy:
 *
 *   syscall  ir_proc_decide() on the IR (the reference semantics), and an
 *            evaluation of the rules as the generator wrote them (so the
 *            YAML front end's lowering is checked too); args sampled at the
 *            boundaries of every condition, with junk in the upper word.
 *   fs       a model of Landlock written here: a right is granted on a
 *            path when a rule on the path or a directory above it grants it,
 *            except that a rule on the path itself does not grant what is
 *            checked on the directory holding it (create, remove, rename).
 *   net      a straight scan of the rows written here (nt.h's semantics:
 *            deny rows beat allow rows, the lowest rule id reports, unseen
 *            method/path, special addresses need a rule naming them).
 *
 * POLC_PROP_SEED (default 0x5eed) and POLC_PROP_N (default 200 policies)
 * override the run, e.g. POLC_PROP_SEED=$RANDOM POLC_PROP_N=5000 for a long
 * one.  A failure prints the seed, the policy number, its YAML and the query.
 * The first few policies also go through the real `polc build` / `polc query`
 * binaries ($O/polc) when they exist: same bytes, same answers. */
#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arena.h"
#include "backend.h"
#include "nt.h"

/* ---- PRNG ------------------------------------------------------------------ */

static uint64_t rng;
static uint64_t rnd(void) /* splitmix64 */
{
	uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}
static unsigned rn(unsigned n) { return (unsigned)(rnd() % n); }
static bool chance(unsigned pct) { return rn(100) < pct; }
#define PICK(arr) (arr)[rn(sizeof(arr) / sizeof((arr)[0]))]
#define NELEM(arr) (sizeof(arr) / sizeof((arr)[0]))

/* ---- text buffer -------------------------------------------------------------- */

struct text {
	char *p;
	size_t len, cap;
};
static void tx(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tx(struct text *t, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		if (t->p && (size_t)n < t->cap - t->len) {
			t->len += (size_t)n;
			return;
		}
		t->cap = (t->cap + (size_t)n + 1) * 2;
		t->p = realloc(t->p, t->cap);
		ck_assert_ptr_nonnull(t->p);
	}
}

/* ---- the generated policy (what the generator means) -------------------------- */

#define MAX_FS 10
#define MAX_SYS 12
#define MAX_NET 8

struct gfs {
	char path[64];
	unsigned shorthand; /* bit 0 read, 1 exec, 2 write */
	uint64_t extra;     /* rights given through `rules:` */
};

struct gact {
	enum ir_act kind;
	uint16_t err;
	const char *text; /* as written in the YAML */
};

struct gcond {
	uint8_t index;
	enum ir_op op;
	uint64_t mask;
	uint64_t v[3];
	size_t nv;
};

struct gsys {
	const char *names[2];
	size_t nnames;
	struct gcond c[2];
	size_t nc;
	struct gact act;
	int origin; /* 0 allow list, 1 deny list, 2 rule */
};

struct gnet {
	int host;  /* index into hosts[] */
	uint16_t lo[2], hi[2];
	size_t nports;
	uint32_t methods; /* IR_METHOD bits */
	int paths[2];     /* indexes into globs[] */
	size_t npaths;
	bool deny;
};

struct gpol {
	bool fs_present;
	struct gfs fs[MAX_FS];
	size_t nfs;
	unsigned min_abi; /* 0 = derived */
	bool proc_present, scopes_off, other_set;
	struct gact def, other;
	struct gsys sys[MAX_SYS];
	size_t nsys;
	bool net_present;
	struct gnet net[MAX_NET];
	size_t nnet;
};

/* ---- pools ------------------------------------------------------------------------- */

static const char *const comps[] = {"usr", "lib", "tmp", "work", "x", "y", "etc", "a b"};

static const struct {
	const char *name;
	uint64_t bit;
	unsigned abi;
} rights[] = {
#define LL_FS(n, b, abi, f, doc) {#n, 1ull << b, abi},
#include "ll_rights.def"
};

static const struct gact acts[] = {
	{IR_ACT_ALLOW, 0, "allow"},          {IR_ACT_LOG, 0, "log"},
	{IR_ACT_ERRNO, EPERM, "errno EPERM"}, {IR_ACT_ERRNO, EPERM, "errno"},
	{IR_ACT_ERRNO, EACCES, "errno 13"},   {IR_ACT_ERRNO, ENOSYS, "errno ENOSYS"},
	{IR_ACT_ERRNO, 4095, "errno 4095"},   {IR_ACT_TRAP, 0, "trap"},
	{IR_ACT_KILL_THREAD, 0, "kill_thread"}, {IR_ACT_KILL, 0, "kill"},
	{IR_ACT_KILL, 0, "kill_process"},
};

/* Syscalls of x86_64; some are absent on aarch64 (open, dup2), which the
 * queries then skip there. */
static const char *const sysnames[] = {
	"read",  "write", "openat",  "close",     "socket", "ioctl",    "mmap",  "mprotect",
	"clone", "prctl", "fcntl",   "kill",      "ptrace", "bpf",      "getpid", "connect",
	"personality", "unshare", "dup3", "lseek", "madvise", "open", "setns", "dup2",
};

static const uint64_t values[] = {
	0, 1, 2, 3, 10, 16, 40, 0x80000, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000000,
	0x100000028, 0xffffffff00000001, 0x7fffffffffffffff, 0xffffffffffffffff,
};
static const uint64_t masks[] = {0xff, 0xf0f0, 0x80000000, 0xffffffff00000000,
                                 0x80000000ffff, 0xffffffffffffffff, 0x3};

static const struct {
	const char *text;
} hosts[] = {
	{"api.example.com"}, {"example.com"},   {"a.b.example.com"}, {"other.org"},
	{"*.example.com"},   {"*.b.example.com"}, {"*.other.org"},   {"93.184.216.34"},
	{"93.184.0.0/16"},   {"8.8.8.0/24"},    {"10.0.0.0/8"},      {"10.1.2.3"},
	{"127.0.0.1"},       {"93.0.0.0/8"},     {"2001:db8::1"},     {"2001:db8::/32"},
	{"2606:4700::/32"},  {"::1"},           {"169.254.169.254"}, {"8.0.0.0/5"},
	{"96.0.0.0/3"},      {"2000::/3"},
};

static const char *const globs[] = {"/",  "/api/*",  "/api/**", "/repos/*/issues",
                                    "/**", "/a*b",    "/x/**/y", "/api/x"};

static const char *const qhosts[] = {
	"api.example.com", "API.Example.COM.", "example.com", "a.b.example.com", "c.b.example.com",
	"b.example.com",   "deep.a.b.example.com", "other.org", "x.other.org", "example.org",
	"xexample.com",    "93.184.216.34", "93.184.1.1", "93.185.0.1", "8.8.8.8", "8.8.9.8",
	"10.1.2.3",        "10.200.0.1", "127.0.0.1", "127.0.0.2", "::ffff:93.184.216.34",
	"[2001:db8::1]",   "2001:db8:1::5", "2606:4700::1111", "::1", "169.254.169.254",
	"1.1.1.1",         "bad host", "1.2.3", "a..b",
};

static const char *const qmethods[] = {NULL, "CONNECT", "GET", "POST", "PUT", "DELETE",
                                       "HEAD", "PATCH", "FOO"};
static const char *const qpaths[] = {
	NULL,         "/",        "/api/x",     "/api/x/y", "/repos/r/issues", "/repos/r/s/issues",
	"/a123b",     "/ab",      "/a/b",       "/x/q/y",   "/x/y",            "/x/p/q/y",
	"/xy",        "/api/x?q=1", "/%61pi/x", "/other",   "/a/../b",
};

/* ---- generation ------------------------------------------------------------------------ */

static void gen_path(char *out, size_t n)
{
	if (chance(4)) {
		snprintf(out, n, "/");
		return;
	}
	size_t depth = 1 + rn(3), o = 0;
	for (size_t i = 0; i < depth; i++)
		o += (size_t)snprintf(out + o, n - o, "/%s", PICK(comps));
}

/* Is path equal to dir or beneath it? (normalised absolute paths) */
static bool under(const char *path, const char *dir)
{
	if (strcmp(dir, "/") == 0)
		return true;
	size_t d = strlen(dir);
	return strncmp(path, dir, d) == 0 && (path[d] == '\0' || path[d] == '/');
}

static uint64_t fs_access(const struct gfs *f)
{
	uint64_t a = f->extra;
	if (f->shorthand & 1)
		a |= IR_FS_READ;
	if (f->shorthand & 2)
		a |= IR_FS_EXEC;
	if (f->shorthand & 4)
		a |= IR_FS_WRITE;
	return a;
}

static struct gact gen_act(void) { return PICK(acts); }

static void gen_cond(struct gcond *c)
{
	c->index = (uint8_t)rn(chance(70) ? 3 : 6);
	c->op = (enum ir_op)rn(8);
	c->nv = 1;
	c->v[0] = chance(80) ? PICK(values) : rnd();
	if (c->op == IR_OP_IN) {
		c->nv = 1 + rn(3);
		for (size_t i = 0; i < c->nv; i++)
			c->v[i] = chance(85) ? PICK(values) : rnd();
	} else if (c->op == IR_OP_MASKED_EQ) {
		c->mask = chance(80) ? PICK(masks) : rnd();
		c->v[0] &= c->mask; /* bits outside the mask are an error */
	}
}

static void gen_policy(struct gpol *g)
{
	memset(g, 0, sizeof(*g));
	g->fs_present = chance(80);
	if (g->fs_present) {
		g->nfs = rn(MAX_FS + 1);
		for (size_t i = 0; i < g->nfs; i++) {
			struct gfs *f = &g->fs[i];
			gen_path(f->path, sizeof(f->path));
			f->shorthand = chance(70) ? 1u << rn(3) : 0;
			if (!f->shorthand || chance(30))
				for (unsigned k = 1 + rn(3); k; k--)
					f->extra |= PICK(rights).bit;
		}
		/* Landlock only adds rights beneath a path: the compiler refuses a
		 * rule that grants strictly less than one above it (E202).  Keep the
		 * policies valid: such a rule also gets what the outer one grants. */
		for (int changed = 1; changed;) {
			changed = 0;
			for (size_t i = 0; i < g->nfs; i++)
				for (size_t j = 0; j < g->nfs; j++) {
					if (strlen(g->fs[j].path) >= strlen(g->fs[i].path) ||
					    !under(g->fs[i].path, g->fs[j].path))
						continue;
					/* united per distinct path, as ll_build does */
					uint64_t ai = 0, aj = 0;
					for (size_t k = 0; k < g->nfs; k++) {
						if (!strcmp(g->fs[k].path, g->fs[i].path))
							ai |= fs_access(&g->fs[k]);
						if (!strcmp(g->fs[k].path, g->fs[j].path))
							aj |= fs_access(&g->fs[k]);
					}
					if ((ai & ~aj) == 0 && ai != aj) {
						g->fs[i].extra |= aj;
						changed = 1;
					}
				}
		}
		if (chance(15))
			g->min_abi = 7;
	}

	g->proc_present = chance(85);
	if (g->proc_present) {
		g->def = chance(50) ? acts[2] : gen_act();
		if (chance(40)) {
			g->other_set = true;
			g->other = gen_act();
		}
		g->scopes_off = chance(20);
		g->nsys = rn(MAX_SYS + 1);
		for (size_t i = 0; i < g->nsys; i++) {
			struct gsys *s = &g->sys[i];
			s->origin = chance(25) ? 0 : chance(20) ? 1 : 2;
			s->nnames = s->origin == 2 && chance(30) ? 2 : 1;
			for (size_t k = 0; k < s->nnames; k++)
				s->names[k] = PICK(sysnames);
			if (s->nnames == 2 && s->names[0] == s->names[1])
				s->nnames = 1;
			if (s->origin == 2) {
				s->nc = rn(3);
				for (size_t k = 0; k < s->nc; k++)
					gen_cond(&s->c[k]);
				s->act = gen_act();
			}
		}
	}

	g->net_present = chance(75);
	if (g->net_present) {
		g->nnet = rn(MAX_NET + 1);
		static const uint16_t ports[] = {80, 443, 8080, 8000, 22, 65535, 1};
		for (size_t i = 0; i < g->nnet; i++) {
			struct gnet *n = &g->net[i];
			/* a few hosts per policy, so rows overlap (several deny rows
			 * matching one request, wide and narrow CIDRs ...) */
			n->host = i && chance(50) ? g->net[rn((unsigned)i)].host : (int)rn(NELEM(hosts));
			n->nports = 1 + rn(2);
			for (size_t k = 0; k < n->nports; k++) {
				if (chance(70)) {
					n->lo[k] = n->hi[k] = PICK(ports);
				} else {
					n->lo[k] = (uint16_t)(1 + rn(9000));
					n->hi[k] = (uint16_t)(n->lo[k] + rn(2000));
				}
			}
			if (chance(40)) {
				static const int ms[] = {IR_HTTP_BIT_GET, IR_HTTP_BIT_POST, IR_HTTP_BIT_PUT,
				                         IR_HTTP_BIT_DELETE, IR_HTTP_BIT_HEAD,
				                         IR_HTTP_BIT_CONNECT};
				for (unsigned k = 1 + rn(3); k; k--)
					n->methods |= 1u << PICK(ms);
			}
			if (chance(40)) {
				n->npaths = 1 + rn(2);
				for (size_t k = 0; k < n->npaths; k++)
					n->paths[k] = (int)rn(NELEM(globs));
			}
			n->deny = chance(25);
		}
	}
}

static const char *yq(struct text *scratch, const char *s) /* YAML double-quoted */
{
	scratch->len = 0;
	tx(scratch, "\"%s\"", s);
	return scratch->p;
}

static void emit_value(struct text *t, uint64_t v)
{
	if (v > 0xffffffff && chance(30) && (int64_t)v < 0)
		tx(t, "%lld", (long long)(int64_t)v); /* two's complement spelling */
	else if (chance(50))
		tx(t, "0x%llx", (unsigned long long)v);
	else
		tx(t, "%llu", (unsigned long long)v);
}

static void emit_policy(const struct gpol *g, struct text *t, unsigned idx)
{
	struct text q = {0};
	t->len = 0;
	tx(t, "polc: 1\nname: prop-%u\n", idx);
	if (g->fs_present) {
		tx(t, "filesystem:\n");
		static const char *const sh[] = {"read", "exec", "write"};
		for (int k = 0; k < 3; k++) {
			tx(t, "  %s: [", sh[k]);
			int n = 0;
			for (size_t i = 0; i < g->nfs; i++)
				if (g->fs[i].shorthand & (1u << k))
					tx(t, "%s%s", n++ ? ", " : "", yq(&q, g->fs[i].path));
			tx(t, "]\n");
		}
		tx(t, "  rules:\n");
		int nr = 0;
		for (size_t i = 0; i < g->nfs; i++) {
			if (!g->fs[i].extra)
				continue;
			nr++;
			tx(t, "    - path: %s\n      access: [", yq(&q, g->fs[i].path));
			int n = 0;
			for (size_t r = 0; r < NELEM(rights); r++)
				if (g->fs[i].extra & rights[r].bit)
					tx(t, "%s%s", n++ ? ", " : "", rights[r].name);
			tx(t, "]\n");
		}
		if (!nr)
			t->len -= strlen("  rules:\n");
		if (g->min_abi)
			tx(t, "  min_abi: %u\n", g->min_abi);
	}
	if (g->proc_present) {
		tx(t, "process:\n  default: %s\n", g->def.text);
		if (g->other_set)
			tx(t, "  other_abis: %s\n", g->other.text);
		if (g->scopes_off)
			tx(t, "  scopes: []\n");
		for (int origin = 0; origin < 2; origin++) {
			tx(t, "  %s: [", origin ? "deny" : "allow");
			int n = 0;
			for (size_t i = 0; i < g->nsys; i++)
				if (g->sys[i].origin == origin)
					tx(t, "%s%s", n++ ? ", " : "", g->sys[i].names[0]);
			tx(t, "]\n");
		}
		tx(t, "  rules:\n");
		int nr = 0;
		for (size_t i = 0; i < g->nsys; i++) {
			const struct gsys *s = &g->sys[i];
			if (s->origin != 2)
				continue;
			nr++;
			tx(t, "    - syscalls: [%s%s%s]\n", s->names[0], s->nnames > 1 ? ", " : "",
			   s->nnames > 1 ? s->names[1] : "");
			if (s->nc) {
				tx(t, "      args:\n");
				for (size_t k = 0; k < s->nc; k++) {
					const struct gcond *c = &s->c[k];
					tx(t, "        - {index: %u, op: %s, ", c->index, ir_op_name(c->op));
					if (c->op == IR_OP_IN) {
						tx(t, "values: [");
						for (size_t v = 0; v < c->nv; v++) {
							if (v)
								tx(t, ", ");
							emit_value(t, c->v[v]);
						}
						tx(t, "]");
					} else {
						tx(t, "value: ");
						emit_value(t, c->v[0]);
					}
					if (c->op == IR_OP_MASKED_EQ) {
						tx(t, ", mask: ");
						emit_value(t, c->mask);
					}
					tx(t, "}\n");
				}
			}
			tx(t, "      action: %s\n", s->act.text);
		}
		if (!nr)
			t->len -= strlen("  rules:\n");
	}
	if (g->net_present) {
		tx(t, "network:\n  outbound:\n");
		if (!g->nnet)
			t->len -= strlen("  outbound:\n");
		for (size_t i = 0; i < g->nnet; i++) {
			const struct gnet *n = &g->net[i];
			tx(t, "    - host: %s\n      ports: [", yq(&q, hosts[n->host].text));
			for (size_t k = 0; k < n->nports; k++) {
				if (n->lo[k] == n->hi[k])
					tx(t, "%s%u", k ? ", " : "", n->lo[k]);
				else
					tx(t, "%s\"%u-%u\"", k ? ", " : "", n->lo[k], n->hi[k]);
			}
			tx(t, "]\n");
			if (n->methods) {
				tx(t, "      methods: [");
				int c = 0;
				for (int b = 0; b < 9; b++)
					if (n->methods & (1u << b))
						tx(t, "%s%s", c++ ? ", " : "", ir_method_name(b));
				tx(t, "]\n");
			}
			if (n->npaths) {
				tx(t, "      paths: [");
				for (size_t k = 0; k < n->npaths; k++)
					tx(t, "%s%s", k ? ", " : "", yq(&q, globs[n->paths[k]]));
				tx(t, "]\n");
			}
			if (n->deny || chance(20))
				tx(t, "      action: %s\n", n->deny ? "deny" : "allow");
		}
		if (chance(30))
			tx(t, "  bind: [3000, 8080]\n");
	}
	t->p[t->len] = '\0';
	free(q.p);
}

/* ---- context of one failing check ------------------------------------------------- */

static uint64_t seed0;
static unsigned cur_idx;
static const char *cur_yaml;
static unsigned long nchecks[3];

#define FAIL_IF(cond, ...)                                                                     \
	do {                                                                                   \
		if (cond) {                                                                    \
			fprintf(stderr, "property failed: seed 0x%llx, policy %u\n%s\n---\n",       \
			        (unsigned long long)seed0, cur_idx, cur_yaml);                      \
			ck_abort_msg(__VA_ARGS__);                                             \
		}                                                                              \
	} while (0)

/* ---- syscalls ---------------------------------------------------------------------- */

static bool act_eq(struct ir_action a, struct ir_action b)
{
	return a.kind == b.kind && (a.kind != IR_ACT_ERRNO || a.errno_val == b.errno_val);
}

static int act_key(struct ir_action a) /* documented precedence, higher wins */
{
	static const int kr[] = {[IR_ACT_ALLOW] = 0, [IR_ACT_LOG] = 1, [IR_ACT_ERRNO] = 2,
	                         [IR_ACT_TRAP] = 3, [IR_ACT_KILL_THREAD] = 4, [IR_ACT_KILL] = 5};
	/* lower errno numbers win between two errno actions */
	return kr[a.kind] * 8192 + (a.kind == IR_ACT_ERRNO ? 4096 - a.errno_val : 0);
}

static struct ir_action to_ir(struct gact g) { return (struct ir_action){g.kind, g.err}; }

static bool gcond_holds(const char *sc, const struct gcond *c, const uint64_t args[6])
{
	uint64_t w = sysc_arg_is32(sc, c->index) ? 0xffffffffull : ~0ull;
	uint64_t v = args[c->index] & w, x = c->v[0] & w;
	switch (c->op) {
	case IR_OP_EQ: return v == x;
	case IR_OP_NE: return v != x;
	case IR_OP_LT: return v < x;
	case IR_OP_LE: return v <= x;
	case IR_OP_GT: return v > x;
	case IR_OP_GE: return v >= x;
	case IR_OP_MASKED_EQ: return (v & c->mask) == x;
	case IR_OP_IN:
		for (size_t i = 0; i < c->nv; i++)
			if (v == (c->v[i] & w))
				return true;
		return false;
	}
	return false;
}

/* The generator's own reading of its rules (CONTRACT.md / polc-policy(5)). */
static struct ir_action gen_decide(const struct gpol *g, const char *sc, const uint64_t args[6])
{
	struct ir_action def = to_ir(g->def), deny = def, best = def;
	if (deny.kind == IR_ACT_ALLOW || deny.kind == IR_ACT_LOG)
		deny = (struct ir_action){IR_ACT_ERRNO, EPERM};
	bool matched = false;
	for (size_t i = 0; i < g->nsys; i++) {
		const struct gsys *s = &g->sys[i];
		bool named = false;
		for (size_t k = 0; k < s->nnames; k++)
			named |= strcmp(s->names[k], sc) == 0;
		if (!named)
			continue;
		struct ir_action a = s->origin == 0   ? (struct ir_action){IR_ACT_ALLOW, 0}
		                     : s->origin == 1 ? deny
		                                      : to_ir(s->act);
		bool ok = true;
		for (size_t k = 0; k < s->nc && ok; k++)
			ok = gcond_holds(sc, &s->c[k], args);
		if (!ok)
			continue;
		if (!matched || act_key(a) > act_key(best))
			best = a;
		matched = true;
	}
	return best;
}

static void sample_args(const struct gpol *g, const char *sc, uint64_t args[6])
{
	static const uint64_t junk[] = {0, 0xdeadbeef00000000ull, 0x100000000ull, 0xffffffff00000000ull};
	for (int i = 0; i < 6; i++)
		args[i] = chance(50) ? PICK(values) : chance(50) ? rn(4) : rnd();
	/* Aim at this syscall's conditions: each value, its neighbours, and
	 * the same with junk in the upper word. */
	const struct gcond *cs[2 * MAX_SYS];
	size_t n = 0;
	for (size_t i = 0; i < g->nsys; i++)
		for (size_t k = 0; k < g->sys[i].nnames; k++)
			if (!strcmp(g->sys[i].names[k], sc))
				for (size_t j = 0; j < g->sys[i].nc && n < NELEM(cs); j++)
					cs[n++] = &g->sys[i].c[j];
	for (size_t i = 0; n && i < 2; i++) {
		const struct gcond *c = cs[rn((unsigned)n)];
		uint64_t v = c->v[rn((unsigned)c->nv)];
		switch (rn(6)) {
		case 0: v -= 1; break;
		case 1: v += 1; break;
		case 2: v = (v & c->mask) | (rnd() & ~c->mask); break;
		case 3: v ^= c->mask; break;
		default: break;
		}
		if (chance(40))
			v = (v & 0xffffffffull) | PICK(junk);
		args[c->index] = v;
	}
}

static void check_syscalls(const struct gpol *g, const struct ir_policy *p, const struct art *art)
{
	int na;
	const struct sysc_arch *arches = sysc_arches(&na);
	for (int ai = 0; ai < na; ai++) {
		const struct sysc_arch *native = &arches[ai];
		int no = 0;
		const struct sysc_arch *const *others = sysc_other_abis(native, &no);
		for (int oi = -1; oi < no; oi++) {
			const struct sysc_arch *abi = oi < 0 ? native : others[oi];
			for (size_t s = 0; s < NELEM(sysnames); s++) {
				const char *sc = sysnames[s];
				if (sysc_resolve(abi, sc) < 0)
					continue;
				for (int k = 0; k < (oi < 0 ? 6 : 2); k++) {
					uint64_t args[6];
					sample_args(g, sc, args);
					if (oi >= 0 && strcmp(abi->name, "x32") != 0)
						for (int i = 0; i < 6; i++)
							args[i] &= 0xffffffffull; /* 32-bit ABI registers */
					struct decision d;
					char err[256];
					int rc = bpf_query(art, abi, sc, args, &d, err, sizeof(err));
					FAIL_IF(rc < 0, "bpf_query %s on %s: %s", sc, abi->name, err);
					nchecks[0]++;
					struct ir_action want;
					uint32_t want_id = 0;
					const char *why;
					if (!g->proc_present) {
						want = (struct ir_action){IR_ACT_ALLOW, 0};
						why = "no process section";
					} else if (oi >= 0 && p->proc.other_abis.kind != IR_ACT_ALLOW) {
						want = p->proc.other_abis;
						FAIL_IF(!act_eq(want, g->other_set ? to_ir(g->other)
						                                   : (struct ir_action){IR_ACT_KILL, 0}),
						        "other_abis lowered wrongly");
						why = "other_abis";
					} else {
						want = ir_proc_decide(p, sc, args, &want_id);
						struct ir_action mine = gen_decide(g, sc, args);
						char w1[64], w2[64];
						ir_action_str(w1, sizeof(w1), want);
						ir_action_str(w2, sizeof(w2), mine);
						FAIL_IF(!act_eq(want, mine),
						        "%s(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx): ir_proc_decide "
						        "says %s, the generator's rules say %s",
						        sc, (unsigned long long)args[0], (unsigned long long)args[1],
						        (unsigned long long)args[2], (unsigned long long)args[3],
						        (unsigned long long)args[4], (unsigned long long)args[5], w1, w2);
						why = "rules";
					}
					char w[64];
					ir_action_str(w, sizeof(w), want);
					FAIL_IF(strcmp(d.text, w) != 0,
					        "%s: query syscall %s(%#llx, %#llx, %#llx, %#llx, %#llx, %#llx) "
					        "says %s, reference (%s) says %s",
					        abi->name, sc, (unsigned long long)args[0],
					        (unsigned long long)args[1], (unsigned long long)args[2],
					        (unsigned long long)args[3], (unsigned long long)args[4],
					        (unsigned long long)args[5], d.text, why, w);
					FAIL_IF(d.allowed != (want.kind == IR_ACT_ALLOW || want.kind == IR_ACT_LOG),
					        "%s %s: allowed flag", abi->name, sc);
					/* The deciding rule: the first rule with the winning action
					 * (a program may share one return between rules with the
					 * same action; then it must still be one that matches). */
					if (g->proc_present && !strcmp(why, "rules") && d.rule_id != want_id) {
						const struct ir_rule_ref *rr = ir_rule(p, d.rule_id);
						bool ok = false;
						for (size_t i = 0; rr && i < p->proc.nrules; i++) {
							const struct ir_sys_rule *r = &p->proc.rules[i];
							if (r->id != d.rule_id || strcmp(r->syscall, sc) ||
							    !act_eq(r->action, want))
								continue;
							uint32_t one;
							struct ir_policy tmp = *p;
							tmp.proc.rules = (struct ir_sys_rule *)r;
							tmp.proc.nrules = 1;
							ok = act_eq(ir_proc_decide(&tmp, sc, args, &one), want) && one == r->id;
						}
						FAIL_IF(!ok, "%s %s: query reports rule #%u, reference #%u", abi->name,
						        sc, d.rule_id, want_id);
					}
				}
			}
		}
	}
}

/* ---- filesystem --------------------------------------------------------------- */

/* Rights checked on the directory holding a path, not on the path itself. */
#define PARENT_RIGHTS                                                                          \
	(LL_FS_remove_dir | LL_FS_remove_file | LL_FS_make_char | LL_FS_make_dir | LL_FS_make_reg | \
	 LL_FS_make_sock | LL_FS_make_fifo | LL_FS_make_block | LL_FS_make_sym | LL_FS_refer)

static uint64_t handled_fs(const struct gpol *g)
{
	if (!g->fs_present)
		return 0;
	unsigned abi = g->min_abi;
	if (!abi) {
		abi = 3; /* truncate must be deniable */
		for (size_t i = 0; i < g->nfs; i++)
			for (size_t r = 0; r < NELEM(rights); r++)
				if ((fs_access(&g->fs[i]) & rights[r].bit) && rights[r].abi > abi)
					abi = rights[r].abi;
		if (g->net_present && abi < 4)
			abi = 4;
		if (!(g->proc_present && g->scopes_off) && abi < 6)
			abi = 6;
	}
	uint64_t h = 0;
	for (size_t r = 0; r < NELEM(rights); r++)
		if (rights[r].abi <= abi)
			h |= rights[r].bit;
	return h;
}

/* A query path: a rule's path, something beneath, above, beside it, or
 * elsewhere; then written with redundant '/', '.' and '..' parts. */
static void gen_query_path(const struct gpol *g, char *norm, size_t n, char *spelt, size_t sn)
{
	const char *base = g->nfs && chance(80) ? g->fs[rn((unsigned)g->nfs)].path : NULL;
	char tmp[128];
	if (!base)
		gen_path(tmp, sizeof(tmp));
	else {
		switch (rn(5)) {
		case 0: snprintf(tmp, sizeof(tmp), "%s", base); break;
		case 1: snprintf(tmp, sizeof(tmp), "%s/%s", strcmp(base, "/") ? base : "", PICK(comps)); break;
		case 2: { /* parent */
			snprintf(tmp, sizeof(tmp), "%s", base);
			char *sl = strrchr(tmp, '/');
			if (sl == tmp)
				tmp[1] = '\0';
			else
				*sl = '\0';
			break;
		}
		case 3: snprintf(tmp, sizeof(tmp), "%sx", strcmp(base, "/") ? base : "/"); break; /* prefix, not beneath */
		default: snprintf(tmp, sizeof(tmp), "%s/%s/%s", strcmp(base, "/") ? base : "", PICK(comps), PICK(comps)); break;
		}
	}
	snprintf(norm, n, "%s", tmp);
	/* spell it differently */
	size_t o = 0;
	const char *s = tmp;
	if (chance(20))
		o += (size_t)snprintf(spelt + o, sn - o, "/..");
	while (*s) {
		const char *e = strchr(s + 1, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);
		switch (rn(8)) {
		case 0: o += (size_t)snprintf(spelt + o, sn - o, "/"); break;
		case 1: o += (size_t)snprintf(spelt + o, sn - o, "/."); break;
		case 2: o += (size_t)snprintf(spelt + o, sn - o, "/zz/.."); break;
		default: break;
		}
		o += (size_t)snprintf(spelt + o, sn - o, "%.*s", (int)len, s);
		s += len;
	}
	if (o == 0)
		o += (size_t)snprintf(spelt, sn, "/");
	if (chance(15))
		snprintf(spelt + o, sn - o, "/");
}

static void check_fs(const struct gpol *g, const struct ir_policy *p, const struct art *art)
{
	uint64_t handled = handled_fs(g);
	for (int q = 0; q < 40; q++) {
		char norm[160], spelt[320];
		gen_query_path(g, norm, sizeof(norm), spelt, sizeof(spelt));
		uint64_t access = 0;
		for (unsigned k = 1 + rn(3); k; k--)
			access |= PICK(rights).bit;
		struct decision d;
		char err[256];
		int rc = ll_query(art, spelt, access, &d, err, sizeof(err));
		FAIL_IF(rc < 0, "ll_query %s: %s", spelt, err);
		nchecks[1]++;
		/* reference: every needed right granted by a rule on or above */
		uint64_t need = access & handled, granted = 0;
		size_t best_len = 0;
		const char *best = NULL;
		for (size_t i = 0; i < g->nfs; i++) {
			if (!under(norm, g->fs[i].path))
				continue;
			uint64_t gr = fs_access(&g->fs[i]) & need;
			if (!strcmp(norm, g->fs[i].path))
				gr &= ~(uint64_t)PARENT_RIGHTS;
			if (!gr)
				continue;
			granted |= gr;
			size_t l = strcmp(g->fs[i].path, "/") ? strlen(g->fs[i].path) : 1;
			if (l >= best_len) {
				best_len = l;
				best = g->fs[i].path;
			}
		}
		bool allowed = (granted & need) == need;
		char acc[512];
		ir_fs_access_str(acc, sizeof(acc), access);
		FAIL_IF(d.allowed != allowed, "query fs %s (%s) %s: says %s, reference says %s", spelt,
		        norm, acc, d.text, allowed ? "allow" : "deny");
		/* the reported rule: the most specific path that contributed */
		if (allowed && need) {
			uint32_t id = 0;
			for (size_t i = 0; i < p->fs.nrules && !id; i++)
				if (!strcmp(p->fs.rules[i].path, best))
					id = p->fs.rules[i].id;
			FAIL_IF(d.rule_id != id, "query fs %s %s: rule #%u, reference #%u (%s)", spelt, acc,
			        d.rule_id, id, best);
		} else
			FAIL_IF(d.rule_id != 0, "query fs %s: rule #%u on %s", spelt, d.rule_id, d.text);
	}
}

/* ---- network ------------------------------------------------------------------------ */

struct rhost {
	int kind; /* 0 invalid, 1 name, 2 wildcard (rows only), 4 v4, 6 v6 */
	char name[260];
	uint8_t addr[16];
	unsigned prefix;
};

static bool name_ok(const char *s)
{
	size_t n = strlen(s), lab = 0;
	if (n == 0 || n > 253)
		return false;
	bool digits_only = true;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (lab == 0 || lab > 63)
				return false;
			if (i == n && digits_only)
				return false;
			lab = 0;
			digits_only = true;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
		if (!isdigit((unsigned char)s[i]))
			digits_only = false;
		lab++;
	}
	return true;
}

static void parse_rhost(const char *in, struct rhost *h)
{
	memset(h, 0, sizeof(*h));
	char s[300];
	snprintf(s, sizeof(s), "%s", in);
	size_t n = strlen(s);
	if (s[0] == '[' && n > 2 && s[n - 1] == ']') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
	char *slash = strchr(s, '/');
	unsigned prefix = 0;
	if (slash) {
		*slash = '\0';
		prefix = (unsigned)atoi(slash + 1);
	}
	if (inet_pton(AF_INET, s, h->addr) == 1) {
		h->kind = 4;
		h->prefix = slash ? prefix : 32;
		return;
	}
	if (inet_pton(AF_INET6, s, h->addr) == 1) {
		static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		h->kind = 6;
		h->prefix = slash ? prefix : 128;
		if (!slash && memcmp(h->addr, mapped, 12) == 0) {
			memmove(h->addr, h->addr + 12, 4);
			memset(h->addr + 4, 0, 12);
			h->kind = 4;
			h->prefix = 32;
		}
		return;
	}
	n = strlen(s);
	if (n && s[n - 1] == '.')
		s[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	if (strncmp(s, "*.", 2) == 0) {
		h->kind = 2;
		snprintf(h->name, sizeof(h->name), "%s", s + 2);
		return;
	}
	if (name_ok(s)) {
		h->kind = 1;
		snprintf(h->name, sizeof(h->name), "%s", s);
	}
}

static bool prefix_eq(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	for (unsigned i = 0; i < bits; i++)
		if (((a[i / 8] >> (7 - i % 8)) & 1) != ((b[i / 8] >> (7 - i % 8)) & 1))
			return false;
	return true;
}

static bool host_match(const struct rhost *row, const struct rhost *q)
{
	switch (q->kind) {
	case 1:
		if (row->kind == 1)
			return !strcmp(row->name, q->name);
		if (row->kind == 2) {
			size_t a = strlen(q->name), b = strlen(row->name);
			return a > b + 1 && q->name[a - b - 1] == '.' && !strcmp(q->name + a - b, row->name);
		}
		return false;
	case 4:
	case 6: return row->kind == q->kind && prefix_eq(row->addr, q->addr, row->prefix);
	default: return false;
	}
}

static bool glob(const char *p, const char *s)
{
	if (!*p)
		return !*s;
	if (p[0] == '*' && p[1] == '*') {
		for (const char *t = s;; t++) {
			if (glob(p + 2, t))
				return true;
			if (!*t)
				return false;
		}
	}
	if (p[0] == '*') {
		for (const char *t = s;; t++) {
			if (glob(p + 1, t))
				return true;
			if (!*t || *t == '/')
				return false;
		}
	}
	return *s && *p == *s && glob(p + 1, s + 1);
}

static int method_bit(const char *m)
{
	static const char *const names[] = {"GET",   "HEAD",    "POST",    "PUT", "DELETE",
	                                    "PATCH", "OPTIONS", "CONNECT", "TRACE"};
	for (int i = 0; i < 9; i++)
		if (!strcmp(names[i], m))
			return i;
	return -1;
}

static void check_net(const struct gpol *g, const struct ir_policy *p, const struct art *art)
{
	struct rhost rows[MAX_NET];
	FAIL_IF(p->net.nrules != g->nnet, "IR has %zu outbound rules, the policy %zu", p->net.nrules,
	        g->nnet);
	for (size_t i = 0; i < g->nnet; i++)
		parse_rhost(hosts[g->net[i].host].text, &rows[i]);
	for (int k = 0; k < 40; k++) {
		const char *host = PICK(qhosts);
		char hbuf[INET6_ADDRSTRLEN + 8];
		if (g->nnet && chance(50)) { /* a host some row is about */
			const struct rhost *r = &rows[rn((unsigned)g->nnet)];
			uint8_t a[16];
			memcpy(a, r->addr, 16);
			if (r->kind == 1)
				snprintf(hbuf, sizeof(hbuf), "%s", r->name);
			else if (r->kind == 2)
				snprintf(hbuf, sizeof(hbuf), "%s.%s", chance(50) ? "z" : "y.z", r->name);
			else {
				/* inside the prefix, or just past its end */
				unsigned alen = r->kind == 4 ? 4 : 16;
				if (chance(50))
					a[alen - 1] ^= (uint8_t)(1 + rn(200));
				else if (r->prefix > 0 && r->prefix <= alen * 8)
					a[(r->prefix - 1) / 8] ^= (uint8_t)(0x80 >> ((r->prefix - 1) % 8));
				inet_ntop(r->kind == 4 ? AF_INET : AF_INET6, a, hbuf, sizeof(hbuf));
			}
			host = hbuf;
		}
		uint16_t port;
		if (g->nnet && chance(70)) {
			const struct gnet *n = &g->net[rn((unsigned)g->nnet)];
			size_t j = rn((unsigned)n->nports);
			int d = (int)rn(4);
			port = d == 0 ? n->lo[j] : d == 1 ? n->hi[j] : d == 2 ? (uint16_t)(n->lo[j] - 1)
			                                                        : (uint16_t)(n->hi[j] + 1);
			if (port == 0)
				port = 1;
		} else
			port = (uint16_t)(1 + rn(65535));
		const char *method = PICK(qmethods);
		const char *path = method ? PICK(qpaths) : NULL;
		struct decision d;
		char err[256];
		int rc = nt_query(art, host, port, method, path, &d, err, sizeof(err));
		FAIL_IF(rc < 0, "nt_query: %s", err);
		nchecks[2]++;

		/* reference */
		struct rhost q;
		parse_rhost(host, &q);
		bool unseen_m = !method || !strcmp(method, "CONNECT");
		int mbit = unseen_m ? -2 : method_bit(method);
		char cpath[64];
		const char *qp = NULL;
		bool malformed = false;
		if (path && !unseen_m) {
			snprintf(cpath, sizeof(cpath), "%.*s", (int)strcspn(path, "?"), path);
			if (!strncmp(cpath, "/%61", 4)) { /* the one escape the pool uses */
				cpath[0] = '/';
				cpath[1] = 'a';
				memmove(cpath + 2, cpath + 4, strlen(cpath + 4) + 1);
			}
			malformed = strstr(cpath, "/../") != NULL;
			qp = cpath;
		}
		bool want = false, tls_only = false;
		uint32_t want_id = 0;
		const char *why = "default";
		if (malformed)
			why = "malformed path";
		else if (q.kind == 0)
			why = "invalid host";
		else {
			uint32_t deny_id = 0, allow_id = 0;
			bool free_match = false, named = false;
			uint8_t sp = 0;
			bool special = q.kind != 1 &&
			               nt_addr_special(q.kind == 4 ? AF_INET : AF_INET6, q.addr, &sp);
			for (size_t i = 0; i < g->nnet; i++) {
				const struct gnet *n = &g->net[i];
				if (!host_match(&rows[i], &q))
					continue;
				bool pok = false;
				for (size_t j = 0; j < n->nports; j++)
					pok |= port >= n->lo[j] && port <= n->hi[j];
				if (!pok)
					continue;
				if (n->methods && mbit != -2 && (mbit < 0 || !(n->methods & (1u << mbit))))
					continue;
				if (n->npaths && qp) {
					bool m = false;
					for (size_t j = 0; j < n->npaths; j++)
						m |= glob(globs[n->paths[j]], qp);
					if (!m)
						continue;
				}
				uint32_t id = p->net.rules[i].id;
				if (n->deny) {
					if (!deny_id || id < deny_id)
						deny_id = id;
					continue;
				}
				if (!allow_id || id < allow_id)
					allow_id = id;
				bool constrained = (unseen_m && n->methods && !(n->methods & IR_METHOD(CONNECT))) ||
				                   (!qp && n->npaths);
				if (!constrained)
					free_match = true;
				if (rows[i].prefix >= sp)
					named = true;
			}
			if (deny_id) {
				want_id = deny_id;
				why = "deny row";
			} else if (allow_id && special && !named) {
				why = "special address not named";
			} else if (allow_id) {
				want = true;
				want_id = allow_id;
				tls_only = (unseen_m || !qp) && !free_match;
				why = "allow row";
			}
		}
		FAIL_IF(d.allowed != want || d.rule_id != want_id,
		        "query net %s %u %s %s: says %s (rule #%u), reference: %s (rule #%u, %s)", host,
		        port, method ? method : "-", path ? path : "-", d.text, d.rule_id,
		        want ? "allow" : "deny", want_id, why);
		FAIL_IF(want && (strstr(d.text, "TLS") != NULL) != tls_only,
		        "query net %s %u %s %s: says %s, reference tls_only %d", host, port,
		        method ? method : "-", path ? path : "-", d.text, tls_only);
	}
}

/* ---- the real binaries ------------------------------------------------------------- */

static int run(const char *cmd, char *out, size_t n)
{
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	size_t got = fread(out, 1, n - 1, f);
	out[got] = '\0';
	int st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void check_cli(const char *polc, const char *yaml_path, const struct buf *art_bytes,
                      const struct art *art)
{
	char pola[512], cmd[2048], out[4096];
	snprintf(pola, sizeof(pola), "%s.pola", yaml_path);
	snprintf(cmd, sizeof(cmd), "'%s' build '%s' -o '%s' 2>&1", polc, yaml_path, pola);
	int st = run(cmd, out, sizeof(out));
	FAIL_IF(st != 0, "polc build exited %d: %s", st, out);
	FILE *f = fopen(pola, "rb");
	ck_assert_ptr_nonnull(f);
	uint8_t *b = malloc(art_bytes->len + 1);
	size_t n = fread(b, 1, art_bytes->len + 1, f);
	fclose(f);
	/* Invariant 1: the same input gives the same bytes (also in-process). */
	FAIL_IF(n != art_bytes->len || memcmp(b, art_bytes->p, n) != 0,
	        "polc build wrote %zu bytes that differ from polc_compile's %zu", n, art_bytes->len);
	free(b);
	/* A few queries through the command: exit status and first word agree. */
	static const char *const qs[] = {"syscall socket 0x100000028 1 0", "syscall ptrace",
	                                 "syscall read 0 0 0", "fs /usr/lib/x read",
	                                 "fs /work/a write", "fs /tmp exec",
	                                 "net api.example.com 443 GET /api/x",
	                                 "net 10.1.2.3 80", "net x.other.org 443 CONNECT"};
	for (size_t i = 0; i < NELEM(qs); i++) {
		snprintf(cmd, sizeof(cmd), "'%s' query '%s' %s 2>&1", polc, pola, qs[i]);
		st = run(cmd, out, sizeof(out));
		char kind[16], a1[64] = "", a2[64] = "", a3[64] = "", a4[64] = "";
		int na = sscanf(qs[i], "%15s %63s %63s %63s %63s", kind, a1, a2, a3, a4);
		struct decision d;
		char err[256];
		int rc;
		if (!strcmp(kind, "syscall")) {
			uint64_t args[6] = {0};
			for (int k = 2; k < na; k++)
				args[k - 2] = strtoull(k == 2 ? a2 : k == 3 ? a3 : a4, NULL, 0);
			/* polc query answers as runmin enforces: with its guard. */
			rc = bpf_query_runmin(art, sysc_arch_by_name("x86_64"), a1, args, &d, err,
			                      sizeof(err));
		} else if (!strcmp(kind, "fs")) {
			uint64_t acc = !strcmp(a2, "read")    ? LL_FS_read_file
			               : !strcmp(a2, "write") ? LL_FS_write_file
			                                      : LL_FS_execute;
			rc = ll_query(art, a1, acc, &d, err, sizeof(err));
		} else {
			rc = nt_query(art, a1, (uint16_t)atoi(a2), na > 3 ? a3 : NULL, na > 4 ? a4 : NULL, &d,
			              err, sizeof(err));
		}
		FAIL_IF(rc < 0, "in-process query %s: %s", qs[i], err);
		FAIL_IF(st != (d.allowed ? 0 : 1) || strncmp(out, d.text, strlen(d.text)) != 0,
		        "polc query %s exited %d with '%s'; in-process: %s", qs[i], st, out, d.text);
	}
	unlink(pola);
}

/* ---- the test ----------------------------------------------------------------------- */

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);
	return s && *s ? strtoull(s, NULL, 0) : def;
}

START_TEST(random_policies_agree)
{
	seed0 = env_u64("POLC_PROP_SEED", 0x5eed);
	unsigned npol = (unsigned)env_u64("POLC_PROP_N", 200);
	rng = seed0;
	const char *o = getenv("O");
	char polc[1024];
	snprintf(polc, sizeof(polc), "%s/polc", o && *o ? o : "build");
	bool have_polc = access(polc, X_OK) == 0;

	char dir[] = "/tmp/polc-prop-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	struct text t = {0};
	unsigned with_proc = 0, with_fs = 0, with_net = 0, cli = 0;
	for (unsigned i = 0; i < npol; i++) {
		struct gpol g;
		gen_policy(&g);
		emit_policy(&g, &t, i);
		cur_idx = i;
		cur_yaml = t.p;
		FILE *f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fwrite(t.p, 1, t.len, f);
		fclose(f);

		struct arena *a = arena_new();
		struct load_ctx lc = {.a = a, .d = diag_sink_new(a)};
		char *paths[] = {path};
		struct ir_policy *p = load_inputs(&lc, paths, 1);
		if (!p || diag_errors(lc.d)) {
			for (size_t k = 0; k < diag_count(lc.d); k++)
				fprintf(stderr, "  %s\n", diag_get(lc.d, k)->msg);
		}
		FAIL_IF(!p, "a valid policy was refused (diagnostics above)");
		struct buf out = {0};
		int rc = polc_compile(p, lc.d, &out);
		if (rc < 0)
			for (size_t k = 0; k < diag_count(lc.d); k++)
				fprintf(stderr, "  %s\n", diag_get(lc.d, k)->msg);
		FAIL_IF(rc < 0, "polc_compile failed on a valid policy (diagnostics above)");
		struct art art;
		char err[256];
		FAIL_IF(art_parse(&art, out.p, out.len, err, sizeof(err)) < 0, "art_parse: %s", err);

		check_syscalls(&g, p, &art);
		check_fs(&g, p, &art);
		check_net(&g, p, &art);
		if (have_polc && i < 4) {
			check_cli(polc, path, &out, &art);
			cli++;
		}
		with_proc += g.proc_present && g.nsys;
		with_fs += g.fs_present && g.nfs;
		with_net += g.net_present && g.nnet;
		buf_free(&out);
		arena_free(a);
	}
	fprintf(stderr,
	        "property: seed 0x%llx, %u policies (%u with syscall rules, %u with fs rules, %u with "
	        "outbound rows, %u through the polc binary): %lu syscall, %lu fs, %lu net queries "
	        "agree\n",
	        (unsigned long long)seed0, npol, with_proc, with_fs, with_net, cli, nchecks[0],
	        nchecks[1], nchecks[2]);
	ck_assert_uint_gt(with_proc, npol / 2);
	ck_assert_uint_gt(with_fs, npol / 2);
	ck_assert_uint_gt(with_net, npol / 2);
	unlink(path);
	rmdir(dir);
	free(t.p);
}
END_TEST

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	Suite *s = suite_create("property");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, random_policies_agree);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf ? 1 : 0;
}
