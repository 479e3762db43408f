/* Signing at every level, from PKCS#12, PEM and a callback; certification; two-phase signing
 * at B-B and B-T; verification
 * through the report accessors and JSON; document timestamps; signing and validating by path. Writes the signed files to
 * FIXTURE_DIR for the external validators the Rust driver runs afterwards.
 *
 *   sign_verify FIXTURE_DIR TSA_URL */
#include <time.h>

#include "support.h"

static const char *dir;

static cs_validator *validator(void) {
    buffer root = read_file(dir, "root.pem");
    cs_validator *v = NULL;
    OK(cs_validator_new(root.data, root.len, &v, &err));
    free(root.data);
    return v;
}

/* Validates `pdf`, expects every one of `count` signatures to pass, returns the report. */
static cs_report *expect_passed(const cs_bytes *pdf, size_t count) {
    cs_validator *v = validator();
    cs_report *report = NULL;
    OK(cs_validator_validate(v, cs_bytes_data(pdf), cs_bytes_len(pdf), &report, &err));
    cs_validator_free(v);
    if (!cs_report_passed(report)) FAIL("report did not pass: %s", cs_report_json(report));
    CHECK(cs_report_signature_count(report) == count);
    for (size_t i = 0; i < count; i++) {
        CHECK(cs_report_indication(report, i) == CS_INDICATION_PASSED);
        CHECK(cs_report_sub_indication(report, i) == NULL);
        CHECK(cs_report_field(report, i) != NULL);
    }
    CHECK(cs_report_indication(report, count) == 0);
    CHECK(cs_report_field(report, count) == NULL);
    CHECK(strstr(cs_report_json(report), "\"schema_version\"") != NULL);
    return report;
}

static void sign_b_b_from_pkcs12(const buffer *pdf) {
    cs_signer *signer = p12_signer(dir);
    cs_sign_options *options = cs_sign_options_new();
    CHECK(options != NULL);
    OK(cs_sign_options_set_field_name(options, "Buyer", &err));
    OK(cs_sign_options_set_reason(options, "I agree", &err));
    OK(cs_sign_options_set_location(options, "Berlin", &err));
    OK(cs_sign_options_set_level(options, CS_LEVEL_B_B, &err));
    cs_bytes *signed_pdf = NULL;
    OK(cs_sign(signer, options, pdf->data, pdf->len, &signed_pdf, &err));
    CHECK(cs_bytes_len(signed_pdf) > pdf->len);
    CHECK(memcmp(cs_bytes_data(signed_pdf), pdf->data, pdf->len) == 0);

    cs_report *report = expect_passed(signed_pdf, 1);
    CHECK(strcmp(cs_report_field(report, 0), "Buyer") == 0);
    CHECK(strcmp(cs_report_level(report, 0), "B-B") == 0);
    CHECK(strstr(cs_report_signer_subject(report, 0), "cloudsign Test Signer RSA") != NULL);
    CHECK(cs_report_claimed_time(report, 0) != NULL);
    CHECK(cs_report_proven_time(report, 0) == NULL);
    cs_report_free(report);

    write_file(dir, "c-b-b.pdf", signed_pdf);
    cs_bytes_free(signed_pdf);
    cs_sign_options_free(options);
    cs_signer_free(signer);
}

static void sign_b_t_from_pem(const buffer *pdf, const char *tsa_url) {
    buffer key = read_file(dir, "signer-ec-key.pem");
    buffer leaf = read_file(dir, "signer-ec.pem");
    buffer issuers = read_file(dir, "chain.pem");
    buffer chain = concat(leaf, issuers);
    cs_signer *signer = NULL;
    OK(cs_signer_new_pem(key.data, key.len, chain.data, chain.len, &signer, &err));
    cs_sign_options *options = cs_sign_options_new();
    OK(cs_sign_options_set_level(options, CS_LEVEL_B_T, &err));
    OK(cs_sign_options_add_tsa_url(options, tsa_url, &err));
    cs_bytes *signed_pdf = NULL;
    OK(cs_sign(signer, options, pdf->data, pdf->len, &signed_pdf, &err));

    cs_report *report = expect_passed(signed_pdf, 1);
    CHECK(strcmp(cs_report_level(report, 0), "B-T") == 0);
    CHECK(cs_report_proven_time(report, 0) != NULL);
    CHECK(strstr(cs_report_signer_subject(report, 0), "cloudsign Test Signer EC") != NULL);
    cs_report_free(report);
    write_file(dir, "c-b-t.pdf", signed_pdf);

    /* A document timestamp on top: two entries, both pass. */
    cs_bytes *stamped = NULL;
    OK(cs_timestamp(tsa_url, cs_bytes_data(signed_pdf), cs_bytes_len(signed_pdf), &stamped,
                    &err));
    cs_report_free(expect_passed(stamped, 2));
    write_file(dir, "c-doc-timestamp.pdf", stamped);

    cs_bytes_free(stamped);
    cs_bytes_free(signed_pdf);
    cs_sign_options_free(options);
    cs_signer_free(signer);
    free(key.data);
    free(leaf.data);
    free(issuers.data);
    free(chain.data);
}

