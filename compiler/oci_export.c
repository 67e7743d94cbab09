/* oci_export.c — an OCI / Docker seccomp profile from an artifact's seccomp
 * programs (polc export --format oci).
 *
 * The artifact holds programs, not the policy, so the profile is read back
 * from them: every named syscall of every handled arch is run symbolically
 * (bpf_sym.c); a syscall whose paths all end in one action becomes a plain
 * name in an entry for that action; otherwise each path whose action is not
 * the default becomes entries with one SCMP_CMP_MASKED_EQ (or SCMP_CMP_EQ)
 * condition per constrained argument, high and low words combined into one
 * 64-bit mask.  Paths are disjoint, so the entries never overlap and no
 * precedence between them matters; no argument index appears twice in an
 * entry (runc would OR such conditions).  A 32-bit argument's condition
 * masks only its low word, so a runtime that compares all 64 bits
 * (libseccomp) still decides exactly what the kernel sees: the upper-word
 * bypass stays closed in the exported profile.
 *
 * The other ABIs (x86/x32 on amd64, arm on arm64) are listed as
 * sub-architectures when the program decides them by the same rules; when
 * it gives them one fixed action they are left out, and the runtime
 * applies its own bad-arch action (a warning says so unless that is kill). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bpf.h"

#define MAX_ENTRIES 20000

struct cond {
	unsigned idx;
	uint64_t mask, value;
};

struct xent {
	const char *name;
	uint32_t ret;
	unsigned ncond;
	struct cond c[6];
	unsigned arches; /* bit per host */
};

struct xset {
	struct xent *v;
	size_t n, cap;
	bool overflow;
};

static void xadd(struct xset *s, const struct xent *e)
{
	if (s->n >= MAX_ENTRIES) {
		s->overflow = true;
		return;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			abort();
	}
	s->v[s->n++] = *e;
}

/* ---- paths -> entries ---------------------------------------------------------------- */

struct pcol {
	struct xset *out;
	const char *name;
	uint32_t def;
	unsigned host;
	uint32_t first_ret;
	bool mixed;
	long npaths;
	struct xset tmp; /* conditional entries of this syscall */
};

static const struct bpf_tern any_block = {0, 0};

static void on_path(const struct bpf_path *p, void *arg)
{
	struct pcol *c = arg;
	if (c->npaths++ == 0)
		c->first_ret = p->ret;
	else if (p->ret != c->first_ret)
		c->mixed = true;
	if (p->ret == c->def)
		return;
	/* Per argument: every (hi block, lo block) pair is one condition. */
	size_t count[6], total = 1;
	for (int i = 0; i < 6; i++) {
		size_t nl = p->blocks[2 * i] ? p->nblocks[2 * i] : 0;
		size_t nh = p->blocks[2 * i + 1] ? p->nblocks[2 * i + 1] : 0;
		count[i] = (nl || nh) ? (nl ? nl : 1) * (nh ? nh : 1) : 1;
		total *= count[i];
		if (total > MAX_ENTRIES) {
			c->tmp.overflow = true;
			return;
		}
	}
	for (size_t k = 0; k < total; k++) {
		struct xent e = {c->name, p->ret, 0, {{0}}, 1u << c->host};
		size_t rest = k;
		for (int i = 0; i < 6; i++) {
			size_t nl = p->blocks[2 * i] ? p->nblocks[2 * i] : 0;
			size_t nh = p->blocks[2 * i + 1] ? p->nblocks[2 * i + 1] : 0;
			if (!nl && !nh)
				continue;
			size_t pick = rest % count[i];
			rest /= count[i];
			const struct bpf_tern *lo = nl ? &p->blocks[2 * i][pick % nl] : &any_block;
			const struct bpf_tern *hi = nh ? &p->blocks[2 * i + 1][pick / (nl ? nl : 1)]
			                               : &any_block;
			uint64_t mask = (uint64_t)hi->mask << 32 | lo->mask;
			if (!mask)
				continue;
			e.c[e.ncond++] = (struct cond){(unsigned)i, mask,
			                               (uint64_t)hi->value << 32 | lo->value};
		}
		xadd(&c->tmp, &e);
	}
}

/* The entries of one syscall on one arch; -1 if the program cannot be
 * expressed (too many paths or entries). */
