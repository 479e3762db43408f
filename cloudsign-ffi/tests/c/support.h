/* Helpers shared by the C tests: file I/O and checks that stop the program with a message.
 * Every test program takes FIXTURE_DIR and TSA_URL as arguments. */
#ifndef CLOUDSIGN_TEST_SUPPORT_H
#define CLOUDSIGN_TEST_SUPPORT_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloudsign.h"

#define FAIL(...)                                                    \
    do {                                                             \
        fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);              \
        fprintf(stderr, __VA_ARGS__);                                \
        fprintf(stderr, "\n");                                       \
        exit(1);                                                     \
    } while (0)

#define CHECK(cond)                                                  \
    do {                                                             \
        if (!(cond)) FAIL("check failed: %s", #cond);                \
    } while (0)

/* Expects `status` and, when `err` is set, the same code in it; frees `err`. */
static inline void expect_status(const char *what, cs_status status, cs_error *err,
                                 cs_status expected) {
    if (status != expected) {
        fprintf(stderr, "%s: status %u, expected %u (%s)\n", what, (unsigned)status,
                (unsigned)expected, cs_error_message(err));
        exit(1);
    }
    if (expected != CS_OK) {
        if (err == NULL) {
            fprintf(stderr, "%s: no error object\n", what);
            exit(1);
        }
        if (cs_error_status(err) != expected || strlen(cs_error_message(err)) == 0) {
            fprintf(stderr, "%s: error object says %u: '%s'\n", what,
                    (unsigned)cs_error_status(err), cs_error_message(err));
            exit(1);
        }
    }
    cs_error_free(err);
}

/* Runs `call`, which names `&err` as its error parameter, and expects `status` from it. */
#define EXPECT(status, call)                                         \
    do {                                                             \
        cs_error *err = NULL;                                        \
        cs_status expect_status_ = (call);                           \
        expect_status(#call, expect_status_, err, (status));         \
    } while (0)

/* Runs `call`, which names `&err` as its error parameter, and expects CS_OK. */
#define OK(call) EXPECT(CS_OK, call)

typedef struct {
    unsigned char *data;
    size_t len;
} buffer;

static inline buffer read_file(const char *dir, const char *name) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) FAIL("cannot open %s", path);
    buffer b = {NULL, 0};
    size_t cap = 0;
    for (;;) {
        if (b.len == cap) {
            cap = cap ? cap * 2 : 65536;
            b.data = realloc(b.data, cap);
            if (b.data == NULL) FAIL("out of memory");
        }
        size_t n = fread(b.data + b.len, 1, cap - b.len, f);
        if (n == 0) break;
        b.len += n;
    }
    fclose(f);
    return b;
}

/* The RSA test signer from FIXTURE_DIR/signer-rsa.p12 (password "test"). */
static inline cs_signer *p12_signer(const char *dir) {
    buffer p12 = read_file(dir, "signer-rsa.p12");
    cs_signer *signer = NULL;
    OK(cs_signer_new_pkcs12(p12.data, p12.len, "test", &signer, &err));
    free(p12.data);
    return signer;
}

static inline buffer concat(buffer a, buffer b) {
    buffer c = {malloc(a.len + b.len), a.len + b.len};
    if (c.data == NULL) FAIL("out of memory");
    memcpy(c.data, a.data, a.len);
    memcpy(c.data + a.len, b.data, b.len);
    return c;
}

static inline void write_file(const char *dir, const char *name, const cs_bytes *bytes) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL) FAIL("cannot create %s", path);
    if (fwrite(cs_bytes_data(bytes), 1, cs_bytes_len(bytes), f) != cs_bytes_len(bytes))
        FAIL("cannot write %s", path);
    fclose(f);
}

/* Whether `bytes` holds the text `needle` anywhere. */
static inline bool contains(const cs_bytes *bytes, const char *needle) {
    size_t n = strlen(needle), len = cs_bytes_len(bytes);
    const uint8_t *data = cs_bytes_data(bytes);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(data + i, needle, n) == 0) return true;
    return false;
}

#endif
