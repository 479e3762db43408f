/* The audit log through the C API: create a log with checkpoints timestamped by the fixture's
 * TSA on 127.0.0.1, append, close, resume, seal, verify it against the trust root, and check
 * that tampered, torn and shortened copies and a log without trusted checkpoints fail.
 *
 *   audit FIXTURE_DIR TSA_URL */
#include <stdbool.h>

#include "support.h"

static const char *dir;
static const char *tsa_url;
static buffer root;
static char log_path[4096];

static cs_audit_log *open_log(const char *path, const char *url, uint64_t every_records) {
    cs_audit_log *log = NULL;
    OK(cs_audit_log_open(path, url, root.data, root.len, every_records, 0, &log, &err));
    return log;
}

static cs_audit_report *verify(const char *path) {
    cs_audit_report *report = NULL;
    OK(cs_audit_verify(path, root.data, root.len, &report, &err));
    return report;
}

/* Writes `len` bytes of `data` to DIR/name; returns the path in `path`. */
static void write_copy(const char *name, const char *data, size_t len, char *path, size_t cap) {
    snprintf(path, cap, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(data, 1, len, f) != len) FAIL("cannot write %s", path);
    fclose(f);
}

static char *read_log(size_t *len) {
    buffer b = read_file(dir, "audit.jsonl");
    char *text = realloc(b.data, b.len + 1);
    if (text == NULL) FAIL("out of memory");
    text[b.len] = '\0';
    *len = b.len;
    return text;
}

static void expect_refused(const char *name, const char *data, size_t len) {
    char path[4096];
    write_copy(name, data, len, path, sizeof path);
    cs_audit_report *report = NULL;
    EXPECT(CS_ERR_AUDIT, cs_audit_verify(path, root.data, root.len, &report, &err));
    CHECK(report == NULL);
    /* Nothing is chained onto it either. */
    cs_audit_log *log = NULL;
    EXPECT(CS_ERR_AUDIT,
           cs_audit_log_open(path, tsa_url, root.data, root.len, 0, 0, &log, &err));
    CHECK(log == NULL);
    buffer after = read_file(dir, name);
    CHECK(after.len == len && memcmp(after.data, data, len) == 0);
    free(after.data);
}

static void write_verify_resume(void) {
    cs_audit_log *log = open_log(log_path, tsa_url, 3);
    OK(cs_audit_log_append(log, "operator", "token.issue", "contract-1",
                           "{\"ip\":\"192.0.2.7\",\"uses\":2}", &err));
    OK(cs_audit_log_append(log, "alice@example.com", "contract.view", "contract-1", NULL, &err));
    /* The third entry is followed by a checkpoint (every 3 records). */
    OK(cs_audit_log_append(log, "alice@example.com", "contract.sign", "contract-1", "[1,2]", &err));
    OK(cs_audit_log_append(log, "operator", "token.revoke", "contract-1", NULL, &err));
    cs_bytes *head = NULL;
    OK(cs_audit_log_head(log, &head, &err));
    CHECK(cs_bytes_len(head) == 64);
    cs_audit_log_free(log);

    cs_audit_report *report = verify(log_path);
    /* genesis, 3 entries, checkpoint, 1 entry */
    CHECK(cs_audit_report_records(report) == 6);
    CHECK(cs_audit_report_checkpoints(report) == 1);
    CHECK(cs_audit_report_unanchored_records(report) == 1);
    CHECK(strcmp(cs_audit_report_head_hash(report), (const char *)cs_bytes_data(head)) == 0);
    CHECK(cs_audit_report_contains_head(report, (const char *)cs_bytes_data(head)));
    CHECK(!cs_audit_report_contains_head(report, "00"));
    CHECK(strstr(cs_audit_report_json(report), "\"last_checkpoint_seq\": 4") != NULL);
    cs_audit_report_free(report);

    /* After a restart: verified, then continued; an explicit checkpoint anchors the tail. */
    log = open_log(log_path, tsa_url, 0);
    OK(cs_audit_log_append(log, "operator", "contract.archive", "contract-1", NULL, &err));
    OK(cs_audit_log_checkpoint(log, &err));
    cs_audit_log_free(log);
    report = verify(log_path);
    CHECK(cs_audit_report_records(report) == 8);
    CHECK(cs_audit_report_checkpoints(report) == 2);
    CHECK(cs_audit_report_unanchored_records(report) == 0);
    CHECK(cs_audit_report_contains_head(report, (const char *)cs_bytes_data(head)));
    cs_audit_report_free(report);
    cs_bytes_free(head);

    /* Without the TSA's trust anchor the checkpoints prove nothing. */
    report = NULL;
    EXPECT(CS_ERR_AUDIT, cs_audit_verify(log_path, NULL, 0, &report, &err));
    CHECK(report == NULL);
}

