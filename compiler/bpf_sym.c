/* bpf_sym.c — every path a seccomp program can take for one (arch, nr),
 * with the set of argument values that takes it.
 *
 * nr and arch are concrete; each argument word is a 32-bit unknown whose
 * possible values along a path are kept as a union of disjoint ternary
 * blocks {x : (x & mask) == value}.  A comparison of a word with a
 * constant splits the current set into the part where it holds and the
 * part where it does not; empty parts are infeasible paths and dropped.
 * Ternary blocks are closed under intersection and every comparison the
 * backend emits (JEQ/JGT/JGE/JSET, after an optional AND) yields a finite
 * union of them, so the enumeration is exact for polc's programs.
 *
 * Used by translation validation (every path of an argument-free syscall
 * must end in the expected RET; every path of a conditional one is tried
 * at a witness) and by the OCI export (each path becomes masked_eq
 * conditions). */
#include <stdlib.h>
#include <string.h>

#include "bpf.h"

#define MAX_BLOCKS 4096       /* per word per path */
#define WORK_BUDGET 4000000u  /* block pairs intersected, per enumeration */

struct tset {
	struct bpf_tern *b; /* NULL with n == 0 and any == true: unconstrained */
	size_t n;
	bool any;
};

enum { V_CONST, V_WORD, V_UNKNOWN };

struct state {
	size_t pc;
	int kind;       /* what A holds */
	uint32_t k;     /* V_CONST: value */
	unsigned word;  /* V_WORD: which word */
	uint32_t mask;  /* V_WORD: A = word & mask */
	struct tset w[12];
};

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		abort();
	return p;
}

static struct tset tset_copy(const struct tset *s)
{
	struct tset r = {NULL, s->n, s->any};
	if (s->n) {
		r.b = xmalloc(s->n * sizeof(*r.b));
		memcpy(r.b, s->b, s->n * sizeof(*r.b));
	}
	return r;
}

static void state_free(struct state *s)
{
	for (int i = 0; i < 12; i++)
		free(s->w[i].b);
}

static struct state state_copy(const struct state *s)
{
	struct state r = *s;
	for (int i = 0; i < 12; i++)
		r.w[i] = tset_copy(&s->w[i]);
	return r;
}

struct blist {
	struct bpf_tern v[96];
	size_t n;
};

static void badd(struct blist *l, uint32_t m, uint32_t v)
{
	l->v[l->n++] = (struct bpf_tern){m, v & m};
}

/* [lo, hi] as aligned power-of-two blocks (at most 62). */
static void interval(struct blist *l, uint32_t lo, uint32_t hi)
{
	uint64_t x = lo, h = hi;
	while (x <= h) {
		uint64_t size = x ? (x & -x) : (1ull << 32);
		while (x + size - 1 > h)
			size >>= 1;
		badd(l, (uint32_t)~(size - 1), (uint32_t)x);
		x += size;
	}
}

/* {x : x & m == v} and its complement as disjoint blocks. */
static void complement(struct blist *l, uint32_t m, uint32_t v)
{
	uint32_t above = 0;
	for (int b = 31; b >= 0; b--) {
		uint32_t bit = 1u << b;
		if (!(m & bit))
			continue;
		badd(l, above | bit, (v & above) | (~v & bit));
		above |= bit;
	}
}

/* x & k != 0, disjoint: the lowest set bit of (x & k) is b. */
static void jset_true(struct blist *l, uint32_t k)
{
	uint32_t below = 0;
	for (int b = 0; b < 32; b++) {
		uint32_t bit = 1u << b;
		if (!(k & bit))
			continue;
		badd(l, below | bit, bit);
		below |= bit;
	}
}

/* s := s ∩ l.  Returns -1 if too many blocks; sets empty (n == 0, !any)
 * when infeasible. */
static int intersect(struct tset *s, const struct blist *l, size_t *work)
{
	if (s->any) {
		s->b = xmalloc(l->n * sizeof(*s->b));
		memcpy(s->b, l->v, l->n * sizeof(*s->b));
		s->n = l->n;
		s->any = false;
		return 0;
	}
	size_t cap = s->n * l->n, n = 0;
	*work += cap;
	if (*work > WORK_BUDGET)
		return -1;
	if (cap > MAX_BLOCKS)
		cap = MAX_BLOCKS + 1;
	struct bpf_tern *r = xmalloc((cap ? cap : 1) * sizeof(*r));
	for (size_t i = 0; i < s->n; i++)
		for (size_t j = 0; j < l->n; j++) {
			const struct bpf_tern *a = &s->b[i], *b = &l->v[j];
			if ((a->value ^ b->value) & a->mask & b->mask)
				continue;
			if (n == MAX_BLOCKS) {
				free(r);
				return -1;
			}
			r[n++] = (struct bpf_tern){a->mask | b->mask, a->value | b->value};
		}
	free(s->b);
	s->b = r;
	s->n = n;
	return 0;
}

/* The values of the raw word for which "A op k" holds (want) or fails,
 * where A = word & mask. */
