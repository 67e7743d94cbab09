/* bpfsim.c — classic-BPF interpreter over struct seccomp_data, the kernel's
 * loader checks, and its action-cache emulation.  The same code answers
 * the compiler's translation validation, polc query/inspect/export, the
 * tests and the benchmark; see bpf.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bpf.h"

/* Classic BPF encoding (linux/filter.h), spelled out. */
enum {
	C_LD = 0x00, C_LDX = 0x01, C_ST = 0x02, C_STX = 0x03,
	C_ALU = 0x04, C_JMP = 0x05, C_RET = 0x06, C_MISC = 0x07,
};
#define CLASS(c) ((c) & 0x07)
#define SIZE(c) ((c) & 0x18)
#define MODE(c) ((c) & 0xe0)
#define OP(c) ((c) & 0xf0)
#define SRC(c) ((c) & 0x08)
enum { S_W = 0x00 };
enum { M_IMM = 0x00, M_ABS = 0x20, M_MEM = 0x60, M_LEN = 0x80 };
enum { J_JA = 0x00, J_JEQ = 0x10, J_JGT = 0x20, J_JGE = 0x30, J_JSET = 0x40 };
enum {
	A_ADD = 0x00, A_SUB = 0x10, A_MUL = 0x20, A_DIV = 0x30, A_OR = 0x40, A_AND = 0x50,
	A_LSH = 0x60, A_RSH = 0x70, A_NEG = 0x80, A_XOR = 0xa0,
};
enum { R_K = 0x00, R_A = 0x10 };
enum { X_TAX = 0x00, X_TXA = 0x80 };
#define MEMWORDS 16

/* ---- actions --------------------------------------------------------------- */

uint32_t bpf_ret_of(struct ir_action a)
{
	switch (a.kind) {
	case IR_ACT_ALLOW: return BPF_RET_ALLOW;
	case IR_ACT_LOG: return BPF_RET_LOG;
	case IR_ACT_ERRNO: return BPF_RET_ERRNO | (a.errno_val & 0xfffu);
	case IR_ACT_TRAP: return BPF_RET_TRAP;
	case IR_ACT_KILL_THREAD: return BPF_RET_KILL_THREAD;
	case IR_ACT_KILL: return BPF_RET_KILL_PROCESS;
	}
	return BPF_RET_KILL_PROCESS;
}

int bpf_action_of(uint32_t ret, struct ir_action *out)
{
	memset(out, 0, sizeof(*out));
	uint32_t data = ret & BPF_RET_DATA;
	switch (ret & BPF_RET_ACTION_FULL) {
	case BPF_RET_ALLOW: out->kind = IR_ACT_ALLOW; return data ? -1 : 0;
	case BPF_RET_LOG: out->kind = IR_ACT_LOG; return data ? -1 : 0;
	case BPF_RET_ERRNO:
		if (data > 4095)
			return -1;
		out->kind = IR_ACT_ERRNO;
		out->errno_val = (uint16_t)data;
		return 0;
	case BPF_RET_TRAP: out->kind = IR_ACT_TRAP; return 0;
	case BPF_RET_KILL_THREAD: out->kind = IR_ACT_KILL_THREAD; return data ? -1 : 0;
	case BPF_RET_KILL_PROCESS: out->kind = IR_ACT_KILL; return data ? -1 : 0;
	}
	return -1;
}

/* ---- checks ---------------------------------------------------------------- */