/* Stands in for an HSM: signs the digest with the `openssl` command line and the RSA key. */
static int32_t openssl_hsm(void *userdata, uint32_t algorithm, const uint8_t *message,
                           size_t message_len, const uint8_t *digest, size_t digest_len,
                           uint8_t *signature, size_t signature_capacity,
                           size_t *signature_len) {
    int *calls = userdata;
    (void)message;
    (void)message_len;
    if (algorithm != CS_ALG_RSA_PKCS1V15_SHA256 || digest_len != 32) return 1;
    char in[4200], out[4200], cmd[13000];
    snprintf(in, sizeof in, "%s/hsm-digest.bin", dir);
    snprintf(out, sizeof out, "%s/hsm-signature.bin", dir);
    FILE *f = fopen(in, "wb");
    if (f == NULL || fwrite(digest, 1, digest_len, f) != digest_len) return 2;
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "openssl pkeyutl -sign -inkey '%s/signer-rsa-key.pem' -pkeyopt digest:sha256 "
             "-in '%s' -out '%s'",
             dir, in, out);
    if (system(cmd) != 0) return 3;
    f = fopen(out, "rb");
    if (f == NULL) return 4;
    *signature_len = fread(signature, 1, signature_capacity, f);
    fclose(f);
    ++*calls;
    return 0;
}

static int32_t refusing_hsm(void *userdata, uint32_t algorithm, const uint8_t *message,
                            size_t message_len, const uint8_t *digest, size_t digest_len,
                            uint8_t *signature, size_t signature_capacity,
                            size_t *signature_len) {
    (void)userdata, (void)algorithm, (void)message, (void)message_len, (void)digest;
    (void)digest_len, (void)signature, (void)signature_capacity, (void)signature_len;
    return 42;
}

/* A broken HSM that claims to have written more than it was given room for. */
static int32_t overflowing_hsm(void *userdata, uint32_t algorithm, const uint8_t *message,
                               size_t message_len, const uint8_t *digest, size_t digest_len,
                               uint8_t *signature, size_t signature_capacity,
                               size_t *signature_len) {
    (void)userdata, (void)algorithm, (void)message, (void)message_len, (void)digest;
    (void)digest_len, (void)signature;
    *signature_len = signature_capacity + 1;
    return 0;
}

static buffer rsa_chain(void) {
    buffer leaf = read_file(dir, "signer-rsa.pem");
    buffer issuers = read_file(dir, "chain.pem");
    buffer chain = concat(leaf, issuers);
    free(leaf.data);
    free(issuers.data);
    return chain;
}

static void sign_with_callback(const buffer *pdf) {
    buffer chain = rsa_chain();
    int calls = 0;
    cs_signer *signer = NULL;
    OK(cs_signer_new_callback(openssl_hsm, &calls, chain.data, chain.len,
                              CS_ALG_RSA_PKCS1V15_SHA256, 256, &signer, &err));
    cs_bytes *signed_pdf = NULL;
    OK(cs_sign(signer, NULL, pdf->data, pdf->len, &signed_pdf, &err));
    CHECK(calls == 1);
    cs_report_free(expect_passed(signed_pdf, 1));
    write_file(dir, "c-callback.pdf", signed_pdf);
    cs_bytes_free(signed_pdf);
    cs_signer_free(signer);

    /* An HSM that refuses: a key error carrying its code, and no output. */
    OK(cs_signer_new_callback(refusing_hsm, NULL, chain.data, chain.len,
                              CS_ALG_RSA_PKCS1V15_SHA256, 256, &signer, &err));
    signed_pdf = NULL;
    cs_error *err = NULL;
    CHECK(cs_sign(signer, NULL, pdf->data, pdf->len, &signed_pdf, &err) == CS_ERR_KEY);
    CHECK(signed_pdf == NULL);
    CHECK(strstr(cs_error_message(err), "42") != NULL);
    cs_error_free(err);
    cs_signer_free(signer);

    /* An HSM that overruns its buffer: refused, whatever it wrote is not used. */
    OK(cs_signer_new_callback(overflowing_hsm, NULL, chain.data, chain.len,
                              CS_ALG_RSA_PKCS1V15_SHA256, 256, &signer, &err));
    EXPECT(CS_ERR_KEY, cs_sign(signer, NULL, pdf->data, pdf->len, &signed_pdf, &err));
    CHECK(signed_pdf == NULL);
    cs_signer_free(signer);
    free(chain.data);
}

