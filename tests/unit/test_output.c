/* Unit tests: atomic output files, cd_read_file, SHA-256 and the JSON manifest. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "chipdump/error.h"
#include "chipdump/output.h"

struct fixture {
    char dir[64];
    char path[128]; /* dir/out.bin */
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    snprintf(f->dir, sizeof(f->dir), "/tmp/cd-test-output-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof(f->path), "%s/out.bin", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    chmod(f->dir, 0700);
    DIR *d = opendir(f->dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof(p), "%s/%s", f->dir, e->d_name);
            if (unlink(p) != 0)
                rmdir(p);
        }
        closedir(d);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Number of directory entries other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static bool exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void write_plain(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(text, 1, strlen(text), fp), strlen(text));
    assert_int_equal(fclose(fp), 0);
}

/* Whole file as a NUL-terminated string (test files are small text). */
static char *slurp(const char *path)
{
    uint8_t *buf;
    size_t len;
    assert_int_equal(cd_read_file(path, &buf, &len), CD_OK);
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, buf, len);
    s[len] = '\0';
    free(buf);
    return s;
}

static void test_outfile_appears_on_commit(void **state)
{
    struct fixture *f = *state;
    struct cd_outfile *o = NULL;
    uint8_t data[3000];
    memset(data, 0xCC, sizeof(data));

    assert_int_equal(cd_outfile_open(f->path, false, &o), CD_OK);
    assert_non_null(o);
    const char *tmp = cd_outfile_temp_path(o);
    assert_non_null(tmp);
    /* "<final>.partial-XXXXXX" in the same directory */
    assert_int_equal(strncmp(tmp, f->path, strlen(f->path)), 0);
    assert_int_equal(strncmp(tmp + strlen(f->path), ".partial-", 9), 0);
    assert_int_equal(strlen(tmp), strlen(f->path) + 15);
    assert_true(exists(tmp));
    assert_false(exists(f->path));

    for (int i = 0; i < 10; i++)
        assert_int_equal(cd_outfile_write(o, data, sizeof(data)), CD_OK);
    assert_ptr_equal(cd_outfile_temp_path(o), tmp); /* stable for a signal handler */
    assert_false(exists(f->path));
    assert_int_equal(count_entries(f->dir), 1);

    assert_int_equal(cd_outfile_commit(o), CD_OK);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_size, 10 * sizeof(data));
    mode_t mask = umask(022);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0644 & ~mask);
    assert_int_equal(count_entries(f->dir), 1); /* no leftover temporary */

    uint8_t *buf;
    size_t len;
    assert_int_equal(cd_read_file(f->path, &buf, &len), CD_OK);
    assert_int_equal(len, 10 * sizeof(data));
    for (size_t i = 0; i < len; i++)
        assert_int_equal(buf[i], 0xCC);
    free(buf);
}

static void test_outfile_abort_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    struct cd_outfile *o;
    assert_int_equal(cd_outfile_open(f->path, false, &o), CD_OK);
    assert_int_equal(cd_outfile_write(o, "partial", 7), CD_OK);
    assert_int_equal(count_entries(f->dir), 1);
    cd_outfile_abort(o);
    assert_int_equal(count_entries(f->dir), 0);
    cd_outfile_abort(NULL);
}

static void test_outfile_abort_after_signal_unlink(void **state)
{
    /* A SIGINT handler unlinks the temporary; abort must still clean up quietly. */
    struct fixture *f = *state;
    struct cd_outfile *o;
    assert_int_equal(cd_outfile_open(f->path, false, &o), CD_OK);
    assert_int_equal(unlink(cd_outfile_temp_path(o)), 0);
    cd_outfile_abort(o);
    assert_int_equal(count_entries(f->dir), 0);
}

static void test_outfile_exists_no_force(void **state)
{
    struct fixture *f = *state;
    struct cd_outfile *o = (struct cd_outfile *)1;
    write_plain(f->path, "old");
    assert_int_equal(cd_outfile_open(f->path, false, &o), CD_E_EXISTS);
    assert_null(o);
    assert_non_null(strstr(cd_error_detail(), f->path));
    char *s = slurp(f->path);
    assert_string_equal(s, "old");
    free(s);
    assert_int_equal(count_entries(f->dir), 1);

    assert_int_equal(cd_write_file_atomic(f->path, "new", 3, false), CD_E_EXISTS);
    s = slurp(f->path);
    assert_string_equal(s, "old");
    free(s);
}

