/*-------------------------------------------------------------------------
 *
 * test_sum.c
 *	  cmocka tests of hashing (client/hash.c) and the sum file
 *	  (client/sumfile.c).
 *
 * The expected hashes below were derived outside this code, with the shell
 * (h() is "sha256sum | cut -d' ' -f1 | xxd -r -p | base64"):
 *
 *	printf 'SELECT 1;' | h                       -> F9tP02nt...
 *	printf 'SELECT 1;SELECT 2;' | h              -> Q1ly6Efk...
 *	printf '' | h                                -> 47DEQpj8...
 *	L1=$(printf '1_a.sqlCREATE TABLE a (x int);\n' | h)
 *	L2=$(printf '1_a.sqlCREATE TABLE a (x int);\n2_b.sqlDROP TABLE a;\n' | h)
 *	printf '%s' "1_a.sql${L1}2_b.sql${L2}" | h   -> the header
 *
 * and from a sum file written by the reference tool itself (its repository,
 * cmd/atlas/internal/cmdapi/testdata/sqlite/atlas.sum), whose header and
 * first line the same shell commands reproduce.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/test/test_sum.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "testutil.h"

static const char file_a[] = "CREATE TABLE a (x int);\n";
static const char file_b[] = "DROP TABLE a;\n";

static const char expected_sum[] =
"h1:MSwCPAEMK83hJnCF7idQaiGG0TiKYU0KXtWyGOTr030=\n"
"1_a.sql h1:ubPMOiJLBsIqJrGfVvkLP6ATWgqgq5t1vmhD/ycbRjo=\n"
"2_b.sql h1:r76F6nlPZj1qCeS6+z1LGcgEqxi80hxRmncqvPi+228=\n";

/* published by the reference tool (see the file header) */
static const char atlas_sum[] =
"h1:GMi7mvWSIHv0I/Wrc2NCGVt9Z5hWZbPa6wL986t7Z2o=\n"
"20220318104614_initial.sql h1:FifWjY2X0g2YVnb18Qm+QBPvoldDOOob7bS0LrFuCXc=\n"
"20220318104615_second.sql h1:wbPDlODOQeixCiopAhlT7W4xOO9TgJxzjYjxf4TA2f4=\n";
static const char atlas_initial[] =
"-- create \"tbl\" table\nCREATE TABLE tbl (`col` int NOT NULL);\n";

static void
hashes(void **state)
{
	char		h[64];
	StmtList	l;
	Stmt		items[2];
	char		all[2][64];

	hash_bytes("SELECT 1;", 9, h);
	assert_string_equal(h, "h1:F9tP02ntuSRLn5HZru0UXD0ErYum6V0GJH8HpjUn0Ro=");
	hash_bytes("", 0, h);
	assert_string_equal(h, "h1:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");

	/* running hashes: statement i covers statements 0..i */
	items[0].text = "SELECT 1;";
	items[0].line = 1;
	items[1].text = "SELECT 2;";
	items[1].line = 2;
	l.items = items;
	l.n = 2;
	hash_running(&l, 0, h);
	assert_string_equal(h, "h1:F9tP02ntuSRLn5HZru0UXD0ErYum6V0GJH8HpjUn0Ro=");
	hash_running(&l, 1, h);
	assert_string_equal(h, "h1:Q1ly6EfkxxrLjTZSKjT10nxKUSeL28wlIwaWHIiBBHw=");
	hash_running_all(&l, all);
	assert_string_equal(all[0], "h1:F9tP02ntuSRLn5HZru0UXD0ErYum6V0GJH8HpjUn0Ro=");
	assert_string_equal(all[1], "h1:Q1ly6EfkxxrLjTZSKjT10nxKUSeL28wlIwaWHIiBBHw=");
}

