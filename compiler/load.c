/* load.c — reads inputs by format, follows `extends`, detects cycles, and
 * merges everything into one finalised policy. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "backend.h"

#define LOAD_MAX_FILE (16u << 20)

char *load_slurp(struct arena *a, const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return NULL;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
		return NULL;
	}
	if (st.st_size > (off_t)LOAD_MAX_FILE) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	size_t cap = (size_t)st.st_size + 1, n = 0;
	char *p = arena_alloc(a, cap);
	for (;;) {
		if (n + 1 >= cap) {
			if (cap > LOAD_MAX_FILE) {
				close(fd);
				errno = EFBIG;
				return NULL;
			}
			p = arena_grow(a, p, n, cap * 2, 1);
			cap *= 2;
		}
		ssize_t r = read(fd, p + n, cap - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return NULL;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	p[n] = '\0';
	*len = n;
	return p;
}

static bool has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* Directories searched for stdlib policy names, in order: $POLC_STDLIB
 * (colon-separated), the source tree next to the binary (build/polc ->
 * ./stdlib-policies), an install relative to the binary, then the data
 * directory polc was built for.  Returns the count; dirs must have room
 * for 8. */
static int stdlib_dirs(struct arena *a, const char **dirs)
{
	int nd = 0;
	char *env = getenv("POLC_STDLIB");
	if (env && *env) {
		char *copy = arena_strdup(a, env), *save = NULL;
		for (char *t = strtok_r(copy, ":", &save); t && nd < 5; t = strtok_r(NULL, ":", &save))
			dirs[nd++] = t;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			dirs[nd++] = arena_printf(a, "%s/../stdlib-policies", exe);
			/* An install, wherever it went (PREFIX, DESTDIR):
			 * BIN/polc -> BIN/../share/polc/stdlib-policies. */
			dirs[nd++] = arena_printf(a, "%s/../share/polc/stdlib-policies", exe);
		}
	}
	dirs[nd++] = POLC_DATADIR "/stdlib-policies";
	return nd;
}

static const char *find_stdlib(struct arena *a, const char *name)
{
	const char *exts[] = {".yaml", ".yml", ".json", ".rego"};
	const char *dirs[8];
	int nd = stdlib_dirs(a, dirs);
	for (int i = 0; i < nd; i++)
		for (size_t e = 0; e < sizeof(exts) / sizeof(exts[0]); e++) {
			const char *p = arena_printf(a, "%s/%s%s", dirs[i], name, exts[e]);
			if (access(p, R_OK) == 0)
				return p;
		}
	return NULL;
}

/* A stdlib file by its file name (with extension), or NULL. */
static const char *find_stdlib_file(struct arena *a, const char *file)
{
	const char *dirs[8];
	int nd = stdlib_dirs(a, dirs);
	for (int i = 0; i < nd; i++) {
		const char *p = arena_printf(a, "%s/%s", dirs[i], file);
		if (access(p, R_OK) == 0)
			return p;
	}
	return NULL;
}

/* The name diagnostics and the artifact's metadata use for a file: a
 * policy found by stdlib name is `stdlib/NAME.yaml` wherever polc is
 * installed or built, so artifacts do not depend on where that is. */
static const char *display_name(struct load_ctx *c, const char *path)
{
	for (int i = 0; i < c->nstdlib; i++)
		if (strcmp(c->stdlib_files[i], path) == 0) {
			const char *slash = strrchr(path, '/');
			return arena_printf(c->a, "stdlib/%s", slash ? slash + 1 : path);
		}
	return path;
}

const char *load_resolve_extends(struct load_ctx *c, const char *name, const char *from_file)
{
	if (!*name)
		return NULL;
	bool is_path = strchr(name, '/') || has_suffix(name, ".yaml") ||
	               has_suffix(name, ".yml") || has_suffix(name, ".json") ||
	               has_suffix(name, ".rego");
	if (!is_path) {
		const char *p = find_stdlib(c->a, name);
		if (p && c->nstdlib < (int)(sizeof(c->stdlib_files) / sizeof(c->stdlib_files[0])))
			c->stdlib_files[c->nstdlib++] = p;
		return p;
	}
	const char *p = name;
	if (name[0] != '/' && strncmp(from_file, "stdlib/", 7) == 0) {
		/* from_file is a stdlib policy's display name: resolve against
		 * the stdlib folder that holds it. */
		const char *real = find_stdlib_file(c->a, from_file + 7);
		if (real)
			from_file = real;
	}
	if (name[0] != '/') {
		const char *slash = strrchr(from_file, '/');
		p = slash ? arena_printf(c->a, "%.*s/%s", (int)(slash - from_file), from_file, name)
		          : name;
	}
	return access(p, R_OK) == 0 ? p : NULL;
}

static const char *canon(struct arena *a, const char *path)
{
	char *r = realpath(path, NULL);
	if (!r)
		return path;
	const char *s = arena_strdup(a, r);
	free(r);
	return s;
}

struct ir_policy *load_file(struct load_ctx *c, const char *path, struct src_pos from)
{
	const char *real = canon(c->a, path);
	for (int i = 0; i < c->depth; i++)
		if (strcmp(c->stack[i], real) == 0) {
			diag_error(c->d, from, E502, "extends cycle: '%s' extends itself", path);
			return NULL;
		}
	/* Merged already (earlier in the same run, and so earlier in the merge
	 * order): merging it again would duplicate its rules and let its
	 * scalars override what came after it, e.g. B's `default: kill` in
	 * `extends: [B, C]` when B and C both extend base. */
	if (c->dedup) {
		for (int i = 0; i < c->nloaded; i++)
			if (strcmp(c->loaded[i], real) == 0)
				return ir_policy_new(c->a);
		if (c->nloaded < (int)(sizeof(c->loaded) / sizeof(c->loaded[0])))
			c->loaded[c->nloaded++] = real;
	}
	if (c->depth >= LOAD_MAX_DEPTH) {
		diag_error(c->d, from, E502, "extends nested deeper than %d levels", LOAD_MAX_DEPTH);
		return NULL;
	}
	size_t len;
	const char *shown = display_name(c, path);
	char *text = load_slurp(c->a, path, &len);
	if (!text) {
		if (from.file)
			diag_error(c->d, from, E500, "cannot read '%s': %s", path, strerror(errno));
		else
			diag_error(c->d, src_file(path), E500, "cannot read: %s",
			           strerror(errno));
		return NULL;
	}
	diag_source(c->d, shown, text, len);

	c->stack[c->depth++] = real;
	struct ir_policy *p = NULL;
	if (has_suffix(path, ".yaml") || has_suffix(path, ".yml"))
		p = yml_parse(c, shown, text, len);
	else if (has_suffix(path, ".json"))
		p = oci_parse(c, shown, text, len);
	else if (has_suffix(path, ".rego"))
		p = rego_parse(c, shown, text, len);
	else
		diag_error(c->d, src_file(path), E503,
		           "unsupported input (expected .yaml, .yml, .json or .rego)");
	c->depth--;
	return p;
}

struct ir_policy *load_inputs(struct load_ctx *c, char *const *paths, int n)
{
	struct ir_policy *all = ir_policy_new(c->a);
	size_t errs = diag_errors(c->d);
	c->dedup = true;
	c->nloaded = 0;
	for (int i = 0; i < n; i++) {
		struct ir_policy *p = load_file(c, paths[i], (struct src_pos){0});
		if (p)
			ir_merge(all, p);
	}
	c->dedup = false;
	if (diag_errors(c->d) > errs)
		return NULL;
	ir_finalize(all, c->d);
	return diag_errors(c->d) > errs ? NULL : all;
}