static int syscall_entries(const struct bpf_prog *pr, uint32_t arch, uint32_t nr,
                           const char *name, uint32_t def, unsigned host, struct xset *out)
{
	struct pcol c = {out, name, def, host, 0, false, 0, {0}};
	long np = bpf_sym_paths(pr->insns, pr->n, arch, nr, 100000, on_path, &c);
	int rc = 0;
	if (np < 0 || c.tmp.overflow) {
		rc = -1;
	} else if (!c.mixed) {
		if (c.first_ret != def) {
			struct xent e = {name, c.first_ret, 0, {{0}}, 1u << host};
			xadd(out, &e);
		}
	} else {
		for (size_t i = 0; i < c.tmp.n; i++)
			xadd(out, &c.tmp.v[i]);
	}
	free(c.tmp.v);
	return rc;
}

/* ---- the profile --------------------------------------------------------------------- */

static const char *const go_arch[] = {"amd64", "arm64"};
static const char *const scmp_native[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"};

static const char *scmp_of(const struct sysc_arch *abi)
{
	if (strcmp(abi->name, "i386") == 0)
		return "SCMP_ARCH_X86";
	if (strcmp(abi->name, "x32") == 0)
		return "SCMP_ARCH_X32";
	if (strcmp(abi->name, "arm") == 0)
		return "SCMP_ARCH_ARM";
	return NULL;
}

static json_t *action_json(json_t *obj, uint32_t ret, const char *key, const char *errkey)
{
	struct ir_action a;
	if (bpf_action_of(ret, &a) < 0)
		a.kind = IR_ACT_KILL;
	const char *s = "SCMP_ACT_KILL_PROCESS";
	switch (a.kind) {
	case IR_ACT_ALLOW: s = "SCMP_ACT_ALLOW"; break;
	case IR_ACT_LOG: s = "SCMP_ACT_LOG"; break;
	case IR_ACT_ERRNO: s = "SCMP_ACT_ERRNO"; break;
	case IR_ACT_TRAP: s = "SCMP_ACT_TRAP"; break;
	case IR_ACT_KILL_THREAD: s = "SCMP_ACT_KILL_THREAD"; break;
	case IR_ACT_KILL: s = "SCMP_ACT_KILL_PROCESS"; break;
	}
	json_object_set_new(obj, key, json_string(s));
	if (a.kind == IR_ACT_ERRNO)
		json_object_set_new(obj, errkey, json_integer(a.errno_val));
	return obj;
}

static int ent_cmp(const void *x, const void *y);

static bool same_conds(const struct xent *a, const struct xent *b)
{
	if (a->ret != b->ret || a->ncond != b->ncond)
		return false;
	for (unsigned i = 0; i < a->ncond; i++)
		if (a->c[i].idx != b->c[i].idx || a->c[i].mask != b->c[i].mask ||
		    a->c[i].value != b->c[i].value)
			return false;
	return true;
}

/* By name, then decision: what the merging passes need adjacent. */
static int name_cmp(const void *x, const void *y)
{
	const struct xent *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	struct xent a2 = *a, b2 = *b;
	a2.name = b2.name = "";
	a2.arches = b2.arches = 0;
	return ent_cmp(&a2, &b2);
}

static int ent_cmp(const void *x, const void *y)
{
	const struct xent *a = x, *b = y;
	if (a->ncond != b->ncond)
		return a->ncond < b->ncond ? -1 : 1;
	if (a->ret != b->ret)
		return a->ret < b->ret ? -1 : 1;
	for (unsigned i = 0; i < a->ncond; i++) {
		if (a->c[i].idx != b->c[i].idx)
			return a->c[i].idx < b->c[i].idx ? -1 : 1;
		if (a->c[i].mask != b->c[i].mask)
			return a->c[i].mask < b->c[i].mask ? -1 : 1;
		if (a->c[i].value != b->c[i].value)
			return a->c[i].value < b->c[i].value ? -1 : 1;
	}
	if (a->arches != b->arches)
		return a->arches < b->arches ? -1 : 1;
	return strcmp(a->name, b->name);
}

static void first_ret(const struct bpf_path *p, void *arg)
{
	*(uint32_t *)arg = p->ret;
}

/* Whether the program decides an ABI by one fixed, argument-free action;
 * *ret gets it. */
static bool uniform(const struct bpf_prog *pr, const struct sysc_arch *abi, uint32_t *ret)
{
	int cnt = sysc_count(abi);
	bool first = true;
	for (int i = 0; i < cnt; i++) {
		uint32_t nr;
		const char *name;
		sysc_entry(abi, i, &nr, &name);
		uint32_t r = 0;
		long np = bpf_sym_paths(pr->insns, pr->n, abi->audit_arch, nr, 1, first_ret, &r);
		if (np != 1 || (!first && r != *ret))
			return false;
		*ret = r;
		first = false;
	}
	return true;
}

json_t *oci_export(const struct art *a, char *warn, size_t warnlen, char *err, size_t errlen)
{
	warn[0] = '\0';
	struct xset all = {0};
	json_t *root = json_object();
	json_t *archmap = json_array();
	bool have_def = false;
	uint32_t def = BPF_RET_KILL_PROCESS;
	int nsec = 0;
	for (uint32_t s = 0; s < a->nsections; s++) {
		if (a->sec[s].type != ART_SEC_SECCOMP)
			continue;
		struct bpf_prog pr;
		uint32_t audit;
		if (bpf_from_section(&a->sec[s], &pr, &audit, err, errlen) < 0)
			goto fail;
		const struct sysc_arch *native = sysc_arch_by_audit(audit);
		unsigned host = native && strcmp(native->name, "aarch64") == 0 ? 1 : 0;
		if (!native) {
			bpf_prog_free(&pr);
			continue;
		}
		nsec++;
		/* The default: what an unnamed number below the first x32 number
		 * gets. */
		uint32_t hole = 0;
		while (sysc_name(native, (int)hole))
			hole++;
		struct bpf_data d = {hole, audit, 0, {0}};
		uint32_t this_def = bpf_run(pr.insns, pr.n, &d, NULL, NULL);
		if (!have_def) {
			def = this_def;
			have_def = true;
		} else if (this_def != def) {
			snprintf(err, errlen, "the programs of the artifact have different defaults");
			bpf_prog_free(&pr);
			goto fail;
		}
		json_t *entry = json_object();
		json_object_set_new(entry, "architecture", json_string(scmp_native[host]));
		json_t *subs = json_array();
		const struct sysc_arch *abis[4] = {native};
		int nabi = 1, no;
		const struct sysc_arch *const *o = sysc_other_abis(native, &no);
		for (int i = 0; i < no; i++) {
			uint32_t r = 0;
			bool u = uniform(&pr, o[i], &r);
			if (!u || r == BPF_RET_ALLOW) {
				abis[nabi++] = o[i];
				json_array_append_new(subs, json_string(scmp_of(o[i])));
			} else if (r != BPF_RET_KILL_PROCESS && r != BPF_RET_KILL_THREAD) {
				snprintf(warn, warnlen,
				         "%s gets one fixed action in the artifact, which OCI cannot state: "
				         "it is left out of the profile, so runtimes apply their bad-arch "
				         "action (usually kill)",
				         o[i]->name);
			}
		}
		json_object_set_new(entry, "subArchitectures", subs);
		json_array_append_new(archmap, entry);
		for (int k = 0; k < nabi; k++) {
			int cnt = sysc_count(abis[k]);
			for (int i = 0; i < cnt; i++) {
				uint32_t nr;
				const char *name;
				sysc_entry(abis[k], i, &nr, &name);
				if (syscall_entries(&pr, abis[k]->audit_arch, nr, name, def, host, &all) < 0 ||
				    all.overflow) {
					snprintf(err, errlen,
					         "%s on %s: too many argument cases to state as OCI conditions",
					         name, abis[k]->name);
					bpf_prog_free(&pr);
					goto fail;
				}
			}
		}
		bpf_prog_free(&pr);
	}
	if (nsec == 0) {
		snprintf(err, errlen, "the artifact has no seccomp program");
		goto fail;
	}
	/* Same name, same decision on several ABIs/hosts: once, with the
	 * hosts it holds on. */
	if (all.n > 1)
		qsort(all.v, all.n, sizeof(*all.v), name_cmp);
	size_t u = 0;
	for (size_t i = 0; i < all.n; i++) {
		if (u && strcmp(all.v[u - 1].name, all.v[i].name) == 0 &&
		    same_conds(&all.v[u - 1], &all.v[i])) {
			all.v[u - 1].arches |= all.v[i].arches;
			continue;
		}
		all.v[u++] = all.v[i];
	}
	all.n = u;
	/* A name whose entries hold on every host where the name exists needs
	 * no arch filter; otherwise each of its entries says where it holds. */
	for (size_t i = 0; i < all.n;) {
		size_t j = i;
		while (j < all.n && strcmp(all.v[j].name, all.v[i].name) == 0)
			j++;
		unsigned exists = 0;
		int na;
		const struct sysc_arch *arches = sysc_arches(&na);
		for (int h = 0; h < na && h < 2; h++) {
			if (sysc_resolve(&arches[h], all.v[i].name) >= 0)
				exists |= 1u << h;
			int nb;
			const struct sysc_arch *const *o = sysc_other_abis(&arches[h], &nb);
			for (int q = 0; q < nb; q++)
				if (sysc_resolve(o[q], all.v[i].name) >= 0)
					exists |= 1u << h;
		}
		bool differs = false;
		for (size_t k = i; k < j; k++)
			differs |= (all.v[k].arches & exists) != exists;
		for (size_t k = i; k < j && !differs; k++)
			all.v[k].arches = 0;
		i = j;
	}
	if (all.n > 1)
		qsort(all.v, all.n, sizeof(*all.v), ent_cmp);

	action_json(root, def, "defaultAction", "defaultErrnoRet");
	json_object_set_new(root, "archMap", archmap);
	archmap = NULL;
	json_t *sys = json_array();
	for (size_t i = 0; i < all.n;) {
		size_t j = i;
		json_t *names = json_array();
		/* entries with the same action, conditions and arches share one */
		while (j < all.n && same_conds(&all.v[i], &all.v[j]) && all.v[j].arches == all.v[i].arches) {
			json_array_append_new(names, json_string(all.v[j].name));
			j++;
		}
		json_t *e = json_object();
		json_object_set_new(e, "names", names);
		action_json(e, all.v[i].ret, "action", "errnoRet");
		if (all.v[i].ncond) {
			json_t *args = json_array();
			for (unsigned k = 0; k < all.v[i].ncond; k++) {
				const struct cond *c = &all.v[i].c[k];
				json_t *arg = json_object();
				json_object_set_new(arg, "index", json_integer(c->idx));
				/* jansson integers are signed: values above INT64_MAX are
				 * written through their bit pattern and fixed up below */
				if (c->mask == ~0ull) {
					json_object_set_new(arg, "value", json_integer((json_int_t)c->value));
					json_object_set_new(arg, "op", json_string("SCMP_CMP_EQ"));
				} else {
					json_object_set_new(arg, "value", json_integer((json_int_t)c->mask));
					json_object_set_new(arg, "valueTwo", json_integer((json_int_t)c->value));
					json_object_set_new(arg, "op", json_string("SCMP_CMP_MASKED_EQ"));
				}
				json_array_append_new(args, arg);
			}
			json_object_set_new(e, "args", args);
		}
		if (all.v[i].arches) {
			json_t *inc = json_object(), *arr = json_array();
			for (int h = 0; h < 2; h++)
				if (all.v[i].arches & (1u << h))
					json_array_append_new(arr, json_string(go_arch[h]));
			json_object_set_new(inc, "arches", arr);
			json_object_set_new(e, "includes", inc);
		}
		json_array_append_new(sys, e);
		i = j;
	}
	json_object_set_new(root, "syscalls", sys);
	free(all.v);
	return root;
fail:
	json_decref(archmap);
	json_decref(root);
	free(all.v);
	return NULL;
}

/* jansson prints integers as signed; uint64 values above INT64_MAX came
 * out negative (every other number in a profile is small and unsigned).
 * Returns the text with them written as unsigned (malloc'd). */
char *oci_export_dump(json_t *profile)
{
	char *s = json_dumps(profile, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!s)
		return NULL;
	struct buf b = {0};
	for (const char *p = s; *p;) {
		if (*p == '-' && p - s >= 2 && p[-1] == ' ' && p[-2] == ':') {
			char *end, num[32];
			long long v = strtoll(p, &end, 10);
			int w = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
			buf_bytes(&b, num, (size_t)w);
			p = end;
			continue;
		}
		buf_u8(&b, (uint8_t)*p++);
	}
	buf_u8(&b, 0);
	free(s);
	return (char *)b.p;
}
