/* bpf_disasm.c — reading SECCOMP sections: decoding and checking them,
 * disassembly (polc inspect) and decisions (polc query).  Every answer comes
 * from the artifact's own program through the interpreter in bpfsim.c. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bpf.h"
#include "rm_guard.h"

int bpf_from_section(const struct art_section *s, struct bpf_prog *pr, uint32_t *arch, char *err,
                     size_t errlen)
{
	memset(pr, 0, sizeof(*pr));
	struct art_sc sc;
	if (art_sc_parse(&sc, s, err, errlen) < 0)
		return -1;
	pr->n = sc.ninsns;
	pr->insns = malloc(pr->n * sizeof(*pr->insns));
	pr->ret_rule = malloc(pr->n * sizeof(*pr->ret_rule));
	if (!pr->insns || !pr->ret_rule)
		abort();
	for (uint32_t i = 0; i < sc.ninsns; i++) {
		struct art_sc_insn in = art_sc_insn(&sc, i);
		pr->insns[i] = (struct bpf_insn){in.code, in.jt, in.jf, in.k};
		pr->ret_rule[i] = BPF_RULE_MULTI;
	}
	struct art_cur c = {sc.map, (size_t)sc.nmap * 8, 0};
	for (uint32_t j = 0; j < sc.nmap; j++) {
		uint32_t idx = art_u32(&c), id = art_u32(&c);
		if (c.bad || idx >= pr->n || (pr->insns[idx].code & 0x07) != 0x06 ||
		    pr->ret_rule[idx] != BPF_RULE_MULTI) {
			snprintf(err, errlen, "seccomp section: bad rule map entry %u", j);
			bpf_prog_free(pr);
			return -1;
		}
		pr->ret_rule[idx] = id;
	}
	char why[256];
	if (bpf_check(pr->insns, pr->n, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "seccomp program for arch 0x%08x is invalid: %s", sc.arch, why);
		bpf_prog_free(pr);
		return -1;
	}
	*arch = sc.arch;
	return 0;
}

/* ---- what A holds, for annotations ----------------------------------------------- */

enum { A_UNK, A_NR, A_ARCH, A_ARG, A_IP, A_CALC };

struct astate {
	uint8_t src, word; /* A_ARG: argument word (lo = 2i, hi = 2i + 1) */
	bool reached, arch_known;
	uint32_t arch;
};

static void meet(struct astate *dst, const struct astate *s)
{
	if (!dst->reached) {
		*dst = *s;
		dst->reached = true;
		return;
	}
	if (dst->src != s->src || dst->word != s->word)
		dst->src = A_UNK;
	if (!s->arch_known || !dst->arch_known || dst->arch != s->arch)
		dst->arch_known = false;
}

static void flow(const struct bpf_insn *prog, size_t n, struct astate *st)
{
	memset(st, 0, n * sizeof(*st));
	st[0].reached = true;
	for (size_t i = 0; i < n; i++) {
		if (!st[i].reached)
			continue;
		const struct bpf_insn *in = &prog[i];
		struct astate out = st[i];
		switch (in->code & 0x07) {
		case 0x00: /* LD */
			if (in->code == 0x20) {
				out.src = in->k == BPF_SD_NR     ? A_NR
				          : in->k == BPF_SD_ARCH ? A_ARCH
				          : in->k >= 16          ? A_ARG
				                                 : A_IP;
				out.word = in->k >= 16 ? (uint8_t)((in->k - 16) / 4) : 0;
			} else {
				out.src = A_CALC;
			}
			break;
		case 0x04: out.src = A_CALC; break;
		case 0x07:
			if ((in->code & 0xf8) == 0x80)
				out.src = A_CALC;
			break;
		case 0x05:
			if ((in->code & 0xf0) == 0x00) {
				meet(&st[i + 1 + in->k], &out);
			} else {
				struct astate t = out;
				if (out.src == A_ARCH && (in->code & 0xf0) == 0x10) {
					t.arch_known = true;
					t.arch = in->k;
				}
				meet(&st[i + 1 + in->jt], &t);
				meet(&st[i + 1 + in->jf], &out);
			}
			continue;
		case 0x06: continue;
		}
		if (i + 1 < n)
			meet(&st[i + 1], &out);
	}
}