static void
compute_known_vector(void **state)
{
	DirEntry	e[2];
	SumFile		s;
	char	   *text;

	memset(e, 0, sizeof(e));
	/* given out of order: the sum orders by name */
	e[0].name = "2_b.sql";
	e[0].data = (char *) file_b;
	e[0].len = strlen(file_b);
	e[1].name = "1_a.sql";
	e[1].data = (char *) file_a;
	e[1].len = strlen(file_a);
	sum_compute(e, 2, &s);
	text = sum_format(&s);

	assert_string_equal(text, expected_sum);
	free(text);
	sum_free(&s);
}

static void
reference_tool_sum(void **state)
{
	SumFile		rec,
				one;
	DirEntry	e;
	char	   *err = NULL;
	StrBuf		problems;

	/* the published file parses and its header matches its lines */
	assert_int_equal(sum_parse(atlas_sum, strlen(atlas_sum), &rec, &err), 0);
	assert_int_equal(rec.n, 2);
	sb_init(&problems);
	assert_true(sum_compare(&rec, &rec, &problems));
	sb_free(&problems);

	/* and the first file's line is what this code computes for it */
	memset(&e, 0, sizeof(e));
	e.name = "20220318104614_initial.sql";
	e.data = (char *) atlas_initial;
	e.len = strlen(atlas_initial);
	sum_compute(&e, 1, &one);
	assert_string_equal(one.lines[0].hash, rec.lines[0].hash);
	sum_free(&one);
	sum_free(&rec);
}

static void
parse_errors(void **state)
{
	SumFile		s;
	char	   *err = NULL;

	assert_int_equal(sum_parse("", 0, &s, &err), -1);
	assert_contains(err, "empty");
	free(err);
	assert_int_equal(sum_parse("nonsense\n", 9, &s, &err), -1);
	assert_contains(err, "first line");
	free(err);
	{
		const char *t = "h1:MSwCPAEMK83hJnCF7idQaiGG0TiKYU0KXtWyGOTr030=\n1_a.sql h1:short\n";

		assert_int_equal(sum_parse(t, strlen(t), &s, &err), -1);
		assert_contains(err, "line 2");
		free(err);
	}
	/* CR LF line ends and names with spaces are read */
	{
		const char *t = "h1:MSwCPAEMK83hJnCF7idQaiGG0TiKYU0KXtWyGOTr030=\r\n"
		"1 a b.sql h1:ubPMOiJLBsIqJrGfVvkLP6ATWgqgq5t1vmhD/ycbRjo=\r\n";

		assert_int_equal(sum_parse(t, strlen(t), &s, &err), 0);
		assert_int_equal(s.n, 1);
		assert_string_equal(s.lines[0].name, "1 a b.sql");
		sum_free(&s);
	}
}

/* ---- tampering, through the directory functions ---------------------- */

static char *
verify_fails(const char *dir)
{
	DirEntry   *e;
	int			n;
	DirFormat	f = FORMAT_AUTO;
	char	   *used = NULL;
	int			rc;

	tu_log_start();
	assert_int_equal(dir_list(dir, &f, &e, &n), 0);
	rc = sum_verify_dir(dir, e, n, &used);
	dir_entries_free(e, n);
	free(used);
	if (rc == 0)
	{
		free(tu_log_stop());
		fail_msg("verification should fail");
	}
	return tu_log_stop();
}

static void
verify_ok(const char *dir, const char *expect_sum_name)
{
	DirEntry   *e;
	int			n;
	DirFormat	f = FORMAT_AUTO;
	char	   *used = NULL;

	assert_int_equal(dir_list(dir, &f, &e, &n), 0);
	assert_int_equal(sum_verify_dir(dir, e, n, &used), 0);
	if (expect_sum_name)
		assert_contains(used, expect_sum_name);
	dir_entries_free(e, n);
	free(used);
}

static void
write_sum(const char *dir)
{
	DirEntry   *e;
	int			n;
	DirFormat	f = FORMAT_AUTO;

	assert_int_equal(dir_list(dir, &f, &e, &n), 0);
	assert_int_equal(sum_write_dir(dir, e, n), 0);
	dir_entries_free(e, n);
}

static char *
setup_dir(void)
{
	char	   *d = tu_mkdir();

	tu_write(d, "1_a.sql", file_a);
	tu_write(d, "2_b.sql", file_b);
	tu_write(d, "3_c.sql", "SELECT 3;\n");
	write_sum(d);
	return d;
}

