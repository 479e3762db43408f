/* Every error path returns its status, fills the optional error object and leaves outputs
 * untouched: NULL arguments, bad PDFs, wrong passwords, bad UTF-8, unknown values.
 *
 *   errors FIXTURE_DIR TSA_URL */
#include "support.h"

static int32_t never_called(void *userdata, uint32_t algorithm, const uint8_t *message,
                            size_t message_len, const uint8_t *digest, size_t digest_len,
                            uint8_t *signature, size_t signature_capacity,
                            size_t *signature_len) {
    (void)userdata, (void)algorithm, (void)message, (void)message_len, (void)digest;
    (void)digest_len, (void)signature, (void)signature_capacity, (void)signature_len;
    FAIL("the callback of a signer that could not be made was called");
}

int main(int argc, char **argv) {
    if (argc != 3) FAIL("usage: errors FIXTURE_DIR TSA_URL");
    const char *dir = argv[1];
    buffer p12 = read_file(dir, "signer-rsa.p12");
    buffer pdf = read_file(dir, "contract.pdf");
    buffer root = read_file(dir, "root.pem");
    cs_signer *signer = NULL;
    OK(cs_signer_new_pkcs12(p12.data, p12.len, "test", &signer, &err));

    /* Wrong password, bad UTF-8 password, not a PKCS#12 file. */
    cs_signer *none = NULL;
    EXPECT(CS_ERR_KEY, cs_signer_new_pkcs12(p12.data, p12.len, "wrong", &none, &err));
    EXPECT(CS_ERR_INVALID_UTF8,
           cs_signer_new_pkcs12(p12.data, p12.len, "\xff\xfe", &none, &err));
    EXPECT(CS_ERR_KEY, cs_signer_new_pkcs12(pdf.data, pdf.len, "test", &none, &err));
    EXPECT(CS_ERR_KEY, cs_signer_new_pem(pdf.data, pdf.len, root.data, root.len, &none, &err));
    CHECK(none == NULL);

    /* NULL arguments, with and without an error object. */
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_signer_new_pkcs12(NULL, 10, "test", &none, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_signer_new_pkcs12(p12.data, p12.len, NULL, &none, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_signer_new_pkcs12(p12.data, p12.len, "test", NULL, &err));
    CHECK(cs_signer_new_pkcs12(NULL, 1, NULL, NULL, NULL) == CS_ERR_NULL_ARGUMENT);
    cs_bytes *out = NULL;
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_sign(NULL, NULL, pdf.data, pdf.len, &out, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_sign(signer, NULL, NULL, pdf.len, &out, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_sign(signer, NULL, pdf.data, pdf.len, NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_timestamp(NULL, pdf.data, pdf.len, &out, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_validator_new(NULL, 5, NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_validator_validate(NULL, pdf.data, pdf.len, NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_prepare(NULL, NULL, pdf.data, pdf.len, NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_prepared_to_json(NULL, &out, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT,
           cs_prepared_finish(NULL, pdf.data, pdf.len, pdf.data, 1, &out, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_sign_options_set_level(NULL, CS_LEVEL_B_B, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_blob_put(NULL, pdf.data, pdf.len, &out, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_token_verify(NULL, "cs1_x", NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT,
           cs_signer_new_callback(NULL, NULL, root.data, root.len, CS_ALG_ECDSA_SHA256, 72,
                                  &none, &err));
    CHECK(out == NULL);

    /* Accessors and frees accept NULL. */
    CHECK(cs_bytes_data(NULL) == NULL && cs_bytes_len(NULL) == 0);
    CHECK(!cs_report_passed(NULL) && cs_report_signature_count(NULL) == 0);
    CHECK(cs_report_indication(NULL, 0) == 0 && cs_report_level(NULL, 0) == NULL);
    CHECK(strcmp(cs_report_json(NULL), "") == 0);
    CHECK(cs_prepared_algorithm(NULL) == 0);
    CHECK(cs_error_status(NULL) == CS_ERR_NULL_ARGUMENT);
    CHECK(strcmp(cs_error_message(NULL), "") == 0);
    cs_bytes_free(NULL);
    cs_error_free(NULL);
    cs_signer_free(NULL);
    cs_sign_options_free(NULL);
    cs_prepared_free(NULL);
    cs_validator_free(NULL);
    cs_report_free(NULL);
    cs_blob_store_free(NULL);
    cs_token_store_free(NULL);

    /* Not a PDF, a truncated PDF: a PDF error, no output. */
    const char garbage[] = "this is not a PDF at all";
    EXPECT(CS_ERR_PDF, cs_sign(signer, NULL, (const uint8_t *)garbage, sizeof garbage, &out,
                               &err));
    EXPECT(CS_ERR_PDF, cs_sign(signer, NULL, pdf.data, pdf.len / 2, &out, &err));
    EXPECT(CS_ERR_PDF, cs_sign(signer, NULL, NULL, 0, &out, &err));
    cs_validator *validator = NULL;
    OK(cs_validator_new(root.data, root.len, &validator, &err));
    cs_report *report = NULL;
    EXPECT(CS_ERR_PDF, cs_validator_validate(validator, (const uint8_t *)garbage,
                                             sizeof garbage, &report, &err));
    CHECK(out == NULL && report == NULL);
    cs_validator *no_validator = NULL;
    EXPECT(CS_ERR_CERTIFICATE, cs_validator_new(pdf.data, 100, &no_validator, &err));
    CHECK(no_validator == NULL);

    /* Options: unknown level, B-T without a TSA, a URL that is not one, an unreachable TSA. */
    cs_sign_options *options = cs_sign_options_new();
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_sign_options_set_level(options, 99, &err));
    OK(cs_sign_options_set_level(options, CS_LEVEL_B_T, &err));
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_sign(signer, options, pdf.data, pdf.len, &out, &err));
    cs_prepared *not_prepared = NULL;
    EXPECT(CS_ERR_INVALID_ARGUMENT,
           cs_prepare(signer, options, pdf.data, pdf.len, &not_prepared, &err));
    CHECK(not_prepared == NULL);
    EXPECT(CS_ERR_TIMESTAMP, cs_sign_options_add_tsa_url(options, "not a url", &err));
    OK(cs_sign_options_add_tsa_url(options, "http://127.0.0.1:9/", &err));
    EXPECT(CS_ERR_TIMESTAMP, cs_sign(signer, options, pdf.data, pdf.len, &out, &err));
    EXPECT(CS_ERR_TIMESTAMP, cs_timestamp("http://127.0.0.1:9/", pdf.data, pdf.len, &out, &err));
    CHECK(out == NULL);
    cs_sign_options_free(options);

    /* Callback signer: unknown algorithm, absurd size, no certificate. */
    EXPECT(CS_ERR_INVALID_ARGUMENT,
           cs_signer_new_callback(never_called, NULL, root.data, root.len, 1000, 72, &none,
                                  &err));
    EXPECT(CS_ERR_INVALID_ARGUMENT,
           cs_signer_new_callback(never_called, NULL, root.data, root.len,
                                  CS_ALG_ECDSA_SHA256, 0, &none, &err));
    EXPECT(CS_ERR_KEY, cs_signer_new_callback(never_called, NULL, NULL, 0, CS_ALG_ECDSA_SHA256,
                                              72, &none, &err));
    CHECK(none == NULL);

    /* Two-phase state that is not one. */
    cs_prepared *prepared = NULL;
    const char bad_json[] = "{\"format\": 1}";
    EXPECT(CS_ERR_SIGNING,
           cs_prepared_from_json((const uint8_t *)bad_json, strlen(bad_json), &prepared, &err));
    EXPECT(CS_ERR_INVALID_UTF8,
           cs_prepared_from_json((const uint8_t *)"\xff", 1, &prepared, &err));
    CHECK(prepared == NULL);

    /* A failed call with no error object still returns its status. */
    CHECK(cs_sign(signer, NULL, (const uint8_t *)garbage, sizeof garbage, &out, NULL) ==
          CS_ERR_PDF);

    cs_validator_free(validator);
    cs_signer_free(signer);
    free(p12.data);
    free(pdf.data);
    free(root.data);
    printf("errors: ok\n");
    return 0;
}