static const char *arch_name(uint32_t audit)
{
	const struct sysc_arch *a = sysc_arch_by_audit(audit);
	if (a)
		return a->name;
	static const char *const names[] = {"i386", "arm"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const struct sysc_arch *x = sysc_arch_by_name(names[i]);
		if (x && x->audit_arch == audit)
			return x->name;
	}
	return NULL;
}

/* The ABI whose number k is, on a path where the arch is (maybe) known. */
static const struct sysc_arch *abi_for(const struct sysc_arch *native, const struct astate *s,
                                       uint32_t k)
{
	int n;
	const struct sysc_arch *const *o = sysc_other_abis(native, &n);
	uint32_t arch = s->arch_known ? s->arch : native->audit_arch;
	if (arch != native->audit_arch) {
		for (int i = 0; i < n; i++)
			if (o[i]->audit_arch == arch)
				return o[i];
		return NULL;
	}
	for (int i = 0; i < n; i++)
		if (o[i]->audit_arch == arch && k >= SYSC_X32_BIT)
			return o[i];
	return native;
}

static void action_text(char *buf, size_t n, uint32_t ret)
{
	struct ir_action a;
	if (bpf_action_of(ret, &a) == 0)
		ir_action_str(buf, n, a);
	else
		snprintf(buf, n, "0x%08x", ret);
}

static void disasm(const struct bpf_insn *prog, size_t n, size_t i, const struct astate *st,
                   const struct sysc_arch *native, char *buf, size_t len, char *note,
                   size_t notelen)
{
	static const char *const jops[] = {"ja", "jeq", "jgt", "jge", "jset"};
	static const char *const alu[] = {"add", "sub", "mul", "div", "or", "and", "lsh", "rsh",
	                                  "neg", "mod", "xor"};
	const struct bpf_insn *in = &prog[i];
	note[0] = '\0';
	switch (in->code & 0x07) {
	case 0x00:
	case 0x01: {
		const char *op = (in->code & 0x07) ? "ldx" : "ld";
		switch (in->code & 0xe0) {
		case 0x20:
			snprintf(buf, len, "%-4s [%u]", op, in->k);
			if (in->k == BPF_SD_NR)
				snprintf(note, notelen, "nr");
			else if (in->k == BPF_SD_ARCH)
				snprintf(note, notelen, "arch");
			else if (in->k >= 16)
				snprintf(note, notelen, "arg%u %s", (in->k - 16) / 8, (in->k & 4) ? "hi" : "lo");
			else
				snprintf(note, notelen, "instruction_pointer %s", (in->k & 4) ? "hi" : "lo");
			break;
		case 0x00: snprintf(buf, len, "%-4s #0x%x", op, in->k); break;
		case 0x60: snprintf(buf, len, "%-4s M[%u]", op, in->k); break;
		case 0x80: snprintf(buf, len, "%-4s #len", op); break;
		default: snprintf(buf, len, "%-4s ?", op); break;
		}
		break;
	}
	case 0x02: snprintf(buf, len, "st   M[%u]", in->k); break;
	case 0x03: snprintf(buf, len, "stx  M[%u]", in->k); break;
	case 0x04: {
		unsigned op = (in->code & 0xf0) >> 4;
		snprintf(buf, len, "%-4s %s", op < 11 ? alu[op] : "alu?",
		         (in->code & 0x08) ? "x" : "");
		if (!(in->code & 0x08))
			snprintf(buf + strlen(buf), len - strlen(buf), "#0x%x", in->k);
		break;
	}
	case 0x05: {
		unsigned op = (in->code & 0xf0) >> 4;
		if (op == 0) {
			snprintf(buf, len, "ja   %zu", i + 1 + (size_t)in->k);
			break;
		}
		snprintf(buf, len, "%-4s #0x%-8x -> %zu, %zu", op < 5 ? jops[op] : "j?", in->k,
		         i + 1 + (size_t)in->jt, i + 1 + (size_t)in->jf);
		if (in->code & 0x08) {
			snprintf(buf, len, "%-4s x -> %zu, %zu", op < 5 ? jops[op] : "j?",
			         i + 1 + (size_t)in->jt, i + 1 + (size_t)in->jf);
			break;
		}
		const struct astate *s = &st[i];
		if (s->src == A_ARCH) {
			const char *an = arch_name(in->k);
			if (an)
				snprintf(note, notelen, "%s", an);
		} else if (s->src == A_NR) {
			const struct sysc_arch *abi = abi_for(native, s, in->k);
			const char *name = abi ? sysc_name(abi, (int)in->k) : NULL;
			if (name)
				snprintf(note, notelen, "%s%s%s", name, abi != native ? " " : "",
				         abi != native ? abi->name : "");
			else if (abi && abi != native && abi->audit_arch == native->audit_arch &&
			         in->k == SYSC_X32_BIT)
				snprintf(note, notelen, "x32 (bit 30)");
			else if (abi && in->k > sysc_max_nr(abi, abi != native && abi->audit_arch ==
			                                                    native->audit_arch
			                                            ? UINT32_MAX
			                                            : SYSC_X32_BIT))
				snprintf(note, notelen, "beyond the last syscall");
		} else if (s->src == A_ARG) {
			snprintf(note, notelen, "arg%u %s", s->word / 2, (s->word & 1) ? "hi" : "lo");
		}
		break;
	}
	case 0x06: {
		char a[64];
		if ((in->code & 0x18) == 0x10)
			snprintf(buf, len, "ret  a");
		else {
			action_text(a, sizeof(a), in->k);
			snprintf(buf, len, "ret  %s", a);
		}
		break;
	}
	case 0x07: snprintf(buf, len, "%s", (in->code & 0xf8) == 0x80 ? "txa" : "tax"); break;
	}
}