static void
written_then_verified(void **state)
{
	char	   *d = tu_mkdir();
	char	   *p,
			   *data,
			   *err;
	size_t		len;

	tu_write(d, "1_a.sql", file_a);
	tu_write(d, "2_b.sql", file_b);
	write_sum(d);
	p = path_join(d, "migrate.sum");
	assert_int_equal(read_file(p, &data, &len, &err), 0);
	assert_string_equal(data, expected_sum);
	free(data);
	free(p);
	verify_ok(d, "migrate.sum");
	tu_rmdir(d);
}

static void
tamper_edit(void **state)
{
	char	   *d = setup_dir();
	char	   *log;

	tu_write(d, "2_b.sql", "DROP TABLE a CASCADE;\n");
	log = verify_fails(d);
	assert_contains(log, "does not match its sum file");
	assert_contains(log, "File \"2_b.sql\" was edited.");
	assert_contains(log, "hint: If the change is intended, run \"migrate hash\"");
	free(log);
	/* one byte at the end counts */
	tu_write(d, "2_b.sql", "DROP TABLE a;\n\n");
	log = verify_fails(d);
	assert_contains(log, "File \"2_b.sql\" was edited.");
	free(log);
	/* restoring the file restores the match */
	tu_write(d, "2_b.sql", file_b);
	verify_ok(d, NULL);
	tu_rmdir(d);
}

static void
tamper_add_remove_rename(void **state)
{
	char	   *d = setup_dir();
	char	   *log;

	tu_write(d, "4_d.sql", "SELECT 4;\n");
	log = verify_fails(d);
	assert_contains(log, "File \"4_d.sql\" was added.");
	free(log);
	tu_remove(d, "4_d.sql");

	tu_remove(d, "3_c.sql");
	log = verify_fails(d);
	assert_contains(log, "File \"3_c.sql\" was removed.");
	free(log);

	tu_write(d, "3_renamed.sql", "SELECT 3;\n");
	log = verify_fails(d);
	assert_contains(log, "File \"3_c.sql\" was renamed to \"3_renamed.sql\"");
	free(log);
	tu_remove(d, "3_renamed.sql");

	/* two added and one removed are listed one by one */
	tu_write(d, "4_d.sql", "SELECT 4;\n");
	tu_write(d, "5_e.sql", "SELECT 5;\n");
	log = verify_fails(d);
	assert_contains(log, "File \"4_d.sql\" was added.");
	assert_contains(log, "File \"5_e.sql\" was added.");
	assert_contains(log, "File \"3_c.sql\" was removed.");
	free(log);
	tu_rmdir(d);
}

static void
tamper_reorder(void **state)
{
	char	   *d = setup_dir();
	char	   *log;

	/* the sum file lists the same files in another order */
	tu_write(d, "migrate.sum",
			 "h1:PLACEHOLDER00000000000000000000000000000000=\n");
	{
		SumFile		s;
		DirEntry   *e;
		int			n;
		DirFormat	f = FORMAT_AUTO;
		SumLine		tmp;
		char	   *text;

		assert_int_equal(dir_list(d, &f, &e, &n), 0);
		sum_compute(e, n, &s);
		tmp = s.lines[0];
		s.lines[0] = s.lines[1];
		s.lines[1] = tmp;
		/* recompute the header so that only the order is wrong */
		{
			void	   *h = hash_chain_new();
			char		b64[45];
			int			k;

			for (k = 0; k < s.n; k++)
			{
				hash_chain_update(h, s.lines[k].name, strlen(s.lines[k].name));
				hash_chain_update(h, s.lines[k].hash + 3, strlen(s.lines[k].hash + 3));
			}
			hash_chain_peek(h, b64);
			hash_chain_free(h);
			snprintf(s.header, sizeof(s.header), "h1:%s", b64);
		}
		text = sum_format(&s);

		tu_write(d, "migrate.sum", text);
		free(text);
		sum_free(&s);
		dir_entries_free(e, n);
	}
	log = verify_fails(d);
	assert_contains(log, "is listed out of order in the sum file");
	free(log);
	tu_rmdir(d);
}