static void tampering(void) {
    size_t len = 0;
    char *text = read_log(&len);

    /* One record's action changed in place. */
    char *copy = malloc(len + 1);
    memcpy(copy, text, len + 1);
    char *action = strstr(copy, "contract.view");
    CHECK(action != NULL);
    memcpy(action, "contract.edit", 13);
    expect_refused("audit-modified.jsonl", copy, len);

    /* The second line (the first entry) deleted. */
    char *line2 = strchr(text, '\n') + 1;
    char *line3 = strchr(line2, '\n') + 1;
    size_t before = (size_t)(line2 - text);
    memcpy(copy, text, before);
    memcpy(copy + before, line3, len - (size_t)(line3 - text));
    expect_refused("audit-deleted.jsonl", copy, len - (size_t)(line3 - line2));

    /* A torn last line: the final newline and a few bytes missing. */
    expect_refused("audit-torn.jsonl", text, len - 5);
    free(copy);

    /* Cutting whole records off the tail leaves a log that is itself well formed: it
     * verifies, and only a head kept elsewhere shows the cut. */
    cs_audit_report *full = verify(log_path);
    text[len - 1] = '\0';
    size_t kept = (size_t)(strrchr(text, '\n') + 1 - text);
    char cut_path[4096];
    write_copy("audit-cut.jsonl", text, kept, cut_path, sizeof cut_path);
    cs_audit_report *cut = verify(cut_path);
    CHECK(cs_audit_report_records(cut) == cs_audit_report_records(full) - 1);
    /* The two entries since the first checkpoint. */
    CHECK(cs_audit_report_unanchored_records(cut) == 2);
    CHECK(!cs_audit_report_contains_head(cut, cs_audit_report_head_hash(full)));
    cs_audit_report_free(cut);
    cs_audit_report_free(full);
    free(text);
}

/* Sealing ends a segment and continues in a new file that links to it. */
static void sealing(void) {
    char first[4096], second[4096];
    snprintf(first, sizeof first, "%s/audit-sealed.jsonl", dir);
    snprintf(second, sizeof second, "%s/audit-next.jsonl", dir);
    cs_audit_log *log = open_log(first, tsa_url, 0);
    OK(cs_audit_log_append(log, "operator", "contract.sign", "contract-2", NULL, &err));
    OK(cs_audit_log_seal(log, second, &err));
    OK(cs_audit_log_append(log, "operator", "contract.archive", "contract-2", NULL, &err));
    OK(cs_audit_log_checkpoint(log, &err));
    cs_audit_log_free(log);

    cs_audit_report *sealed = verify(first);
    CHECK(cs_audit_report_records(sealed) == 3); /* genesis, entry, sealing checkpoint */
    CHECK(cs_audit_report_checkpoints(sealed) == 1);
    cs_audit_report *next = verify(second);
    CHECK(cs_audit_report_records(next) == 3); /* linked genesis, entry, checkpoint */
    CHECK(cs_audit_report_checkpoints(next) == 2);
    char link[128];
    snprintf(link, sizeof link, "\"previous_segment_head\": \"%s\"",
             cs_audit_report_head_hash(sealed));
    CHECK(strstr(cs_audit_report_json(next), link) != NULL);
    cs_audit_report_free(next);
    cs_audit_report_free(sealed);

    /* Without the authority the seal fails, and the log is closed and says so. */
    snprintf(first, sizeof first, "%s/audit-unsealed.jsonl", dir);
    snprintf(second, sizeof second, "%s/audit-unsealed-next.jsonl", dir);
    log = open_log(first, "http://127.0.0.1:1/", 0);
    EXPECT(CS_ERR_AUDIT, cs_audit_log_seal(log, second, &err));
    EXPECT(CS_ERR_AUDIT, cs_audit_log_append(log, "operator", "x", "y", NULL, &err));
    EXPECT(CS_ERR_AUDIT, cs_audit_log_seal(log, second, &err));
    cs_bytes *head = NULL;
    EXPECT(CS_ERR_AUDIT, cs_audit_log_head(log, &head, &err));
    CHECK(head == NULL);
    cs_audit_log_free(log);
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_audit_log_seal(NULL, second, &err));
}

