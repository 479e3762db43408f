/* Stateless signed tokens through the C API: signing, verification and the claims, key
 * rotation (add, activate, retire), tampering, and the error paths.
 *
 *   signed_token FIXTURE_DIR TSA_URL */
#include <time.h>

#include "support.h"

/* 32-byte HMAC keys (the arrays hold a NUL after them). */
#define KEY_LEN 32
static const char KEY1[] = "0123456789abcdef0123456789abcdef";
static const char KEY2[] = "fedcba9876543210fedcba9876543210";

static cs_bytes *sign(const cs_signed_token_keys *keys, const char *resource) {
    cs_bytes *token = NULL;
    OK(cs_signed_token_sign(keys, resource, "alice@example.com", "sign", 3600, &token, &err));
    return token;
}

/* Verifies `token` and expects its key id and resource. */
static void expect_valid(const cs_signed_token_keys *keys, const cs_bytes *token,
                         const char *kid, const char *resource) {
    cs_token_claims *claims = NULL;
    OK(cs_signed_token_verify(keys, (const char *)cs_bytes_data(token), &claims, &err));
    CHECK(strcmp(cs_token_claims_kid(claims), kid) == 0);
    CHECK(strcmp(cs_token_claims_resource(claims), resource) == 0);
    cs_token_claims_free(claims);
}

static void sign_and_verify(void) {
    cs_signed_token_keys *keys = NULL;
    OK(cs_signed_token_keys_new("2024-01", (const uint8_t *)KEY1, KEY_LEN, &keys, &err));
    cs_bytes *token = sign(keys, "contract-42");
    const char *text = (const char *)cs_bytes_data(token);
    CHECK(strncmp(text, "cs1s_2024-01.", 13) == 0);

    cs_token_claims *claims = NULL;
    OK(cs_signed_token_verify(keys, text, &claims, &err));
    CHECK(strcmp(cs_token_claims_kid(claims), "2024-01") == 0);
    CHECK(strcmp(cs_token_claims_resource(claims), "contract-42") == 0);
    CHECK(strcmp(cs_token_claims_recipient(claims), "alice@example.com") == 0);
    CHECK(strcmp(cs_token_claims_scope(claims), "sign") == 0);
    uint64_t now = (uint64_t)time(NULL);
    CHECK(cs_token_claims_expires(claims) > now + 3500);
    CHECK(cs_token_claims_expires(claims) <= now + 3601);
    cs_token_claims_free(claims);
    CHECK(cs_token_claims_kid(NULL) == NULL && cs_token_claims_expires(NULL) == 0);

    /* Defaults: no recipient, scope "view"; two tokens for the same claims differ. */
    cs_bytes *plain = NULL, *again = NULL;
    OK(cs_signed_token_sign(keys, "contract-42", NULL, NULL, 60, &plain, &err));
    OK(cs_signed_token_sign(keys, "contract-42", NULL, NULL, 60, &again, &err));
    CHECK(strcmp((const char *)cs_bytes_data(plain), (const char *)cs_bytes_data(again)) != 0);
    OK(cs_signed_token_verify(keys, (const char *)cs_bytes_data(plain), &claims, &err));
    CHECK(strcmp(cs_token_claims_recipient(claims), "") == 0);
    CHECK(strcmp(cs_token_claims_scope(claims), "view") == 0);
    cs_token_claims_free(claims);
    cs_bytes_free(plain);
    cs_bytes_free(again);

    /* Tampered: one character of the MAC, one of the claims. */
    size_t len = cs_bytes_len(token);
    char *forged = malloc(len + 1);
    memcpy(forged, text, len + 1);
    forged[len - 2] = forged[len - 2] == 'A' ? 'B' : 'A';
    claims = NULL;
    EXPECT(CS_ERR_TOKEN, cs_signed_token_verify(keys, forged, &claims, &err));
    memcpy(forged, text, len + 1);
    forged[20] = forged[20] == 'A' ? 'B' : 'A';
    EXPECT(CS_ERR_TOKEN, cs_signed_token_verify(keys, forged, &claims, &err));
    CHECK(claims == NULL);
    free(forged);

    /* Keys of another issuer do not verify it. */
    cs_signed_token_keys *other = NULL;
    OK(cs_signed_token_keys_generate("2024-01", &other, &err));
    EXPECT(CS_ERR_TOKEN, cs_signed_token_verify(other, text, &claims, &err));
    cs_signed_token_keys_free(other);
    cs_bytes_free(token);
    cs_signed_token_keys_free(keys);
}