static void
tamper_sum_file(void **state)
{
	char	   *d = setup_dir();
	char	   *log;
	char	   *p = path_join(d, "migrate.sum");
	char	   *data,
			   *err;
	size_t		len;

	/* a line edited by hand breaks the header */
	assert_int_equal(read_file(p, &data, &len, &err), 0);
	{
		char	   *h = strstr(data, "2_b.sql h1:") + strlen("2_b.sql h1:");

		h[0] = h[0] == 'A' ? 'B' : 'A';
	}
	tu_write(d, "migrate.sum", data);
	free(data);
	log = verify_fails(d);
	assert_contains(log, "the sum file itself was edited");
	free(log);
	/* garbage */
	tu_write(d, "migrate.sum", "hello\n");
	log = verify_fails(d);
	assert_contains(log, "is malformed");
	free(log);
	/* missing, with files present */
	unlink(p);
	log = verify_fails(d);
	assert_contains(log, "has no sum file");
	assert_contains(log, "Run \"migrate hash\"");
	free(log);
	free(p);
	tu_rmdir(d);
}

static void
atlas_sum_read(void **state)
{
	char	   *d = tu_mkdir();
	char	   *log;

	tu_write(d, "1_a.sql", file_a);
	tu_write(d, "2_b.sql", file_b);
	/* an atlas.sum alone is verified */
	tu_write(d, "atlas.sum", expected_sum);
	verify_ok(d, "atlas.sum");
	tu_write(d, "2_b.sql", "DROP TABLE b;\n");
	log = verify_fails(d);
	assert_contains(log, "atlas.sum");
	assert_contains(log, "File \"2_b.sql\" was edited.");
	free(log);
	/* migrate.sum, when present, is the one that counts */
	write_sum(d);
	verify_ok(d, "migrate.sum");
	tu_rmdir(d);
}

static void
sum_ignore_directive(void **state)
{
	DirEntry	e[1];
	SumFile		s1,
				s2;

	memset(e, 0, sizeof(e));
	e[0].name = "1_a.sql";
	e[0].data = "-- atlas:sum ignore\n\nSELECT 1;\n";
	e[0].len = strlen(e[0].data);
	sum_compute(e, 1, &s1);
	e[0].data = "-- atlas:sum ignore\n\nSELECT 2;\n";
	e[0].len = strlen(e[0].data);
	sum_compute(e, 1, &s2);
	/* contents are not hashed: only the name is */
	assert_string_equal(s1.lines[0].hash, s2.lines[0].hash);
	sum_free(&s1);
	sum_free(&s2);
	/* without the blank line the directive does not count */
	e[0].data = "-- atlas:sum ignore\nSELECT 1;\n";
	e[0].len = strlen(e[0].data);
	sum_compute(e, 1, &s1);
	e[0].data = "-- atlas:sum ignore\nSELECT 2;\n";
	e[0].len = strlen(e[0].data);
	sum_compute(e, 1, &s2);
	assert_string_not_equal(s1.lines[0].hash, s2.lines[0].hash);
	sum_free(&s1);
	sum_free(&s2);
}

static void
empty_directory(void **state)
{
	char	   *d = tu_mkdir();

	/* no files and no sum file: nothing to protect */
	verify_ok(d, NULL);
	tu_rmdir(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hashes),
		cmocka_unit_test(compute_known_vector),
		cmocka_unit_test(reference_tool_sum),
		cmocka_unit_test(parse_errors),
		cmocka_unit_test(written_then_verified),
		cmocka_unit_test(tamper_edit),
		cmocka_unit_test(tamper_add_remove_rename),
		cmocka_unit_test(tamper_reorder),
		cmocka_unit_test(tamper_sum_file),
		cmocka_unit_test(atlas_sum_read),
		cmocka_unit_test(sum_ignore_directive),
		cmocka_unit_test(empty_directory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