/* The HSM's half of two-phase signing: signs what `prepared` asks for into `signature` (room
 * for 256 bytes); returns the signature's length. */
static size_t hsm_sign(const cs_prepared *prepared, uint8_t *signature) {
    cs_bytes *digest = NULL, *message = NULL;
    OK(cs_prepared_digest(prepared, &digest, &err));
    OK(cs_prepared_message(prepared, &message, &err));
    size_t len = 0;
    int calls = 0;
    CHECK(openssl_hsm(&calls, cs_prepared_algorithm(prepared), cs_bytes_data(message),
                      cs_bytes_len(message), cs_bytes_data(digest), cs_bytes_len(digest),
                      signature, 256, &len) == 0);
    CHECK(calls == 1);
    cs_bytes_free(message);
    cs_bytes_free(digest);
    return len;
}

static void two_phase(const buffer *pdf) {
    /* Phase one needs only the chain and algorithm: a callback signer that is never called. */
    buffer chain = rsa_chain();
    cs_signer *remote = NULL;
    OK(cs_signer_new_callback(refusing_hsm, NULL, chain.data, chain.len,
                              CS_ALG_RSA_PKCS1V15_SHA256, 256, &remote, &err));
    cs_prepared *prepared = NULL;
    OK(cs_prepare(remote, NULL, pdf->data, pdf->len, &prepared, &err));
    CHECK(cs_prepared_algorithm(prepared) == CS_ALG_RSA_PKCS1V15_SHA256);
    cs_bytes *digest = NULL, *message = NULL, *json = NULL;
    OK(cs_prepared_digest(prepared, &digest, &err));
    OK(cs_prepared_message(prepared, &message, &err));
    OK(cs_prepared_to_json(prepared, &json, &err));
    CHECK(cs_bytes_len(digest) == 32);
    CHECK(cs_bytes_len(message) > 32);
    CHECK(strlen((const char *)cs_bytes_data(json)) == cs_bytes_len(json));
    cs_prepared_free(prepared);

    /* Later, elsewhere: the state comes back from JSON and the HSM's signature arrives. */
    cs_prepared *resumed = NULL;
    OK(cs_prepared_from_json(cs_bytes_data(json), cs_bytes_len(json), &resumed, &err));
    uint8_t signature[256];
    size_t signature_len = hsm_sign(resumed, signature);
    cs_bytes *signed_pdf = NULL;
    OK(cs_prepared_finish(resumed, pdf->data, pdf->len, signature, signature_len, &signed_pdf,
                          &err));
    cs_report_free(expect_passed(signed_pdf, 1));
    write_file(dir, "c-two-phase.pdf", signed_pdf);

    /* Finishing on another document is refused. */
    cs_bytes *wrong = NULL;
    EXPECT(CS_ERR_SIGNING, cs_prepared_finish(resumed, cs_bytes_data(signed_pdf),
                                              cs_bytes_len(signed_pdf), signature,
                                              signature_len, &wrong, &err));
    CHECK(wrong == NULL);

    cs_bytes_free(signed_pdf);
    cs_prepared_free(resumed);
    cs_bytes_free(json);
    cs_bytes_free(message);
    cs_bytes_free(digest);
    cs_signer_free(remote);
    free(chain.data);
}

/* Two-phase signing at B-T: room for the timestamp is reserved when preparing, and the
 * timestamp is taken over the signature value when finishing. */
