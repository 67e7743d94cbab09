/* arena.h — one bump allocator per compilation.
 *
 * Everything the compiler builds for one run (IR nodes, strings, diagnostics)
 * comes from an arena and is released at once by arena_free().  Allocation
 * failure aborts: the compiler is a batch tool and has no way to continue
 * without memory, and an abort beats a NULL dereference. */
#ifndef POLC_ARENA_H
#define POLC_ARENA_H

#include <stddef.h>

struct arena;

/* Returns a new arena; release with arena_free(). */
struct arena *arena_new(void);
void arena_free(struct arena *a);

/* Zeroed memory owned by the arena, aligned for any type. */
void *arena_alloc(struct arena *a, size_t size);
/* arena_alloc(n * size) with overflow check. */
void *arena_array(struct arena *a, size_t n, size_t size);
/* Grows an array: returns a copy with room for new_n elements (old contents
 * kept).  The old block stays in the arena until arena_free(). */
void *arena_grow(struct arena *a, void *old, size_t old_n, size_t new_n, size_t size);
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Append one element to an arena-backed vector (v, n, cap are lvalues). */
#define ARENA_PUSH(a, v, n, cap)                                                  \
	(((n) == (cap) ? ((v) = arena_grow((a), (v), (n), (cap) = (cap) ? 2 * (cap) : 8, \
	                                   sizeof(*(v)))) : 0),                        \
	 &(v)[(n)++])

#endif
