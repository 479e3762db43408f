/* Encrypted blob storage (memory and directory backends; delete, list, key rotation) and
 * recipient tokens (memory and SQLite stores; recipient and scope; revocation) through the C
 * API. The S3 backend and replication are in s3/blob_store_s3.c.
 *
 *   store_token FIXTURE_DIR TSA_URL */
#include <stdbool.h>

#include "support.h"

static const char *KEYS =
    "k2 2222222222222222222222222222222222222222222222222222222222222222\n"
    "k1 1111111111111111111111111111111111111111111111111111111111111111\n";

static void round_trip(cs_blob_store *store, const buffer *data) {
    cs_bytes *id = NULL;
    OK(cs_blob_put(store, data->data, data->len, &id, &err));
    const char *id_text = (const char *)cs_bytes_data(id);
    CHECK(strlen(id_text) == 32 && cs_bytes_len(id) == 32);
    cs_bytes *back = NULL;
    OK(cs_blob_get(store, id_text, &back, &err));
    CHECK(cs_bytes_len(back) == data->len);
    CHECK(memcmp(cs_bytes_data(back), data->data, data->len) == 0);
    cs_bytes_free(back);
    cs_bytes_free(id);

    /* An id never stored, and one that is not an id. */
    back = NULL;
    EXPECT(CS_ERR_STORE, cs_blob_get(store, "00000000000000000000000000000000", &back, &err));
    EXPECT(CS_ERR_STORE, cs_blob_get(store, "not-an-id", &back, &err));
    CHECK(back == NULL);
}

static bool exists(const cs_blob_store *store, const char *id) {
    bool found = false;
    OK(cs_blob_exists(store, id, &found, &err));
    return found;
}

