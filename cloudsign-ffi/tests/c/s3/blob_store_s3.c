/* Encrypted blobs in an S3-compatible bucket, and a store replicated over memory, a directory
 * and the bucket (write quorum, fallback reads, repair), through the C API. Run by tests/c.rs
 * against moto's S3 server on loopback; kept out of tests/c so that only that test runs it.
 *
 *   blob_store_s3 FIXTURE_DIR ENDPOINT BUCKET */
#include <stdbool.h>

#include "../support.h"

static const char *KEYS =
    "k2 2222222222222222222222222222222222222222222222222222222222222222\n"
    "k1 1111111111111111111111111111111111111111111111111111111111111111\n";

static const char *endpoint, *bucket;

static cs_blob_store *s3_store(const char *bucket_name, const char *prefix) {
    cs_blob_store *store = NULL;
    OK(cs_blob_store_new_s3(endpoint, bucket_name, "us-east-1", "testing", "testing", prefix,
                            true, KEYS, &store, &err));
    return store;
}

static bool exists(const cs_blob_store *store, const char *id) {
    bool found = false;
    OK(cs_blob_exists(store, id, &found, &err));
    return found;
}

/* `store` holds blob `id` with the content `data`. */
static void holds(const cs_blob_store *store, const char *id, const buffer *data) {
    cs_bytes *back = NULL;
    OK(cs_blob_get(store, id, &back, &err));
    CHECK(cs_bytes_len(back) == data->len);
    CHECK(memcmp(cs_bytes_data(back), data->data, data->len) == 0);
    cs_bytes_free(back);
}

static void bucket_round_trip(const buffer *data) {
    cs_blob_store *store = s3_store(bucket, "c-round-trip");
    cs_bytes *id = NULL, *ids = NULL, *back = NULL;
    OK(cs_blob_put(store, data->data, data->len, &id, &err));
    const char *id_text = (const char *)cs_bytes_data(id);
    holds(store, id_text, data);
    CHECK(exists(store, id_text));
    OK(cs_blob_list(store, &ids, &err));
    CHECK(strcmp((const char *)cs_bytes_data(ids), id_text) == 0);
    cs_bytes_free(ids);

    /* Another prefix of the same bucket sees nothing of it. */
    cs_blob_store *other = s3_store(bucket, "c-other");
    CHECK(!exists(other, id_text));
    EXPECT(CS_ERR_STORE, cs_blob_get(other, id_text, &back, &err));
    cs_blob_store_free(other);

    OK(cs_blob_delete(store, id_text, &err));
    CHECK(!exists(store, id_text));
    EXPECT(CS_ERR_STORE, cs_blob_get(store, id_text, &back, &err));
    CHECK(back == NULL);
    cs_blob_store_free(store);
    cs_bytes_free(id);
}

static void bad_configurations(const buffer *data) {
    cs_blob_store *store = NULL;
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_blob_store_new_s3(endpoint, NULL, NULL, NULL, NULL, NULL,
                                                      true, KEYS, &store, &err));
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_blob_store_new_s3(endpoint, bucket, NULL, "testing", NULL,
                                                         NULL, true, KEYS, &store, &err));
    EXPECT(CS_ERR_STORE, cs_blob_store_new_s3(endpoint, bucket, NULL, NULL, NULL, NULL, true,
                                              "k1 tooshort", &store, &err));
    CHECK(store == NULL);

    /* A plain http:// endpoint is refused unless allowed, at the first request. */
    OK(cs_blob_store_new_s3(endpoint, bucket, NULL, "testing", "testing", "c-refused", false,
                            KEYS, &store, &err));
    cs_bytes *id = NULL;
    EXPECT(CS_ERR_STORE, cs_blob_put(store, data->data, data->len, &id, &err));
    CHECK(id == NULL);
    cs_blob_store_free(store);
}

/* Memory, a directory and the bucket hold every blob; a lost copy is read from another
 * replica and put back by repair. The replicas stay usable on their own and may be freed
 * before the replicated store. */