static int bad(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* Successors of instruction i: returns how many (0 for RET), in s[]. */
static int successors(const struct bpf_insn *in, size_t i, size_t s[2])
{
	if (CLASS(in->code) == C_RET)
		return 0;
	if (CLASS(in->code) == C_JMP) {
		if (OP(in->code) == J_JA) {
			s[0] = i + 1 + in->k;
			return 1;
		}
		s[0] = i + 1 + in->jt;
		s[1] = i + 1 + in->jf;
		return 2;
	}
	s[0] = i + 1;
	return 1;
}

int bpf_check(const struct bpf_insn *prog, size_t n, char *err, size_t errlen)
{
	if (n == 0 || n > BPF_MAXINSNS_KERNEL)
		return bad(err, errlen, "%zu instructions (the kernel takes 1 to %d)", n,
		           BPF_MAXINSNS_KERNEL);
	for (size_t i = 0; i < n; i++) {
		const struct bpf_insn *in = &prog[i];
		uint16_t c = in->code;
		bool ok = false;
		switch (CLASS(c)) {
		case C_LD:
			if (c == (C_LD | S_W | M_ABS)) {
				if (in->k >= BPF_SD_SIZE || (in->k & 3))
					return bad(err, errlen,
					           "insn %zu: load from offset %u outside seccomp_data or "
					           "unaligned",
					           i, in->k);
				ok = true;
			} else if (c == (C_LD | S_W | M_LEN) || c == (C_LD | M_IMM)) {
				ok = true;
			} else if (c == (C_LD | M_MEM)) {
				ok = in->k < MEMWORDS;
			}
			break;
		case C_LDX:
			if (c == (C_LDX | S_W | M_LEN) || c == (C_LDX | M_IMM))
				ok = true;
			else if (c == (C_LDX | M_MEM))
				ok = in->k < MEMWORDS;
			break;
		case C_ST:
		case C_STX: ok = c == C_ST || c == C_STX ? in->k < MEMWORDS : false; break;
		case C_ALU:
			switch (OP(c)) {
			case A_ADD: case A_SUB: case A_MUL: case A_OR: case A_AND: case A_XOR:
				ok = true;
				break;
			case A_DIV: ok = SRC(c) || in->k != 0; break;
			case A_LSH: case A_RSH: ok = SRC(c) || in->k < 32; break;
			case A_NEG: ok = SRC(c) == 0; break;
			}
			ok = ok && (c & 0x07) == C_ALU && (c & ~0xf8u) == C_ALU;
			break;
		case C_JMP:
			switch (OP(c)) {
			case J_JA:
				ok = c == (C_JMP | J_JA);
				if (ok && (in->k >= n || i + 1 + (size_t)in->k >= n))
					return bad(err, errlen, "insn %zu: jump beyond the end", i);
				break;
			case J_JEQ: case J_JGT: case J_JGE: case J_JSET:
				ok = (c & ~0xf8u) == C_JMP;
				if (ok && (i + 1 + (size_t)in->jt >= n || i + 1 + (size_t)in->jf >= n))
					return bad(err, errlen, "insn %zu: jump beyond the end", i);
				break;
			}
			break;
		case C_RET:
			if (c == (C_RET | R_K)) {
				struct ir_action a;
				if (bpf_action_of(in->k, &a) < 0)
					return bad(err, errlen, "insn %zu: return value 0x%08x is no action polc emits",
					           i, in->k);
				ok = true;
			} else if (c == (C_RET | R_A)) {
				return bad(err, errlen, "insn %zu: RET A (result not a constant)", i);
			}
			break;
		case C_MISC: ok = c == (C_MISC | X_TAX) || c == (C_MISC | X_TXA); break;
		}
		if (!ok)
			return bad(err, errlen, "insn %zu: invalid opcode 0x%04x (k=%u)", i, c, in->k);
	}
	if (CLASS(prog[n - 1].code) != C_RET)
		return bad(err, errlen, "the last instruction is not a RET");

	/* Scratch memory must be written before it is read, on every path
	 * (the kernel's check_load_and_stores).  Jumps only go forward, so one
	 * pass in order sees every predecessor first. */
	uint16_t valid[BPF_MAXINSNS_KERNEL];
	bool reached[BPF_MAXINSNS_KERNEL];
	memset(reached, 0, n * sizeof(reached[0]));
	reached[0] = true;
	valid[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (!reached[i])
			continue;
		const struct bpf_insn *in = &prog[i];
		uint16_t m = valid[i];
		if ((in->code == (C_LD | M_MEM) || in->code == (C_LDX | M_MEM)) && !(m & (1u << in->k)))
			return bad(err, errlen, "insn %zu: reads scratch word %u before any write", i,
			           in->k);
		if (CLASS(in->code) == C_ST || CLASS(in->code) == C_STX)
			m |= (uint16_t)(1u << in->k);
		size_t s[2];
		int ns = successors(in, i, s);
		for (int j = 0; j < ns; j++) {
			valid[s[j]] = reached[s[j]] ? (uint16_t)(valid[s[j]] & m) : m;
			reached[s[j]] = true;
		}
	}
	return 0;
}

/* ---- interpreter -------------------------------------------------------------- */

static uint32_t load_word(const struct bpf_data *d, uint32_t off)
{
	switch (off) {
	case BPF_SD_NR: return d->nr;
	case BPF_SD_ARCH: return d->arch;
	case BPF_SD_IP: return (uint32_t)d->ip;
	case BPF_SD_IP + 4: return (uint32_t)(d->ip >> 32);
	}
	if (off >= 16 && off < BPF_SD_SIZE && !(off & 3)) {
		uint64_t v = d->args[(off - 16) / 8];
		return (off & 4) ? (uint32_t)(v >> 32) : (uint32_t)v;
	}
	return 0;
}

uint32_t bpf_run(const struct bpf_insn *prog, size_t n, const struct bpf_data *d,
                 uint32_t *ret_at, uint32_t *steps)
{
	uint32_t A = 0, X = 0, M[MEMWORDS] = {0}, nsteps = 0;
	size_t pc = 0;
	uint32_t result = BPF_RET_KILL_THREAD, at = UINT32_MAX;
	while (pc < n) {
		const struct bpf_insn *in = &prog[pc];
		uint32_t src = SRC(in->code) ? X : in->k;
		nsteps++;
		pc++;
		switch (CLASS(in->code)) {
		case C_LD:
			switch (MODE(in->code)) {
			case M_ABS: A = load_word(d, in->k); break;
			case M_LEN: A = BPF_SD_SIZE; break;
			case M_IMM: A = in->k; break;
			case M_MEM: A = M[in->k % MEMWORDS]; break;
			}
			break;
		case C_LDX:
			switch (MODE(in->code)) {
			case M_LEN: X = BPF_SD_SIZE; break;
			case M_IMM: X = in->k; break;
			case M_MEM: X = M[in->k % MEMWORDS]; break;
			}
			break;
		case C_ST: M[in->k % MEMWORDS] = A; break;
		case C_STX: M[in->k % MEMWORDS] = X; break;
		case C_ALU:
			switch (OP(in->code)) {
			case A_ADD: A += src; break;
			case A_SUB: A -= src; break;
			case A_MUL: A *= src; break;
			case A_DIV:
				if (src == 0) { /* classic BPF: the filter returns 0 */
					result = 0;
					goto out;
				}
				A /= src;
				break;
			case A_OR: A |= src; break;
			case A_AND: A &= src; break;
			case A_XOR: A ^= src; break;
			case A_LSH: A = src < 32 ? A << src : 0; break;
			case A_RSH: A = src < 32 ? A >> src : 0; break;
			case A_NEG: A = (uint32_t)-A; break;
			}
			break;
		case C_JMP: {
			bool t;
			switch (OP(in->code)) {
			case J_JA:
				if (in->k >= n - pc) {
					pc = n;
					continue;
				}
				pc += in->k;
				continue;
			case J_JEQ: t = A == src; break;
			case J_JGT: t = A > src; break;
			case J_JGE: t = A >= src; break;
			case J_JSET: t = (A & src) != 0; break;
			default: t = false; break;
			}
			pc += t ? in->jt : in->jf;
			break;
		}
		case C_RET:
			result = (in->code & 0x18) == R_A ? A : in->k;
			at = (uint32_t)(pc - 1);
			goto out;
		case C_MISC:
			if (OP(in->code) == X_TXA)
				A = X;
			else
				X = A;
			break;
		}
	}
out:
	if (ret_at)
		*ret_at = at;
	if (steps)
		*steps = nsteps;
	return result;
}

/* ---- action cache ------------------------------------------------------------ */

bool bpf_const_allow(const struct bpf_insn *prog, size_t n, uint32_t arch, uint32_t nr)
{
	uint32_t A = 0;
	for (size_t pc = 0; pc < n; pc++) {
		const struct bpf_insn *in = &prog[pc];
		switch (in->code) {
		case C_LD | S_W | M_ABS:
			if (in->k == BPF_SD_NR)
				A = nr;
			else if (in->k == BPF_SD_ARCH)
				A = arch;
			else
				return false;
			break;
		case C_RET | R_K: return in->k == BPF_RET_ALLOW;
		case C_JMP | J_JA:
			if (in->k >= n - pc - 1)
				return false;
			pc += in->k;
			break;
		case C_JMP | J_JEQ:
		case C_JMP | J_JGE:
		case C_JMP | J_JGT:
		case C_JMP | J_JSET: {
			bool t = OP(in->code) == J_JEQ   ? A == in->k
			         : OP(in->code) == J_JGE ? A >= in->k
			         : OP(in->code) == J_JGT ? A > in->k
			                                 : (A & in->k) != 0;
			pc += t ? in->jt : in->jf;
			break;
		}
		case C_ALU | A_AND: A &= in->k; break;
		default: return false;
		}
	}
	return false;
}

/* ---- tests per argument word ------------------------------------------------- */

struct wstate {
	bool reached;
	int8_t word; /* 0..11: an argument word; W_NONE: nr, arch or a constant;
	                W_OPAQUE: anything else (or paths disagree) */
	bool known;  /* W_NONE with a known value (for one (arch, nr)) */
	uint32_t mask, val;
};
#define W_NONE (-2)
#define W_OPAQUE (-1)

static void wmeet(struct wstate *d, const struct wstate *s)
{
	if (!d->reached) {
		*d = *s;
		d->reached = true;
		return;
	}
	if (d->word != s->word || d->mask != s->mask)
		d->word = W_OPAQUE;
	if (!s->known || !d->known || d->val != s->val)
		d->known = false;
}

int bpf_word_tests(const struct bpf_insn *prog, size_t n, const uint32_t *arch_nr,
                   void (*fn)(unsigned word, uint16_t code, uint32_t k, uint32_t mask, void *ctx),
                   void *ctx)
{
	if (n == 0 || n > BPF_MAXINSNS_KERNEL)
		return -1;
	int rc = 0;
	struct wstate st[BPF_MAXINSNS_KERNEL];
	memset(st, 0, n * sizeof(st[0]));
	st[0].reached = true;
	st[0].word = W_NONE;
	for (size_t i = 0; i < n; i++) {
		if (!st[i].reached)
			continue;
		const struct bpf_insn *in = &prog[i];
		struct wstate out = st[i];
		size_t s[2];
		int ns = successors(in, i, s);
		if (in->code == (C_LD | S_W | M_ABS)) {
			out.word = in->k >= 16 && in->k < BPF_SD_SIZE ? (int8_t)((in->k - 16) / 4)
			           : in->k < 8                        ? W_NONE
			                                              : W_OPAQUE;
			out.mask = 0xffffffffu;
			out.known = arch_nr && in->k < 8;
			out.val = arch_nr && in->k < 8 ? (in->k == BPF_SD_ARCH ? arch_nr[0] : arch_nr[1]) : 0;
		} else if (in->code == (C_LD | M_IMM)) {
			out.word = W_NONE;
			out.known = true;
			out.val = in->k;
		} else if (in->code == (C_ALU | A_AND) && out.word >= 0) {
			out.mask &= in->k;
		} else if (in->code == (C_ALU | A_AND) && out.word == W_NONE) {
			out.val &= in->k;
		} else if (CLASS(in->code) == C_LD || CLASS(in->code) == C_ALU ||
		           CLASS(in->code) == C_MISC) {
			out.word = W_OPAQUE;
			out.known = false;
		} else if (CLASS(in->code) == C_JMP && OP(in->code) != J_JA) {
			if (out.word == W_OPAQUE || SRC(in->code)) {
				rc = -1;
			} else if (out.word >= 0) {
				fn((unsigned)out.word, in->code, in->k, out.mask, ctx);
			} else if (out.known && ns == 2) {
				/* a test on a known nr/arch: only one way is taken */
				size_t taken = bpf_test_eval(in->code, in->k, 0xffffffffu, out.val) ? s[0]
				                                                                   : s[1];
				if (taken < n)
					wmeet(&st[taken], &out);
				continue;
			}
		}
		for (int j = 0; j < ns; j++)
			if (s[j] < n)
				wmeet(&st[s[j]], &out);
	}
	return rc;
}

bool bpf_test_eval(uint16_t code, uint32_t k, uint32_t mask, uint32_t word)
{
	uint32_t a = word & mask;
	switch (OP(code)) {
	case J_JEQ: return a == k;
	case J_JGT: return a > k;
	case J_JGE: return a >= k;
	case J_JSET: return (a & k) != 0;
	}
	return false;
}