void bpf_disasm_insn(const struct bpf_insn *prog, size_t n, size_t i,
                     const struct sysc_arch *native, char *buf, size_t len)
{
	struct astate *st = calloc(n ? n : 1, sizeof(*st));
	if (!st)
		abort();
	flow(prog, n, st);
	char note[96];
	disasm(prog, n, i, st, native, buf, len, note, sizeof(note));
	if (note[0])
		snprintf(buf + strlen(buf), len - strlen(buf), "  ; %s", note);
	free(st);
}

/* "rule #3 allow read (p.yaml:4:5)" or a reserved meaning. */
static void rule_note(char *buf, size_t n, const struct meta *m, uint32_t id, bool has_entry)
{
	if (!has_entry) {
		snprintf(buf, n, "several rules");
		return;
	}
	switch (id) {
	case BPF_RULE_DEFAULT: snprintf(buf, n, "default"); return;
	case BPF_RULE_OTHER_ABI: snprintf(buf, n, "other_abis (x32/i386/arm)"); return;
	case BPF_RULE_CLONE3:
		snprintf(buf, n, "implicit: clone3 -> ENOSYS, glibc falls back to clone");
		return;
	case BPF_RULE_BAD_ARCH: snprintf(buf, n, "arch not handled"); return;
	}
	const struct meta_rule *r = m ? meta_rule(m, id) : NULL;
	if (r)
		snprintf(buf, n, "rule #%u %s (%s:%u:%u)", id, r->text ? r->text : "",
		         r->file ? r->file : "", r->line, r->col);
	else
		snprintf(buf, n, "rule #%u", id);
}