static void rotation(void) {
    cs_signed_token_keys *keys = NULL;
    OK(cs_signed_token_keys_new("2024-01", (const uint8_t *)KEY1, KEY_LEN, &keys, &err));
    cs_bytes *old = sign(keys, "contract-1");
    OK(cs_signed_token_keys_add(keys, "2024-02", (const uint8_t *)KEY2, KEY_LEN, &err));
    /* Added but not active: still signs with the old key. */
    cs_bytes *still_old = sign(keys, "contract-2");
    CHECK(strncmp((const char *)cs_bytes_data(still_old), "cs1s_2024-01.", 13) == 0);
    OK(cs_signed_token_keys_activate(keys, "2024-02", &err));
    cs_bytes *fresh = sign(keys, "contract-3");
    expect_valid(keys, old, "2024-01", "contract-1");
    expect_valid(keys, fresh, "2024-02", "contract-3");

    EXPECT(CS_ERR_TOKEN, cs_signed_token_keys_retire(keys, "2024-02", &err)); /* active */
    OK(cs_signed_token_keys_retire(keys, "2024-01", &err));
    cs_token_claims *claims = NULL;
    EXPECT(CS_ERR_TOKEN,
           cs_signed_token_verify(keys, (const char *)cs_bytes_data(old), &claims, &err));
    EXPECT(CS_ERR_TOKEN,
           cs_signed_token_verify(keys, (const char *)cs_bytes_data(still_old), &claims, &err));
    expect_valid(keys, fresh, "2024-02", "contract-3");
    EXPECT(CS_ERR_TOKEN, cs_signed_token_keys_retire(keys, "2024-01", &err)); /* gone */
    EXPECT(CS_ERR_TOKEN, cs_signed_token_keys_activate(keys, "2024-01", &err));
    EXPECT(CS_ERR_TOKEN,
           cs_signed_token_keys_add(keys, "2024-02", (const uint8_t *)KEY1, KEY_LEN, &err));
    cs_bytes_free(old);
    cs_bytes_free(still_old);
    cs_bytes_free(fresh);
    cs_signed_token_keys_free(keys);
}

static void errors(void) {
    cs_signed_token_keys *keys = NULL;
    EXPECT(CS_ERR_TOKEN,
           cs_signed_token_keys_new("2024-01", (const uint8_t *)KEY1, 16, &keys, &err));
    EXPECT(CS_ERR_TOKEN,
           cs_signed_token_keys_new("bad kid!", (const uint8_t *)KEY1, KEY_LEN, &keys, &err));
    EXPECT(CS_ERR_TOKEN, cs_signed_token_keys_new("", (const uint8_t *)KEY1, KEY_LEN, &keys, &err));
    EXPECT(CS_ERR_TOKEN, cs_signed_token_keys_generate("with.dot", &keys, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT,
           cs_signed_token_keys_new(NULL, (const uint8_t *)KEY1, KEY_LEN, &keys, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_signed_token_keys_new("k", NULL, 32, &keys, &err));
    CHECK(keys == NULL);

    OK(cs_signed_token_keys_generate("k1", &keys, &err));
    cs_bytes *token = NULL;
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_signed_token_sign(keys, "x", NULL, NULL, 0, &token, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_signed_token_sign(keys, NULL, NULL, NULL, 60, &token, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_signed_token_sign(NULL, "x", NULL, NULL, 60, &token, &err));
    CHECK(token == NULL);
    cs_token_claims *claims = NULL;
    EXPECT(CS_ERR_TOKEN, cs_signed_token_verify(keys, "garbage", &claims, &err));
    EXPECT(CS_ERR_TOKEN, cs_signed_token_verify(keys, "cs1s_k1.AAAA.AAAA", &claims, &err));
    /* A stored-hash token is not a signed one. */
    const char *stored = "cs1_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    EXPECT(CS_ERR_TOKEN, cs_signed_token_verify(keys, stored, &claims, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_signed_token_verify(keys, "garbage", NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_signed_token_keys_activate(NULL, "k1", &err));
    CHECK(claims == NULL);
    cs_signed_token_keys_free(keys);
    cs_signed_token_keys_free(NULL);
    cs_token_claims_free(NULL);
}

int main(void) {
    sign_and_verify();
    rotation();
    errors();
    printf("signed_token: ok\n");
    return 0;
}