static void two_phase_b_t(const buffer *pdf, const char *tsa_url) {
    buffer chain = rsa_chain();
    cs_signer *remote = NULL;
    OK(cs_signer_new_callback(refusing_hsm, NULL, chain.data, chain.len,
                              CS_ALG_RSA_PKCS1V15_SHA256, 256, &remote, &err));
    cs_sign_options *options = cs_sign_options_new();
    OK(cs_sign_options_set_level(options, CS_LEVEL_B_T, &err));
    cs_prepared *prepared = NULL;
    EXPECT(CS_ERR_INVALID_ARGUMENT,
           cs_prepare(remote, options, pdf->data, pdf->len, &prepared, &err));
    CHECK(prepared == NULL);
    OK(cs_sign_options_add_tsa_url(options, tsa_url, &err));
    OK(cs_prepare(remote, options, pdf->data, pdf->len, &prepared, &err));
    uint8_t signature[256];
    size_t signature_len = hsm_sign(prepared, signature);

    cs_bytes *signed_pdf = NULL;
    /* A B-T preparation cannot be finished without its timestamp. */
    EXPECT(CS_ERR_SIGNING, cs_prepared_finish(prepared, pdf->data, pdf->len, signature,
                                              signature_len, &signed_pdf, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT,
           cs_prepared_finish_timestamped(prepared, pdf->data, pdf->len, signature, signature_len,
                                          NULL, &signed_pdf, &err));
    EXPECT(CS_ERR_TIMESTAMP,
           cs_prepared_finish_timestamped(prepared, pdf->data, pdf->len, signature, signature_len,
                                          "http://127.0.0.1:1/", &signed_pdf, &err));
    EXPECT(CS_ERR_SIGNING,
           cs_prepared_finish_timestamped(prepared, pdf->data, pdf->len - 1, signature,
                                          signature_len, tsa_url, &signed_pdf, &err));
    CHECK(signed_pdf == NULL);
    OK(cs_prepared_finish_timestamped(prepared, pdf->data, pdf->len, signature, signature_len,
                                      tsa_url, &signed_pdf, &err));
    cs_report *report = expect_passed(signed_pdf, 1);
    CHECK(strcmp(cs_report_level(report, 0), "B-T") == 0);
    CHECK(cs_report_proven_time(report, 0) != NULL);
    cs_report_free(report);
    write_file(dir, "c-two-phase-b-t.pdf", signed_pdf);

    cs_bytes_free(signed_pdf);
    cs_prepared_free(prepared);
    cs_sign_options_free(options);
    cs_signer_free(remote);
    free(chain.data);
}

/* Certification signatures (DocMDP) and what they allow after them. */
static void certification(const buffer *pdf) {
    cs_signer *signer = p12_signer(dir);
    cs_sign_options *options = cs_sign_options_new();
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_sign_options_set_certification(options, 0, &err));
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_sign_options_set_certification(options, 4, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT,
           cs_sign_options_set_certification(NULL, CS_CERTIFY_NO_CHANGES, &err));
    OK(cs_sign_options_set_certification(options, CS_CERTIFY_FORM_FILLING, &err));
    OK(cs_sign_options_set_contact_info(options, "legal@example.com", &err));
    time_t now = time(NULL);
    char claimed[32];
    strftime(claimed, sizeof claimed, "D:%Y%m%d%H%M%SZ", gmtime(&now)); /* as in /M */
    OK(cs_sign_options_set_signing_time(options, (uint64_t)now, &err));
    cs_bytes *certified = NULL;
    OK(cs_sign(signer, options, pdf->data, pdf->len, &certified, &err));
    cs_report *report = expect_passed(certified, 1);
    CHECK(strstr(cs_report_json(report), "\"certification\": 2") != NULL);
    CHECK(strcmp(cs_report_claimed_time(report, 0), claimed) == 0);
    cs_report_free(report);
    CHECK(contains(certified, "/DocMDP"));
    CHECK(contains(certified, "(legal@example.com)"));
    write_file(dir, "c-certified.pdf", certified);

    /* P=2 allows an approval signature after it, but not a second certification. */
    cs_bytes *approved = NULL;
    EXPECT(CS_ERR_SIGNING, cs_sign(signer, options, cs_bytes_data(certified),
                                   cs_bytes_len(certified), &approved, &err));
    OK(cs_sign(signer, NULL, cs_bytes_data(certified), cs_bytes_len(certified), &approved, &err));
    cs_report_free(expect_passed(approved, 2));
    cs_bytes_free(approved);

    /* P=1: nothing may follow. */
    OK(cs_sign_options_set_certification(options, CS_CERTIFY_NO_CHANGES, &err));
    cs_bytes *locked = NULL;
    OK(cs_sign(signer, options, pdf->data, pdf->len, &locked, &err));
    cs_report *locked_report = expect_passed(locked, 1);
    CHECK(strstr(cs_report_json(locked_report), "\"certification\": 1") != NULL);
    cs_report_free(locked_report);
    approved = NULL;
    EXPECT(CS_ERR_SIGNING,
           cs_sign(signer, NULL, cs_bytes_data(locked), cs_bytes_len(locked), &approved, &err));
    CHECK(approved == NULL);

    cs_bytes_free(locked);
    cs_bytes_free(certified);
    cs_sign_options_free(options);
    cs_signer_free(signer);
}