int bpf_inspect(const struct art_section *s, const struct meta *m, FILE *out, json_t **json,
                char *err, size_t errlen)
{
	struct bpf_prog pr;
	uint32_t arch;
	if (bpf_from_section(s, &pr, &arch, err, errlen) < 0)
		return -1;
	const struct sysc_arch *native = sysc_arch_by_audit(arch);
	if (!native) {
		snprintf(err, errlen, "seccomp program for unknown arch 0x%08x", arch);
		bpf_prog_free(&pr);
		return -1;
	}
	struct astate *st = calloc(pr.n, sizeof(*st));
	if (!st)
		abort();
	flow(pr.insns, pr.n, st);
	size_t nret = 0;
	for (size_t i = 0; i < pr.n; i++)
		nret += (pr.insns[i].code & 0x07) == 0x06;
	/* Argument-free allowed syscalls the kernel's cache will skip. */
	int cached = 0, total = sysc_count(native);
	for (int i = 0; i < total; i++) {
		uint32_t nr;
		const char *name;
		sysc_entry(native, i, &nr, &name);
		cached += bpf_const_allow(pr.insns, pr.n, arch, nr);
	}
	json_t *insns = json ? json_array() : NULL;
	if (out)
		fprintf(out,
		        "seccomp %s (arch 0x%08x): %zu instructions, %zu returns, %d syscalls "
		        "cached by the kernel\n",
		        native->name, arch, pr.n, nret, cached);
	for (size_t i = 0; i < pr.n; i++) {
		char text[160], note[96], rn[512];
		disasm(pr.insns, pr.n, i, st, native, text, sizeof(text), note, sizeof(note));
		bool is_ret = (pr.insns[i].code & 0x07) == 0x06;
		if (is_ret)
			rule_note(rn, sizeof(rn), m, pr.ret_rule[i], pr.ret_rule[i] != BPF_RULE_MULTI);
		else
			snprintf(rn, sizeof(rn), "%s", note);
		if (out)
			fprintf(out, "  %4zu  %-34s%s%s\n", i, text, rn[0] ? "  ; " : "", rn);
		if (insns) {
			json_t *j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:s}", "index", (json_int_t)i,
			                      "code", (json_int_t)pr.insns[i].code, "jt",
			                      (json_int_t)pr.insns[i].jt, "jf", (json_int_t)pr.insns[i].jf,
			                      "k", (json_int_t)pr.insns[i].k, "text", text);
			if (note[0])
				json_object_set_new(j, "note", json_string(note));
			if (is_ret) {
				if (pr.ret_rule[i] != BPF_RULE_MULTI)
					json_object_set_new(j, "rule", json_integer(pr.ret_rule[i]));
				json_object_set_new(j, "decided_by", json_string(rn));
			}
			json_array_append_new(insns, j);
		}
	}
	if (json) {
		json_t *j = json_object();
		json_object_set_new(j, "arch", json_string(native->name));
		json_object_set_new(j, "audit_arch", json_integer(arch));
		json_object_set_new(j, "instructions", json_integer((json_int_t)pr.n));
		json_object_set_new(j, "returns", json_integer((json_int_t)nret));
		json_object_set_new(j, "cached_syscalls", json_integer(cached));
		json_object_set_new(j, "program", insns);
		*json = j;
	}
	free(st);
	bpf_prog_free(&pr);
	return 0;
}

/* The first unconditional process rule whose text is "<action> <syscall>":
 * names the rule behind a RET that serves several (merged ranges). */
static uint32_t rule_by_text(const struct meta *m, const char *action, const char *syscall)
{
	size_t al = strlen(action), sl = strlen(syscall);
	for (size_t i = 0; i < m->nrules; i++) {
		const struct meta_rule *r = &m->rules[i];
		if (!r->text || !r->domain || strcmp(r->domain, "process") != 0)
			continue;
		if (strncmp(r->text, action, al) == 0 && r->text[al] == ' ' &&
		    strncmp(r->text + al + 1, syscall, sl) == 0 && r->text[al + 1 + sl] == '\0')
			return r->id;
	}
	return 0;
}

/* polc test and polc diff ask many questions of one artifact: the decoded
 * program and the parsed metadata are kept between calls, keyed by a copy
 * of the section's bytes (so another artifact, even one built by hand with
 * no hashes, never hits). */
struct cached {
	uint8_t *bytes;
	size_t len;
};