static int split(uint16_t code, uint32_t k, uint32_t mask, bool want, struct blist *l)
{
	l->n = 0;
	unsigned op = code & 0xf0;
	if (mask != 0xffffffffu) {
		/* After an AND only equality and bit tests are modelled. */
		if (op == 0x10) { /* (x & m) == k */
			if (k & ~mask) {
				if (!want)
					badd(l, 0, 0);
				return 0;
			}
			if (want)
				badd(l, mask, k);
			else
				complement(l, mask, k);
			return 0;
		}
		if (op == 0x40) {
			k &= mask;
		} else {
			return -1;
		}
	}
	switch (op) {
	case 0x10: /* jeq */
		if (want)
			badd(l, 0xffffffffu, k);
		else
			complement(l, 0xffffffffu, k);
		return 0;
	case 0x20: /* jgt */
		if (want) {
			if (k != 0xffffffffu)
				interval(l, k + 1, 0xffffffffu);
		} else {
			interval(l, 0, k);
		}
		return 0;
	case 0x30: /* jge */
		if (want)
			interval(l, k, 0xffffffffu);
		else if (k)
			interval(l, 0, k - 1);
		return 0;
	case 0x40: /* jset */
		if (want)
			jset_true(l, k);
		else
			badd(l, k, 0);
		return 0;
	}
	return -1;
}

static bool concrete(uint16_t code, uint32_t a, uint32_t k)
{
	switch (code & 0xf0) {
	case 0x10: return a == k;
	case 0x20: return a > k;
	case 0x30: return a >= k;
	case 0x40: return (a & k) != 0;
	}
	return false;
}

long bpf_sym_paths(const struct bpf_insn *prog, size_t n, uint32_t arch, uint32_t nr,
                   size_t max_paths, void (*fn)(const struct bpf_path *, void *), void *ctx)
{
	struct state *stack = xmalloc(4 * sizeof(*stack));
	size_t sp = 0, cap = 4;
	long paths = 0;
	size_t work = 0;
	memset(&stack[0], 0, sizeof(stack[0]));
	stack[0].kind = V_UNKNOWN;
	for (int i = 0; i < 12; i++)
		stack[0].w[i].any = true;
	sp = 1;
	while (sp) {
		struct state s = stack[--sp];
		for (;;) {
			if (s.pc >= n)
				goto unsupported_s;
			const struct bpf_insn *in = &prog[s.pc];
			if (in->code == 0x20) { /* ld [k] */
				if (in->k == BPF_SD_NR || in->k == BPF_SD_ARCH) {
					s.kind = V_CONST;
					s.k = in->k == BPF_SD_NR ? nr : arch;
				} else if (in->k >= 16 && in->k < BPF_SD_SIZE && !(in->k & 3)) {
					s.kind = V_WORD;
					/* low word of arg i is word 2i, high word 2i + 1 */
					s.word = ((in->k - 16) / 8) * 2 + ((in->k & 4) ? 1 : 0);
					s.mask = 0xffffffffu;
				} else {
					goto unsupported_s;
				}
				s.pc++;
				continue;
			}
			if (in->code == 0x54) { /* and #k */
				if (s.kind == V_CONST)
					s.k &= in->k;
				else if (s.kind == V_WORD)
					s.mask &= in->k;
				else
					goto unsupported_s;
				s.pc++;
				continue;
			}
			if (in->code == 0x05) {
				if (in->k >= n - s.pc - 1)
					goto unsupported_s;
				s.pc += 1 + in->k;
				continue;
			}
			if (in->code == 0x06) {
				struct bpf_path p;
				for (int i = 0; i < 12; i++) {
					p.blocks[i] = s.w[i].any ? NULL : s.w[i].b;
					p.nblocks[i] = s.w[i].any ? 0 : s.w[i].n;
				}
				p.ret = in->k;
				p.ret_at = (uint32_t)s.pc;
				if ((size_t)paths >= max_paths)
					goto unsupported_s;
				paths++;
				fn(&p, ctx);
				state_free(&s);
				break;
			}
			if ((in->code & 0x07) == 0x05 && (in->code & 0x08) == 0 &&
			    (in->code & 0xf0) >= 0x10 && (in->code & 0xf0) <= 0x40) {
				size_t t = s.pc + 1 + in->jt, f = s.pc + 1 + in->jf;
				if (t >= n || f >= n)
					goto unsupported_s;
				if (s.kind == V_CONST) {
					s.pc = concrete(in->code, s.k, in->k) ? t : f;
					continue;
				}
				if (s.kind != V_WORD)
					goto unsupported_s;
				struct blist lt, lf;
				if (split(in->code, in->k, s.mask, true, &lt) < 0 ||
				    split(in->code, in->k, s.mask, false, &lf) < 0)
					goto unsupported_s;
				struct state other = state_copy(&s);
				if (intersect(&s.w[s.word], &lt, &work) < 0 ||
				    intersect(&other.w[s.word], &lf, &work) < 0) {
					state_free(&other);
					goto unsupported_s;
				}
				bool tok = s.w[s.word].n > 0, fok = other.w[s.word].n > 0;
				if (fok) {
					other.pc = f;
					if (sp == cap) {
						cap *= 2;
						stack = realloc(stack, cap * sizeof(*stack));
						if (!stack)
							abort();
					}
					stack[sp++] = other;
				} else {
					state_free(&other);
				}
				if (!tok) {
					state_free(&s);
					break;
				}
				s.pc = t;
				continue;
			}
			goto unsupported_s;
		}
		continue;
	unsupported_s:
		state_free(&s);
		while (sp)
			state_free(&stack[--sp]);
		free(stack);
		return -1;
	}
	free(stack);
	return paths;
}
