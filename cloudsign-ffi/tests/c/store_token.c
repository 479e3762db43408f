/* Encrypted blob storage (memory and directory backends) and recipient tokens (memory and
 * SQLite stores) through the C API.
 *
 *   store_token FIXTURE_DIR TSA_URL */
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

static void blobs(const char *dir) {
    buffer data = read_file(dir, "contract.pdf");
    cs_blob_store *memory = NULL;
    OK(cs_blob_store_new_memory(KEYS, &memory, &err));
    round_trip(memory, &data);
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
}

int main(int argc, char **argv) {
    if (argc != 3) FAIL("usage: store_token FIXTURE_DIR TSA_URL");
    blobs(argv[1]);

    cs_token_store *memory = NULL;
    OK(cs_token_store_new_memory(&memory, &err));
    tokens(memory);
    cs_token_store_free(memory);

    char path[4096];
    snprintf(path, sizeof path, "%s/tokens.sqlite", argv[1]);
    cs_token_store *sqlite = NULL;
    OK(cs_token_store_new_sqlite(path, &sqlite, &err));
    tokens(sqlite);
    cs_token_store_free(sqlite);

    printf("store_token: ok\n");
    return 0;
}