static bool cache_hit(const struct cached *c, const struct art_section *s)
{
	return c->bytes && c->len == s->length && memcmp(c->bytes, s->data, s->length) == 0;
}

static void cache_set(struct cached *c, const struct art_section *s)
{
	free(c->bytes);
	c->bytes = malloc(s->length ? s->length : 1);
	if (!c->bytes)
		abort();
	memcpy(c->bytes, s->data, s->length);
	c->len = s->length;
}

static const struct bpf_prog *cached_prog(const struct art_section *s, char *err, size_t errlen)
{
	static struct cached key;
	static struct bpf_prog pr;
	if (cache_hit(&key, s))
		return &pr;
	bpf_prog_free(&pr);
	free(key.bytes);
	key.bytes = NULL;
	uint32_t audit;
	if (bpf_from_section(s, &pr, &audit, err, errlen) < 0)
		return NULL;
	cache_set(&key, s);
	return &pr;
}

static const struct meta *cached_meta(const struct art *a)
{
	static struct cached key;
	static struct meta m;
	static bool ok;
	const struct art_section *s = art_find(a, ART_SEC_META, 0);
	if (!s)
		return NULL;
	if (cache_hit(&key, s))
		return ok ? &m : NULL;
	if (ok)
		meta_free(&m);
	char err[128];
	ok = meta_parse(&m, a, err, sizeof(err)) == 0;
	cache_set(&key, s);
	return ok ? &m : NULL;
}

/* Runs the artifact's program for arch on (syscall, args).  Returns 1 with
 * *ret, *at (the RET's index) and *prog set; 0 when the artifact has no
 * process section at all (the kernel filters nothing); -1 with err. */
static int policy_run(const struct art *a, const struct sysc_arch *arch, const char *syscall,
                      const uint64_t args[6], uint32_t *ret, uint32_t *at,
                      const struct bpf_prog **prog, char *err, size_t errlen)
{
	const struct sysc_arch *host = sysc_host(arch);
	if (!host) {
		snprintf(err, errlen, "no seccomp program handles arch %s", arch->name);
		return -1;
	}
	int nr = sysc_resolve(arch, syscall);
	const struct art_section *s = art_find(a, ART_SEC_SECCOMP, host->audit_arch);
	if (!s && !art_find(a, ART_SEC_SECCOMP, 0)) {
		if (nr < 0) {
			snprintf(err, errlen, "%s has no system call '%s'", arch->name, syscall);
			return -1;
		}
		return 0;
	}
	if (!s) {
		snprintf(err, errlen, "the artifact has no seccomp program for %s", host->name);
		return -1;
	}
	if (nr < 0) {
		snprintf(err, errlen, "%s has no system call '%s'", arch->name, syscall);
		return -1;
	}
	const struct bpf_prog *pr = cached_prog(s, err, errlen);
	if (!pr)
		return -1;
	struct bpf_data d = {(uint32_t)nr, arch->audit_arch, 0,
	                     {args[0], args[1], args[2], args[3], args[4], args[5]}};
	*ret = bpf_run(pr->insns, pr->n, &d, at, NULL);
	*prog = pr;
	return 1;
}

/* d from a program's return value; -1 with err when it is no action. */
static int decision_of(uint32_t ret, struct decision *out, char *err, size_t errlen)
{
	struct ir_action act;
	if (bpf_action_of(ret, &act) < 0) {
		snprintf(err, errlen, "the program returned 0x%08x", ret);
		return -1;
	}
	ir_action_str(out->text, sizeof(out->text), act);
	out->allowed = act.kind == IR_ACT_ALLOW || act.kind == IR_ACT_LOG;
	return 0;
}

/* bpf_query, also giving the program's raw return value in *ret (ALLOW
 * when the artifact has no process section). */