static void replication(const char *dir, const buffer *data) {
    char path[4096];
    snprintf(path, sizeof path, "%s/replica", dir);
    cs_blob_store *memory = NULL, *fs = NULL, *s3 = s3_store(bucket, "c-replica");
    OK(cs_blob_store_new_memory(KEYS, &memory, &err));
    OK(cs_blob_store_new_fs(path, KEYS, &fs, &err));
    const cs_blob_store *replicas[] = {memory, fs, s3};
    cs_blob_store *replicated = NULL;
    OK(cs_blob_store_new_replicated(replicas, 3, 0, KEYS, &replicated, &err));

    cs_bytes *id = NULL;
    OK(cs_blob_put(replicated, data->data, data->len, &id, &err));
    const char *id_text = (const char *)cs_bytes_data(id);
    for (size_t i = 0; i < 3; i++) holds(replicas[i], id_text, data);

    /* The first two copies lost: read from the bucket, then repaired from it. */
    OK(cs_blob_delete(memory, id_text, &err));
    OK(cs_blob_delete(fs, id_text, &err));
    CHECK(!exists(memory, id_text) && !exists(fs, id_text));
    holds(replicated, id_text, data);
    size_t repaired = 99;
    OK(cs_blob_repair(replicated, id_text, &repaired, &err));
    CHECK(repaired == 2);
    holds(memory, id_text, data);
    holds(fs, id_text, data);
    OK(cs_blob_repair(replicated, id_text, &repaired, &err));
    CHECK(repaired == 0);

    /* A store replicated over a replicated store and another one. */
    const cs_blob_store *nested_replicas[] = {replicated, memory};
    cs_blob_store *nested = NULL;
    OK(cs_blob_store_new_replicated(nested_replicas, 2, 0, KEYS, &nested, &err));
    holds(nested, id_text, data);

    cs_blob_store_free(memory);
    cs_blob_store_free(fs);
    cs_blob_store_free(s3);
    holds(replicated, id_text, data);
    OK(cs_blob_delete(replicated, id_text, &err));
    CHECK(!exists(replicated, id_text) && !exists(nested, id_text));
    EXPECT(CS_ERR_STORE, cs_blob_repair(replicated, id_text, &repaired, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_blob_repair(replicated, id_text, NULL, &err));
    cs_blob_store_free(nested);
    cs_blob_store_free(replicated);
    cs_bytes_free(id);
}

/* One replica cannot take writes (its bucket does not exist): a quorum of the others
 * suffices, "all" does not. */
static void write_quorum(const buffer *data) {
    cs_blob_store *memory = NULL, *good = s3_store(bucket, "c-quorum");
    cs_blob_store *broken = s3_store("no-such-bucket", "c-quorum");
    OK(cs_blob_store_new_memory(KEYS, &memory, &err));
    const cs_blob_store *replicas[] = {memory, good, broken};

    cs_blob_store *all = NULL, *two = NULL, *none = NULL;
    OK(cs_blob_store_new_replicated(replicas, 3, 0, KEYS, &all, &err));
    cs_bytes *id = NULL;
    EXPECT(CS_ERR_STORE, cs_blob_put(all, data->data, data->len, &id, &err));
    CHECK(id == NULL);

    OK(cs_blob_store_new_replicated(replicas, 3, 2, KEYS, &two, &err));
    OK(cs_blob_put(two, data->data, data->len, &id, &err));
    const char *id_text = (const char *)cs_bytes_data(id);
    holds(memory, id_text, data);
    holds(good, id_text, data);
    cs_bytes_free(id);

    EXPECT(CS_ERR_INVALID_ARGUMENT,
           cs_blob_store_new_replicated(replicas, 3, 4, KEYS, &none, &err));
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_blob_store_new_replicated(replicas, 0, 0, KEYS, &none,
                                                                 &err));
    const cs_blob_store *with_null[] = {memory, NULL};
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_blob_store_new_replicated(with_null, 2, 0, KEYS, &none,
                                                              &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_blob_store_new_replicated(NULL, 1, 0, KEYS, &none, &err));
    CHECK(none == NULL);

    cs_blob_store_free(all);
    cs_blob_store_free(two);
    cs_blob_store_free(memory);
    cs_blob_store_free(good);
    cs_blob_store_free(broken);
}

int main(int argc, char **argv) {
    if (argc != 4) FAIL("usage: blob_store_s3 FIXTURE_DIR ENDPOINT BUCKET");
    endpoint = argv[2];
    bucket = argv[3];
    buffer data = read_file(argv[1], "contract.pdf");
    bucket_round_trip(&data);
    bad_configurations(&data);
    replication(argv[1], &data);
    write_quorum(&data);
    free(data.data);
    printf("blob_store_s3: ok\n");
    return 0;
}
