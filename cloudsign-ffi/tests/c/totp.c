/* TOTP through the C API: the RFC 6238 Appendix B vectors for SHA-1, SHA-256 and SHA-512,
 * the skew window, replay refusal, base32 secrets and enrolment URIs, and the error paths.
 *
 *   totp FIXTURE_DIR TSA_URL */
#include "support.h"

/* RFC 6238 Appendix B: 8 digits, 30-second steps; the seed is the ASCII string "1234567890"
 * repeated to 20, 32 and 64 bytes for SHA-1, SHA-256 and SHA-512. */
static const struct {
    uint64_t time;
    const char *codes[3];
} VECTORS[] = {
    {59ULL, {"94287082", "46119246", "90693936"}},
    {1111111109ULL, {"07081804", "68084774", "25091201"}},
    {1111111111ULL, {"14050471", "67062674", "99943326"}},
    {1234567890ULL, {"89005924", "91819424", "93441116"}},
    {2000000000ULL, {"69279037", "90698825", "38618901"}},
    {20000000000ULL, {"65353130", "77737706", "47863826"}},
};

static cs_totp *rfc_totp(uint32_t algorithm, size_t seed_len) {
    unsigned char seed[64];
    for (size_t i = 0; i < seed_len; i++) seed[i] = (unsigned char)('0' + (i + 1) % 10);
    cs_totp *totp = NULL;
    OK(cs_totp_new(seed, seed_len, &totp, &err));
    OK(cs_totp_configure(totp, algorithm, 8, 30, 1, &err));
    return totp;
}

static void expect_code(const cs_totp *totp, uint64_t time, const char *expected) {
    cs_bytes *code = NULL;
    OK(cs_totp_code(totp, time, &code, &err));
    if (strcmp((const char *)cs_bytes_data(code), expected) != 0)
        FAIL("code at %llu: %s, expected %s", (unsigned long long)time,
             (const char *)cs_bytes_data(code), expected);
    cs_bytes_free(code);
}

static void rfc6238_vectors(void) {
    const uint32_t algorithms[3] = {CS_TOTP_SHA1, CS_TOTP_SHA256, CS_TOTP_SHA512};
    const size_t seed_lens[3] = {20, 32, 64};
    for (size_t a = 0; a < 3; a++) {
        cs_totp *totp = rfc_totp(algorithms[a], seed_lens[a]);
        for (size_t v = 0; v < sizeof VECTORS / sizeof VECTORS[0]; v++) {
            const char *expected = VECTORS[v].codes[a];
            expect_code(totp, VECTORS[v].time, expected);
            uint64_t step = 0;
            OK(cs_totp_verify(totp, expected, VECTORS[v].time, NULL, &step, &err));
            CHECK(step == VECTORS[v].time / 30);
            /* The same code again, once its step is stored: a replay. */
            EXPECT(CS_ERR_AUTH,
                   cs_totp_verify(totp, expected, VECTORS[v].time, &step, &step, &err));
        }
        cs_totp_free(totp);
    }
}