static void test_outfile_exists_force(void **state)
{
    struct fixture *f = *state;
    struct cd_outfile *o;
    write_plain(f->path, "old");
    assert_int_equal(cd_outfile_open(f->path, true, &o), CD_OK);
    assert_int_equal(cd_outfile_write(o, "new content", 11), CD_OK);
    char *s = slurp(f->path);
    assert_string_equal(s, "old"); /* untouched until commit */
    free(s);
    assert_int_equal(cd_outfile_commit(o), CD_OK);
    s = slurp(f->path);
    assert_string_equal(s, "new content");
    free(s);
    assert_int_equal(count_entries(f->dir), 1);
}

static void test_outfile_created_meanwhile(void **state)
{
    /* Without force, a file that appears between open and commit is not replaced. */
    struct fixture *f = *state;
    struct cd_outfile *o;
    assert_int_equal(cd_outfile_open(f->path, false, &o), CD_OK);
    assert_int_equal(cd_outfile_write(o, "mine", 4), CD_OK);
    write_plain(f->path, "theirs");
    assert_int_equal(cd_outfile_commit(o), CD_E_EXISTS);
    char *s = slurp(f->path);
    assert_string_equal(s, "theirs");
    free(s);
    assert_int_equal(count_entries(f->dir), 1); /* temporary removed */
}