static void tampered_file_fails(void) {
    buffer signed_pdf = read_file(dir, "c-b-b.pdf");
    /* Flip a byte of the original content, inside the signed range. */
    signed_pdf.data[20] ^= 0x01;
    cs_validator *v = validator();
    cs_report *report = NULL;
    OK(cs_validator_validate(v, signed_pdf.data, signed_pdf.len, &report, &err));
    CHECK(!cs_report_passed(report));
    CHECK(cs_report_signature_count(report) == 1);
    CHECK(cs_report_indication(report, 0) == CS_INDICATION_FAILED);
    CHECK(strcmp(cs_report_sub_indication(report, 0), "HASH_FAILURE") == 0);
    cs_report_free(report);
    cs_validator_free(v);
    free(signed_pdf.data);
}

/* Signing and validating by path, streaming; judging at another time; resource limits. */
static void by_path(void) {
    char input[4096], output[4096], missing[4096];
    snprintf(input, sizeof input, "%s/contract.pdf", dir);
    snprintf(output, sizeof output, "%s/c-by-path.pdf", dir);
    snprintf(missing, sizeof missing, "%s/no-such-file.pdf", dir);
    cs_signer *signer = p12_signer(dir);
    OK(cs_sign_file(signer, NULL, input, output, &err));

    cs_validator *v = validator();
    cs_report *report = NULL;
    OK(cs_validator_validate_file(v, output, &report, &err));
    if (!cs_report_passed(report)) FAIL("report did not pass: %s", cs_report_json(report));
    CHECK(cs_report_signature_count(report) == 1);
    CHECK(strcmp(cs_report_level(report, 0), "B-B") == 0);
    cs_report_free(report);

    /* In 2100 the signer's certificate has long expired, and nothing proves the signature
     * existed before: the same file is indeterminate then. */
    OK(cs_validator_set_time(v, 4102444800u, &err));
    report = NULL;
    OK(cs_validator_validate_file(v, output, &report, &err));
    CHECK(!cs_report_passed(report));
    CHECK(cs_report_indication(report, 0) == CS_INDICATION_INDETERMINATE);
    cs_report_free(report);

    /* Errors: a missing input writes nothing; a missing file gives no report. */
    EXPECT(CS_ERR_IO, cs_sign_file(signer, NULL, missing, missing, &err));
    CHECK(fopen(missing, "rb") == NULL);
    report = NULL;
    EXPECT(CS_ERR_IO, cs_validator_validate_file(v, missing, &report, &err));
    CHECK(report == NULL);
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_sign_file(signer, NULL, NULL, output, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_validator_validate_file(v, NULL, &report, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_validator_set_time(NULL, 0, &err));
    cs_validator_free(v);

    /* Limits: over 1 KiB of input is refused, by the validator and by the signer (which then
     * writes nothing); an unknown limit is a bad argument. */
    cs_validator *small = validator();
    OK(cs_validator_set_limit(small, "max_input_bytes", 1024, &err));
    report = NULL;
    EXPECT(CS_ERR_LIMIT, cs_validator_validate_file(small, output, &report, &err));
    CHECK(report == NULL);
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_validator_set_limit(small, "max_pages", 1, &err));
    cs_validator_free(small);
    cs_sign_options *limited = cs_sign_options_new();
    OK(cs_sign_options_set_limit(limited, "max_input_bytes", 1024, &err));
    EXPECT(CS_ERR_LIMIT, cs_sign_file(signer, limited, input, missing, &err));
    CHECK(fopen(missing, "rb") == NULL);
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_sign_options_set_limit(limited, "max_pages", 1, &err));
    cs_sign_options_free(limited);
    cs_signer_free(signer);
}

int main(int argc, char **argv) {
    if (argc != 3) FAIL("usage: sign_verify FIXTURE_DIR TSA_URL");
    dir = argv[1];
    CHECK(strcmp(cs_version(), "") != 0);
    buffer pdf = read_file(dir, "contract.pdf");
    sign_b_b_from_pkcs12(&pdf);
    sign_b_t_from_pem(&pdf, argv[2]);
    sign_with_callback(&pdf);
    two_phase(&pdf);
    two_phase_b_t(&pdf, argv[2]);
    certification(&pdf);
    tampered_file_fails();
    by_path();
    free(pdf.data);
    printf("sign_verify: ok\n");
    return 0;
}