static void window_and_replay(void) {
    cs_totp *totp = rfc_totp(CS_TOTP_SHA1, 20);
    const uint64_t now = 1700000000ULL, step_now = now / 30;
    cs_bytes *previous = NULL, *old = NULL;
    OK(cs_totp_code(totp, now - 30, &previous, &err));
    OK(cs_totp_code(totp, now - 90, &old, &err));
    uint64_t step = 0;
    /* One step back is inside the default window, three are not. */
    OK(cs_totp_verify(totp, (const char *)cs_bytes_data(previous), now, NULL, &step, &err));
    CHECK(step == step_now - 1);
    EXPECT(CS_ERR_AUTH,
           cs_totp_verify(totp, (const char *)cs_bytes_data(old), now, NULL, &step, &err));
    CHECK(step == step_now - 1);
    /* A wider window admits it, unless a later step was already used. */
    OK(cs_totp_configure(totp, CS_TOTP_SHA1, 8, 30, 3, &err));
    OK(cs_totp_verify(totp, (const char *)cs_bytes_data(old), now, NULL, &step, &err));
    CHECK(step == step_now - 3);
    uint64_t last = step_now - 1;
    EXPECT(CS_ERR_AUTH,
           cs_totp_verify(totp, (const char *)cs_bytes_data(old), now, &last, &step, &err));
    /* Not eight digits, and a wrong code. */
    EXPECT(CS_ERR_AUTH, cs_totp_verify(totp, "1234567", now, NULL, &step, &err));
    EXPECT(CS_ERR_AUTH, cs_totp_verify(totp, "12a45678", now, NULL, &step, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT,
           cs_totp_verify(totp, (const char *)cs_bytes_data(old), now, NULL, NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_totp_verify(NULL, "12345678", now, NULL, &step, &err));
    cs_bytes_free(previous);
    cs_bytes_free(old);
    cs_totp_free(totp);
}

static void enrolment(void) {
    cs_totp *totp = NULL;
    OK(cs_totp_generate(&totp, &err));
    cs_bytes *secret = NULL;
    OK(cs_totp_secret_base32(totp, &secret, &err));
    const char *base32 = (const char *)cs_bytes_data(secret);
    CHECK(cs_bytes_len(secret) == 32); /* 160 bits */

    cs_bytes *uri = NULL;
    OK(cs_totp_provisioning_uri(totp, "Cloudsign", "alice@example.com", &uri, &err));
    const char *prefix = "otpauth://totp/Cloudsign:alice%40example.com?secret=";
    CHECK(strncmp((const char *)cs_bytes_data(uri), prefix, strlen(prefix)) == 0);
    CHECK(strncmp((const char *)cs_bytes_data(uri) + strlen(prefix), base32, 32) == 0);
    CHECK(strstr((const char *)cs_bytes_data(uri), "&algorithm=SHA1&digits=6&period=30") != NULL);

    /* The stored base32 secret (lower case, spaced as apps show it) gives the same codes. */
    char spaced[64] = {0};
    for (size_t i = 0, j = 0; i < 32; i++) {
        if (i > 0 && i % 4 == 0) spaced[j++] = ' ';
        char c = base32[i];
        spaced[j++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    cs_totp *restored = NULL;
    OK(cs_totp_new_base32(spaced, &restored, &err));
    cs_bytes *a = NULL, *b = NULL;
    OK(cs_totp_code(totp, 1700000000ULL, &a, &err));
    OK(cs_totp_code(restored, 1700000000ULL, &b, &err));
    CHECK(cs_bytes_len(a) == 6 && strcmp((const char *)cs_bytes_data(a),
                                         (const char *)cs_bytes_data(b)) == 0);
    cs_bytes_free(a);
    cs_bytes_free(b);
    cs_totp_free(restored);
    cs_bytes_free(uri);
    cs_bytes_free(secret);
    cs_totp_free(totp);
}

static void errors(void) {
    cs_totp *totp = NULL;
    unsigned char short_seed[10] = {0};
    EXPECT(CS_ERR_AUTH, cs_totp_new(short_seed, sizeof short_seed, &totp, &err));
    EXPECT(CS_ERR_AUTH, cs_totp_new_base32("not base32!", &totp, &err));
    EXPECT(CS_ERR_AUTH, cs_totp_new_base32("MFRGG", &totp, &err)); /* under 128 bits */
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_totp_new(NULL, 20, &totp, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_totp_new_base32(NULL, &totp, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_totp_generate(NULL, &err));
    CHECK(totp == NULL);

    OK(cs_totp_generate(&totp, &err));
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_totp_configure(totp, 4, 6, 30, 1, &err));
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_totp_configure(totp, CS_TOTP_SHA1, 5, 30, 1, &err));
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_totp_configure(totp, CS_TOTP_SHA1, 9, 30, 1, &err));
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_totp_configure(totp, CS_TOTP_SHA1, 6, 0, 1, &err));
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_totp_configure(totp, CS_TOTP_SHA1, 6, 30, 11, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_totp_configure(NULL, CS_TOTP_SHA1, 6, 30, 1, &err));
    /* A refused configuration changed nothing: still six digits. */
    cs_bytes *code = NULL;
    OK(cs_totp_code(totp, 59, &code, &err));
    CHECK(cs_bytes_len(code) == 6);
    cs_bytes_free(code);
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_totp_provisioning_uri(totp, NULL, "a", &code, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_totp_secret_base32(totp, NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_totp_code(NULL, 59, &code, &err));
    cs_totp_free(totp);
    cs_totp_free(NULL);
}

int main(void) {
    rfc6238_vectors();
    window_and_replay();
    enrolment();
    errors();
    printf("totp: ok\n");
    return 0;
}