static void test_outfile_final_is_directory(void **state)
{
    struct fixture *f = *state;
    struct cd_outfile *o;
    char sub[256];
    snprintf(sub, sizeof(sub), "%s/sub", f->dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(cd_outfile_open(sub, true, &o), CD_E_ARG);
    assert_int_equal(cd_outfile_open(sub, false, &o), CD_E_ARG);
    assert_int_equal(cd_outfile_open(f->dir, true, &o), CD_E_ARG);
    assert_int_equal(cd_outfile_open("", true, &o), CD_E_ARG);
    assert_int_equal(count_entries(f->dir), 1);
}

static void test_outfile_missing_directory(void **state)
{
    struct fixture *f = *state;
    struct cd_outfile *o;
    char dir[256], path[300];
    snprintf(dir, sizeof(dir), "%s/nonexistent", f->dir);
    snprintf(path, sizeof(path), "%s/out.bin", dir);
    assert_int_equal(cd_outfile_open(path, false, &o), CD_E_IO);
    assert_non_null(strstr(cd_error_detail(), dir));
    assert_int_equal(count_entries(f->dir), 0);
}

static void test_outfile_unwritable_directory(void **state)
{
    struct fixture *f = *state;
    struct cd_outfile *o;
    if (geteuid() == 0) {
        /* root bypasses directory permissions; the missing-directory test covers the path */
        skip();
    }
    char sub[256], path[300];
    snprintf(sub, sizeof(sub), "%s/ro", f->dir);
    snprintf(path, sizeof(path), "%s/out.bin", sub);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_int_equal(chmod(sub, 0500), 0);
    assert_int_equal(cd_outfile_open(path, false, &o), CD_E_IO);
    assert_non_null(strstr(cd_error_detail(), sub));
    assert_int_equal(cd_write_file_atomic(path, "x", 1, true), CD_E_IO);
    chmod(sub, 0700);
    assert_int_equal(count_entries(sub), 0);
}

static void test_outfile_relative_path(void **state)
{
    struct fixture *f = *state;
    char cwd[4096];
    assert_non_null(getcwd(cwd, sizeof(cwd)));
    assert_int_equal(chdir(f->dir), 0);
    assert_int_equal(cd_write_file_atomic("rel.bin", "abc", 3, false), CD_OK);
    assert_int_equal(chdir(cwd), 0);
    char p[256];
    snprintf(p, sizeof(p), "%s/rel.bin", f->dir);
    char *s = slurp(p);
    assert_string_equal(s, "abc");
    free(s);
}

static void test_read_file(void **state)
{
    struct fixture *f = *state;
    uint8_t *buf = (uint8_t *)1;
    size_t len = 99;

    /* empty file: success, zero length */
    assert_int_equal(cd_write_file_atomic(f->path, NULL, 0, false), CD_OK);
    assert_int_equal(cd_read_file(f->path, &buf, &len), CD_OK);
    assert_int_equal(len, 0);
    free(buf);

    char missing[256];
    snprintf(missing, sizeof(missing), "%s/missing.bin", f->dir);
    assert_int_equal(cd_read_file(missing, &buf, &len), CD_E_BAD_IMAGE);
    assert_null(buf);
    char want[512];
    snprintf(want, sizeof(want), "cannot read %s: %s", missing, strerror(ENOENT));
    assert_string_equal(cd_error_detail(), want);

    assert_int_equal(cd_read_file(f->dir, &buf, &len), CD_E_BAD_IMAGE);
    assert_non_null(strstr(cd_error_detail(), f->dir));
    assert_null(buf);
}

static void test_sha256_vectors(void **state)
{
    char hex[65];
    /* FIPS 180-2 / NIST examples */
    assert_int_equal(cd_sha256_hex("abc", 3, hex), CD_OK);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(cd_sha256_hex("", 0, hex), CD_OK);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    assert_int_equal(cd_sha256_hex(NULL, 0, hex), CD_OK);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(cd_sha256_hex(two, strlen(two), hex), CD_OK);
    assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static const uint32_t erase_sizes[] = {4096, 32768, 65536};
static const struct cd_manifest_unstable unstable[] = {
    {.offset = 0x10000, .length = 0x1000, .tries = 5, .resolved = true},
    {.offset = 0x20000, .length = 0x2000, .tries = 8, .resolved = false},
};

static struct cd_manifest full_manifest(void)
{
    struct cd_manifest m = {
        .file = "dump.bin",
        .chip = "W25Q128JV",
        .vendor = "Winbond",
        .type = "nor",
        .jedec_id = "EF4018",
        .chip_size = 16777216,
        .page_size = 256,
        .erase_sizes = erase_sizes,
        .nerase_sizes = 3,
        .programmer = "ch341a",
        .offset = 0,
        .length = 16777216,
        .sha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        .reads = 2,
        .unstable = unstable,
        .nunstable = 2,
        .date = "2026-11-27T01:23:45Z",
        .tool_version = "9.9.9",
    };
    return m;
}

static void test_manifest_json_fields(void **state)
{
    struct cd_manifest m = full_manifest();
    char *text = cd_manifest_json(&m);
    assert_non_null(text);
    size_t n = strlen(text);
    assert_true(n > 2);
    assert_int_equal(text[n - 1], '\n');
    assert_int_equal(strncmp(text, "{\n  \"file\": \"dump.bin\",\n", 24), 0);

    json_error_t err;
    json_t *root = json_loads(text, 0, &err);
    assert_non_null(root);
    assert_true(json_is_object(root));

    static const char *const order[] = {
        "file",         "chip",
        "vendor",       "type",
        "jedec_id",     "size",
        "page_size",    "erase_sizes",
        "programmer",   "offset",
        "length",       "sha256",
        "reads",        "unstable_blocks",
        "date",         "tool",
        "tool_version",
    };
    /* key order as written: walk the text, each key must appear after the previous one */
    const char *pos = text;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        char key[64];
        snprintf(key, sizeof(key), "\n  \"%s\":", order[i]);
        const char *p = strstr(pos, key);
        assert_non_null(p);
        pos = p + 1;
    }
    assert_int_equal(json_object_size(root), sizeof(order) / sizeof(order[0]));

    assert_string_equal(json_string_value(json_object_get(root, "file")), "dump.bin");
    assert_string_equal(json_string_value(json_object_get(root, "chip")), "W25Q128JV");
    assert_string_equal(json_string_value(json_object_get(root, "vendor")), "Winbond");
    assert_string_equal(json_string_value(json_object_get(root, "type")), "nor");
    assert_string_equal(json_string_value(json_object_get(root, "jedec_id")), "EF4018");
    assert_int_equal(json_integer_value(json_object_get(root, "size")), 16777216);
    assert_int_equal(json_integer_value(json_object_get(root, "page_size")), 256);
    json_t *er = json_object_get(root, "erase_sizes");
    assert_true(json_is_array(er));
    assert_int_equal(json_array_size(er), 3);
    assert_int_equal(json_integer_value(json_array_get(er, 0)), 4096);
    assert_int_equal(json_integer_value(json_array_get(er, 2)), 65536);
    assert_string_equal(json_string_value(json_object_get(root, "programmer")), "ch341a");
    assert_int_equal(json_integer_value(json_object_get(root, "offset")), 0);
    assert_int_equal(json_integer_value(json_object_get(root, "length")), 16777216);
    assert_string_equal(json_string_value(json_object_get(root, "sha256")), m.sha256);
    assert_int_equal(json_integer_value(json_object_get(root, "reads")), 2);
    json_t *ub = json_object_get(root, "unstable_blocks");
    assert_true(json_is_array(ub));
    assert_int_equal(json_array_size(ub), 2);
    json_t *u1 = json_array_get(ub, 1);
    assert_int_equal(json_integer_value(json_object_get(u1, "offset")), 0x20000);
    assert_int_equal(json_integer_value(json_object_get(u1, "length")), 0x2000);
    assert_int_equal(json_integer_value(json_object_get(u1, "tries")), 8);
    assert_true(json_is_false(json_object_get(u1, "resolved")));
    assert_true(json_is_true(json_object_get(json_array_get(ub, 0), "resolved")));
    assert_string_equal(json_string_value(json_object_get(root, "date")), "2026-11-27T01:23:45Z");
    assert_string_equal(json_string_value(json_object_get(root, "tool")), "chipdump");
    assert_string_equal(json_string_value(json_object_get(root, "tool_version")), "9.9.9");
    json_decref(root);
    free(text);
}

static void test_manifest_defaults_and_omissions(void **state)
{
    struct cd_manifest m = full_manifest();
    m.vendor = NULL;
    m.programmer = NULL;
    m.date = NULL;
    m.tool_version = NULL;
    m.unstable = NULL;
    m.nunstable = 0;
    char *text = cd_manifest_json(&m);
    assert_non_null(text);
    json_t *root = json_loads(text, 0, NULL);
    assert_non_null(root);
    assert_null(json_object_get(root, "vendor"));
    assert_null(json_object_get(root, "programmer"));
    assert_int_equal(json_array_size(json_object_get(root, "unstable_blocks")), 0);
    assert_string_equal(json_string_value(json_object_get(root, "tool_version")), cd_version());

    const char *date = json_string_value(json_object_get(root, "date"));
    assert_non_null(date);
    /* YYYY-MM-DDTHH:MM:SSZ */
    assert_int_equal(strlen(date), 20);
    for (int i = 0; i < 20; i++) {
        switch (i) {
        case 4:
        case 7:
            assert_int_equal(date[i], '-');
            break;
        case 10:
            assert_int_equal(date[i], 'T');
            break;
        case 13:
        case 16:
            assert_int_equal(date[i], ':');
            break;
        case 19:
            assert_int_equal(date[i], 'Z');
            break;
        default:
            assert_true(date[i] >= '0' && date[i] <= '9');
        }
    }
    json_decref(root);
    free(text);
}

static void test_manifest_write_overwrites(void **state)
{
    struct fixture *f = *state;
    char path[256];
    snprintf(path, sizeof(path), "%s/out.json", f->dir);
    write_plain(path, "stale");
    struct cd_manifest m = full_manifest();
    assert_int_equal(cd_manifest_write(path, &m), CD_OK);
    char *s = slurp(path);
    char *want = cd_manifest_json(&m);
    assert_string_equal(s, want);
    free(s);
    free(want);
    assert_int_equal(count_entries(f->dir), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outfile_appears_on_commit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outfile_abort_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outfile_abort_after_signal_unlink, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outfile_exists_no_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outfile_exists_force, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outfile_created_meanwhile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outfile_final_is_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outfile_missing_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outfile_unwritable_directory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_outfile_relative_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_read_file, setup, teardown),
        cmocka_unit_test(test_sha256_vectors),
        cmocka_unit_test(test_manifest_json_fields),
        cmocka_unit_test(test_manifest_defaults_and_omissions),
        cmocka_unit_test_setup_teardown(test_manifest_write_overwrites, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
