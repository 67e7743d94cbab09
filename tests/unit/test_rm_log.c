/* test_rm_log.c — runmin's JSON Lines audit log (rm_log.c): every line is
 * one valid JSON object whatever bytes the values hold (quotes, control
 * characters, invalid UTF-8, huge values), and never a partial one. */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rm_log.h"

static char path[] = "/tmp/test_rm_log.XXXXXX";

static int open_log(void)
{
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	char err[256];
	fd = rm_log_open(path, err, sizeof(err));
	ck_assert_msg(fd >= 0, "%s", err);
	return fd;
}

/* Reads the log back: one JSON object per line. */
static json_t *read_lines(void)
{
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	json_t *arr = json_array();
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, f)) > 0) {
		ck_assert_int_eq(line[n - 1], '\n');
		json_error_t je;
		json_t *o = json_loadb(line, (size_t)n - 1, 0, &je);
		ck_assert_msg(o && json_is_object(o), "not a JSON object: %s (%s)", line, je.text);
		json_array_append_new(arr, o);
	}
	free(line);
	fclose(f);
	unlink(path);
	return arr;
}

START_TEST(escapes_everything)
{
	int fd = open_log();
	ck_assert_int_eq(rm_log(fd, "refused", "reason", "quote \" backslash \\ tab \t nl \n", NULL),
	                 0);
	ck_assert_int_eq(rm_log(fd, "refused", "path", "caf\xc3\xa9 bad \xff\xfe end \xe2\x82", NULL), 0);
	ck_assert_int_eq(rm_log(fd, "refused", "overlong", "\xc0\xaf surrogate \xed\xa0\x80", NULL), 0);
	ck_assert_int_eq(rm_log(-1, "ignored", NULL), 0);
	close(fd);
	json_t *a = read_lines();
	ck_assert_int_eq(json_array_size(a), 3);
	json_t *o = json_array_get(a, 0);
	ck_assert_str_eq(json_string_value(json_object_get(o, "event")), "refused");
	ck_assert_str_eq(json_string_value(json_object_get(o, "reason")),
	                 "quote \" backslash \\ tab \t nl \n");
	const char *t = json_string_value(json_object_get(o, "time"));
	ck_assert(t && strlen(t) == 24 && t[10] == 'T' && t[23] == 'Z');
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(a, 1), "path")),
	                 "caf\xc3\xa9 bad \xef\xbf\xbd\xef\xbf\xbd end \xef\xbf\xbd\xef\xbf\xbd");
	const char *ol = json_string_value(json_object_get(json_array_get(a, 2), "overlong"));
	ck_assert_ptr_null(strstr(ol, "\xc0"));
	ck_assert_ptr_null(strstr(ol, "\xed"));
	json_decref(a);
}
END_TEST

START_TEST(too_long_is_marked_not_cut)
{
	int fd = open_log();
	char *big = malloc(20000);
	memset(big, 'x', 19999);
	big[19999] = 0;
	ck_assert_int_eq(rm_log(fd, "refused", "reason", big, NULL), 0);
	free(big);
	close(fd);
	json_t *a = read_lines();
	ck_assert_int_eq(json_array_size(a), 1);
	json_t *o = json_array_get(a, 0);
	ck_assert(json_is_true(json_object_get(o, "truncated")));
	ck_assert_ptr_null(json_object_get(o, "reason"));
	json_decref(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("rm_log");
	TCase *tc = tcase_create("rm_log");
	tcase_add_test(tc, escapes_everything);
	tcase_add_test(tc, too_long_is_marked_not_cut);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
