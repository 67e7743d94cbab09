/* meta.c — the artifact's metadata section: JSON with sorted keys, no
 * timestamps, so the same policy always gives the same bytes. */
#include <stdlib.h>
#include <string.h>

#include "backend.h"

static const char *const domain_names[] = {"fs", "process", "net", "bind"};

void meta_build(const struct ir_policy *p, uint32_t min_abi, struct buf *out)
{
	json_t *root = json_object();
	json_object_set_new(root, "format", json_string("polc-artifact"));
	json_object_set_new(root, "compiler", json_string("polc " POLC_VERSION));
	json_object_set_new(root, "name", json_string(p->name ? p->name : ""));
	if (p->description)
		json_object_set_new(root, "description", json_string(p->description));
	json_object_set_new(root, "min_landlock_abi", json_integer(min_abi));
	json_t *src = json_array();
	for (size_t i = 0; i < p->nsources; i++)
		json_array_append_new(src, json_string(p->sources[i]));
	json_object_set_new(root, "sources", src);
	json_t *caps = json_array();
	for (int c = 0; c < 64; c++)
		if (p->proc.caps & (1ull << c))
			json_array_append_new(caps, json_sprintf("CAP_%s", ir_cap_name(c)));
	json_object_set_new(root, "capabilities", caps);
	json_t *rules = json_array();
	for (size_t i = 0; i < p->nrules; i++) {
		const struct ir_rule_ref *r = &p->rules[i];
		json_array_append_new(
		        rules, json_pack("{s:I, s:s, s:s, s:I, s:I, s:s}", "id", (json_int_t)r->id,
		                         "domain", domain_names[r->domain], "file",
		                         r->pos.file ? r->pos.file : "", "line",
		                         (json_int_t)r->pos.line, "col", (json_int_t)r->pos.col,
		                         "text", r->text ? r->text : ""));
	}
	json_object_set_new(root, "rules", rules);
	char *s = json_dumps(root, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(root);
	if (!s)
		abort();
	buf_bytes(out, s, strlen(s));
	free(s);
}

int meta_parse(struct meta *m, const struct art *a, char *err, size_t errlen)
{
	memset(m, 0, sizeof(*m));
	const struct art_section *s = art_find(a, ART_SEC_META, 0);
	if (!s) {
		snprintf(err, errlen, "missing metadata section");
		return -1;
	}
	json_error_t je;
	m->root = json_loadb((const char *)s->data, s->length, JSON_REJECT_DUPLICATES, &je);
	if (!m->root || !json_is_object(m->root)) {
		snprintf(err, errlen, "metadata is not a JSON object: %s", je.text);
		json_decref(m->root);
		m->root = NULL;
		return -1;
	}
	m->name = json_string_value(json_object_get(m->root, "name"));
	json_t *rules = json_object_get(m->root, "rules");
	size_t n = json_array_size(rules);
	m->rules = calloc(n ? n : 1, sizeof(*m->rules));
	if (!m->rules)
		abort();
	for (size_t i = 0; i < n; i++) {
		json_t *r = json_array_get(rules, i);
		struct meta_rule *mr = &m->rules[m->nrules];
		json_int_t id = json_integer_value(json_object_get(r, "id"));
		if (id <= 0 || id > UINT32_MAX)
			continue;
		mr->id = (uint32_t)id;
		mr->domain = json_string_value(json_object_get(r, "domain"));
		mr->file = json_string_value(json_object_get(r, "file"));
		mr->text = json_string_value(json_object_get(r, "text"));
		mr->line = (uint32_t)json_integer_value(json_object_get(r, "line"));
		mr->col = (uint32_t)json_integer_value(json_object_get(r, "col"));
		m->nrules++;
	}
	return 0;
}

const struct meta_rule *meta_rule(const struct meta *m, uint32_t id)
{
	for (size_t i = 0; i < m->nrules; i++)
		if (m->rules[i].id == id)
			return &m->rules[i];
	return NULL;
}

void meta_free(struct meta *m)
{
	json_decref(m->root);
	free(m->rules);
	memset(m, 0, sizeof(*m));
}