static int query_ret(const struct art *a, const struct sysc_arch *arch, const char *syscall,
                     const uint64_t args[6], struct decision *out, uint32_t *ret, char *err,
                     size_t errlen)
{
	memset(out, 0, sizeof(*out));
	uint32_t at = 0;
	const struct bpf_prog *pr = NULL;
	int r = policy_run(a, arch, syscall, args, ret, &at, &pr, err, errlen);
	if (r < 0)
		return -1;
	if (r == 0) { /* no process section: the kernel filters nothing */
		*ret = BPF_RET_ALLOW;
		out->allowed = true;
		snprintf(out->text, sizeof(out->text), "allow");
		return 0;
	}
	if (decision_of(*ret, out, err, errlen) < 0)
		return -1;
	uint32_t rule = at < pr->n ? pr->ret_rule[at] : BPF_RULE_MULTI;
	if (rule != BPF_RULE_MULTI) {
		out->rule_id = rule >= BPF_RULE_RESERVED_MIN ? 0 : rule;
		out->note = rule == BPF_RULE_OTHER_ABI ? "process.other_abis: one action for every call "
		                                         "of this ABI"
		            : rule == BPF_RULE_CLONE3 ? "built in: clone3 fails with ENOSYS so that the "
		                                        "C library falls back to clone, whose flags a "
		                                        "filter can check"
		            : rule == BPF_RULE_BAD_ARCH ? "built in: an architecture the program does not "
		                                          "know is killed"
		                                        : NULL;
		return 0;
	}
	const struct meta *m = cached_meta(a);
	if (m)
		out->rule_id = rule_by_text(m, out->text, syscall);
	return 0;
}

int bpf_query(const struct art *a, const struct sysc_arch *arch, const char *syscall,
              const uint64_t args[6], struct decision *out, char *err, size_t errlen)
{
	uint32_t ret;
	return query_ret(a, arch, syscall, args, out, &ret, err, errlen);
}

/* What runmin's guard refuses, in words, by system call. */
static const char *guard_why(const char *syscall)
{
	if (!strcmp(syscall, "ioctl"))
		return "runmin's guard: TIOCSTI and TIOCLINUX are refused whatever the policy says";
	if (!strcmp(syscall, "socketcall"))
		return "runmin's guard: socketcall is refused whole (its arguments are out of a "
		       "filter's reach)";
	if (!strncmp(syscall, "io_uring", 8))
		return "runmin's guard: io_uring is refused whatever the policy says";
	return "runmin's guard: only AF_UNIX and TCP sockets are allowed";
}

int bpf_query_runmin(const struct art *a, const struct sysc_arch *arch, const char *syscall,
                     const uint64_t args[6], struct decision *out, char *err, size_t errlen)
{
	uint32_t pret;
	if (query_ret(a, arch, syscall, args, out, &pret, err, errlen) < 0)
		return -1;
	const struct sysc_arch *host = sysc_host(arch);
	struct sock_filter gf[RM_GUARD_MAX];
	int gn = host ? rm_guard_build(rm_guard_arch(host->audit_arch), true, gf) : -1;
	if (gn < 0) {
		snprintf(err, errlen, "runmin has no guard filter for %s", arch->name);
		return -1;
	}
	struct bpf_insn gi[RM_GUARD_MAX];
	for (int i = 0; i < gn; i++)
		gi[i] = (struct bpf_insn){gf[i].code, gf[i].jt, gf[i].jf, gf[i].k};
	int nr = sysc_resolve(arch, syscall);
	struct bpf_data d = {(uint32_t)nr, arch->audit_arch, 0,
	                     {args[0], args[1], args[2], args[3], args[4], args[5]}};
	uint32_t gret = bpf_run(gi, (size_t)gn, &d, NULL, NULL);
	/* The kernel runs every filter and keeps the most restrictive action
	 * (the lowest, as a signed number); among equals, the most recently
	 * installed filter's, which is the policy's (runmin installs it last). */
	if ((int32_t)(gret & 0xffff0000u) >= (int32_t)(pret & 0xffff0000u))
		return 0;
	struct decision g;
	memset(&g, 0, sizeof(g));
	if (decision_of(gret, &g, err, errlen) < 0)
		return -1;
	g.note = guard_why(syscall);
	*out = g;
	return 0;
}