/* Delete, exists and list on a store holding nothing else. */
static void delete_and_list(cs_blob_store *store, const buffer *data) {
    cs_bytes *a = NULL, *b = NULL, *ids = NULL;
    OK(cs_blob_put(store, data->data, data->len, &a, &err));
    OK(cs_blob_put(store, data->data, 10, &b, &err));
    const char *id_a = (const char *)cs_bytes_data(a), *id_b = (const char *)cs_bytes_data(b);
    CHECK(exists(store, id_a) && exists(store, id_b));
    OK(cs_blob_list(store, &ids, &err));
    /* Sorted, one a line. */
    const char *first = strcmp(id_a, id_b) < 0 ? id_a : id_b;
    const char *second = first == id_a ? id_b : id_a;
    char expected[80];
    snprintf(expected, sizeof expected, "%s\n%s", first, second);
    CHECK(strcmp((const char *)cs_bytes_data(ids), expected) == 0);
    cs_bytes_free(ids);

    OK(cs_blob_delete(store, id_a, &err));
    CHECK(!exists(store, id_a) && exists(store, id_b));
    cs_bytes *back = NULL;
    EXPECT(CS_ERR_STORE, cs_blob_get(store, id_a, &back, &err));
    OK(cs_blob_delete(store, id_a, &err)); /* already gone: not an error */
    OK(cs_blob_get(store, id_b, &back, &err));
    CHECK(cs_bytes_len(back) == 10);
    cs_bytes_free(back);
    OK(cs_blob_delete(store, id_b, &err));
    OK(cs_blob_list(store, &ids, &err));
    CHECK(cs_bytes_len(ids) == 0);
    cs_bytes_free(ids);

    bool found = false;
    EXPECT(CS_ERR_STORE, cs_blob_delete(store, "not-an-id", &err));
    EXPECT(CS_ERR_STORE, cs_blob_exists(store, "ABCDEF00000000000000000000000000", &found, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_blob_exists(store, id_b, NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_blob_delete(NULL, id_b, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_blob_list(store, NULL, &err));
    cs_bytes_free(a);
    cs_bytes_free(b);
}

/* Retiring key k2 of the directory store at `path`: open with a new key k3 first, rotate
 * every blob, then k3 alone reads them all. */
static void rotation(const char *path, const buffer *data) {
    static const char *ROTATING =
        "k3 3333333333333333333333333333333333333333333333333333333333333333\n"
        "k2 2222222222222222222222222222222222222222222222222222222222222222\n"
        "k1 1111111111111111111111111111111111111111111111111111111111111111\n";
    static const char *NEW_ONLY =
        "k3 3333333333333333333333333333333333333333333333333333333333333333\n";
    cs_blob_store *store = NULL;
    OK(cs_blob_store_new_fs(path, KEYS, &store, &err));
    cs_bytes *id = NULL;
    OK(cs_blob_put(store, data->data, data->len, &id, &err));
    const char *id_text = (const char *)cs_bytes_data(id);
    cs_blob_store_free(store);

    /* Before rotation the new key alone cannot read it. */
    cs_blob_store *new_only = NULL;
    OK(cs_blob_store_new_fs(path, NEW_ONLY, &new_only, &err));
    cs_bytes *back = NULL;
    EXPECT(CS_ERR_STORE, cs_blob_get(new_only, id_text, &back, &err));

    OK(cs_blob_store_new_fs(path, ROTATING, &store, &err));
    bool rotated = false;
    OK(cs_blob_rotate(store, id_text, &rotated, &err));
    CHECK(rotated);
    OK(cs_blob_rotate(store, id_text, &rotated, &err));
    CHECK(!rotated); /* already under k3 */
    size_t count = 99;
    OK(cs_blob_rotate_all(store, &count, &err));
    /* The other blobs in the directory (from earlier in this program) were under k2. */
    CHECK(count >= 1);
    OK(cs_blob_rotate_all(store, &count, &err));
    CHECK(count == 0);
    EXPECT(CS_ERR_STORE,
           cs_blob_rotate(store, "00000000000000000000000000000000", &rotated, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_blob_rotate(store, id_text, NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_blob_rotate_all(NULL, &count, &err));
    cs_blob_store_free(store);

    OK(cs_blob_get(new_only, id_text, &back, &err));
    CHECK(cs_bytes_len(back) == data->len);
    CHECK(memcmp(cs_bytes_data(back), data->data, data->len) == 0);
    cs_bytes_free(back);
    cs_blob_store_free(new_only);
    cs_bytes_free(id);
}

static void blobs(const char *dir) {
    buffer data = read_file(dir, "contract.pdf");
    cs_blob_store *memory = NULL;
    OK(cs_blob_store_new_memory(KEYS, &memory, &err));
    round_trip(memory, &data);
    cs_blob_store_free(memory);
    OK(cs_blob_store_new_memory(KEYS, &memory, &err));
    delete_and_list(memory, &data);
    cs_blob_store_free(memory);

    char path[4096];
    snprintf(path, sizeof path, "%s/blobs", dir);
    cs_blob_store *fs = NULL;
    OK(cs_blob_store_new_fs(path, KEYS, &fs, &err));
    round_trip(fs, &data);
    cs_bytes *id = NULL;
    OK(cs_blob_put(fs, data.data, data.len, &id, &err));
    cs_blob_store_free(fs);

    /* Reopened with only the old key: the blob was sealed under the active key, k2. */
    cs_blob_store *old_keys = NULL;
    OK(cs_blob_store_new_fs(path, KEYS + 68, &old_keys, &err));
    cs_bytes *back = NULL;
    EXPECT(CS_ERR_STORE, cs_blob_get(old_keys, (const char *)cs_bytes_data(id), &back, &err));
    CHECK(back == NULL);
    cs_blob_store_free(old_keys);

    /* Reopened with both keys: readable. */
    OK(cs_blob_store_new_fs(path, KEYS, &fs, &err));
    OK(cs_blob_get(fs, (const char *)cs_bytes_data(id), &back, &err));
    CHECK(cs_bytes_len(back) == data.len);
    cs_bytes_free(back);
    cs_blob_store_free(fs);
    cs_bytes_free(id);

    rotation(path, &data);

    char empty[4096];
    snprintf(empty, sizeof empty, "%s/blobs-empty", dir);
    OK(cs_blob_store_new_fs(empty, KEYS, &fs, &err));
    delete_and_list(fs, &data);
    cs_blob_store_free(fs);

    cs_blob_store *none = NULL;
    EXPECT(CS_ERR_STORE, cs_blob_store_new_memory("k1 tooshort", &none, &err));
    CHECK(none == NULL);
    free(data.data);
}

static void tokens(cs_token_store *store) {
    cs_bytes *token = NULL;
    OK(cs_token_issue(store, "contract-42", 3600, 2, &token, &err));
    const char *secret = (const char *)cs_bytes_data(token);
    CHECK(strncmp(secret, "cs1_", 4) == 0);

    cs_bytes *resource = NULL;
    OK(cs_token_verify(store, secret, &resource, &err));
    CHECK(strcmp((const char *)cs_bytes_data(resource), "contract-42") == 0);
    cs_bytes_free(resource);
    OK(cs_token_redeem(store, secret, NULL, &err));
    OK(cs_token_redeem(store, secret, NULL, &err));
    /* Two uses allowed, both made. */
    EXPECT(CS_ERR_TOKEN, cs_token_redeem(store, secret, NULL, &err));
    EXPECT(CS_ERR_TOKEN, cs_token_verify(store, secret, NULL, &err));
    EXPECT(CS_ERR_TOKEN,
           cs_token_verify(store, "cs1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", NULL, &err));
    EXPECT(CS_ERR_TOKEN, cs_token_verify(store, "garbage", NULL, &err));
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_token_issue(store, "x", 0, 1, &token, &err));
    cs_bytes_free(token);

    /* Revocation: a live token stops working at once. */
    OK(cs_token_issue(store, "contract-43", 3600, 5, &token, &err));
    secret = (const char *)cs_bytes_data(token);
    OK(cs_token_verify(store, secret, NULL, &err));
    bool revoked = false;
    OK(cs_token_revoke(store, secret, &revoked, &err));
    CHECK(revoked);
    EXPECT(CS_ERR_TOKEN, cs_token_verify(store, secret, NULL, &err));
    EXPECT(CS_ERR_TOKEN, cs_token_redeem(store, secret, NULL, &err));
    /* Never issued: nothing to revoke. Not a token: refused. */
    OK(cs_token_revoke(store, "cs1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &revoked, &err));
    CHECK(!revoked);
    EXPECT(CS_ERR_TOKEN, cs_token_revoke(store, "garbage", &revoked, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_token_revoke(store, secret, NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_token_revoke(NULL, secret, &revoked, &err));
    cs_bytes_free(token);
}

/* Claims of the token `secret` as verified now, with their strings checked. */
static void expect_claims(cs_token_store *store, const char *secret, const char *recipient,
                          const char *scope) {
    cs_token_claims *claims = NULL;
    OK(cs_token_verify_claims(store, secret, &claims, &err));
    CHECK(strcmp(cs_token_claims_resource(claims), "contract-44") == 0);
    CHECK(strcmp(cs_token_claims_recipient(claims), recipient) == 0);
    CHECK(strcmp(cs_token_claims_scope(claims), scope) == 0);
    CHECK(strcmp(cs_token_claims_kid(claims), "") == 0);
    CHECK(cs_token_claims_expires(claims) > 1700000000);
    cs_token_claims_free(claims);
}

/* Recipient and scope are stored with the token and come back on verify and redeem. */
static void token_claims(cs_token_store *store) {
    cs_bytes *token = NULL;
    OK(cs_token_issue_for(store, "contract-44", "alice@example.com", "sign", 3600, 1, &token,
                          &err));
    const char *secret = (const char *)cs_bytes_data(token);
    expect_claims(store, secret, "alice@example.com", "sign");
    cs_token_claims *claims = NULL;
    OK(cs_token_redeem_claims(store, secret, &claims, &err));
    CHECK(strcmp(cs_token_claims_recipient(claims), "alice@example.com") == 0);
    CHECK(strcmp(cs_token_claims_scope(claims), "sign") == 0);
    cs_token_claims_free(claims);
    claims = NULL;
    /* Its one use is spent. */
    EXPECT(CS_ERR_TOKEN, cs_token_redeem_claims(store, secret, &claims, &err));
    EXPECT(CS_ERR_TOKEN, cs_token_verify_claims(store, secret, &claims, &err));
    CHECK(claims == NULL);
    cs_bytes_free(token);

    /* NULL recipient and scope: none and "view", as cs_token_issue gives. */
    OK(cs_token_issue_for(store, "contract-44", NULL, NULL, 3600, 1, &token, &err));
    expect_claims(store, (const char *)cs_bytes_data(token), "", "view");
    cs_bytes_free(token);
    OK(cs_token_issue(store, "contract-44", 3600, 1, &token, &err));
    expect_claims(store, (const char *)cs_bytes_data(token), "", "view");
    EXPECT(CS_ERR_NULL_ARGUMENT,
           cs_token_verify_claims(store, (const char *)cs_bytes_data(token), NULL, &err));
    cs_bytes_free(token);

    token = NULL;
    EXPECT(CS_ERR_INVALID_ARGUMENT,
           cs_token_issue_for(store, "contract-44", "bob", "sign", 3600, 0, &token, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT,
           cs_token_issue_for(store, NULL, "bob", "sign", 3600, 1, &token, &err));
    EXPECT(CS_ERR_INVALID_UTF8,
           cs_token_issue_for(store, "contract-44", "\xff", NULL, 3600, 1, &token, &err));
    CHECK(token == NULL);
}

int main(int argc, char **argv) {
    if (argc != 3) FAIL("usage: store_token FIXTURE_DIR TSA_URL");
    blobs(argv[1]);

    cs_token_store *memory = NULL;
    OK(cs_token_store_new_memory(&memory, &err));
    tokens(memory);
    token_claims(memory);
    cs_token_store_free(memory);

    char path[4096];
    snprintf(path, sizeof path, "%s/tokens.sqlite", argv[1]);
    cs_token_store *sqlite = NULL;
    OK(cs_token_store_new_sqlite(path, &sqlite, &err));
    tokens(sqlite);
    token_claims(sqlite);
    cs_token_store_free(sqlite);

    printf("store_token: ok\n");
    return 0;
}