static void errors(void) {
    cs_audit_log *log = NULL;
    cs_audit_report *report = NULL;
    EXPECT(CS_ERR_NULL_ARGUMENT,
           cs_audit_log_open(NULL, tsa_url, root.data, root.len, 0, 0, &log, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT,
           cs_audit_log_open(log_path, tsa_url, root.data, root.len, 0, 0, NULL, &err));
    EXPECT(CS_ERR_TIMESTAMP,
           cs_audit_log_open(log_path, "ftp://example.org/", root.data, root.len, 0, 0, &log,
                             &err));
    EXPECT(CS_ERR_CERTIFICATE,
           cs_audit_log_open(log_path, tsa_url, (const uint8_t *)"nope", 4, 0, 0, &log, &err));
    CHECK(log == NULL);
    char missing[4096];
    snprintf(missing, sizeof missing, "%s/no-such-log.jsonl", dir);
    EXPECT(CS_ERR_AUDIT, cs_audit_verify(missing, root.data, root.len, &report, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_audit_verify(log_path, root.data, root.len, NULL, &err));
    CHECK(report == NULL);

    /* A new log whose authority is unreachable: the entry is written, its checkpoint fails. */
    char path[4096];
    snprintf(path, sizeof path, "%s/audit-no-tsa.jsonl", dir);
    log = open_log(path, "http://127.0.0.1:1/", 1);
    EXPECT(CS_ERR_INVALID_ARGUMENT,
           cs_audit_log_append(log, "operator", "x", "y", "{not json", &err));
    EXPECT(CS_ERR_AUDIT, cs_audit_log_append(log, "operator", "x", "y", NULL, &err));
    EXPECT(CS_ERR_AUDIT, cs_audit_log_checkpoint(log, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_audit_log_append(log, NULL, "x", "y", NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_audit_log_append(NULL, "a", "x", "y", NULL, &err));
    cs_audit_log_free(log);
    report = verify(path);
    CHECK(cs_audit_report_records(report) == 2); /* genesis and the entry */
    CHECK(cs_audit_report_checkpoints(report) == 0);
    cs_audit_report_free(report);

    CHECK(cs_audit_report_records(NULL) == 0);
    CHECK(strcmp(cs_audit_report_head_hash(NULL), "") == 0);
    CHECK(!cs_audit_report_contains_head(NULL, "x"));
    cs_audit_report_free(NULL);
    cs_audit_log_free(NULL);
}

int main(int argc, char **argv) {
    if (argc != 3) FAIL("usage: audit FIXTURE_DIR TSA_URL");
    dir = argv[1];
    tsa_url = argv[2];
    root = read_file(dir, "root.pem");
    snprintf(log_path, sizeof log_path, "%s/audit.jsonl", dir);
    write_verify_resume();
    tampering();
    sealing();
    errors();
    free(root.data);
    printf("audit: ok\n");
    return 0;
}
