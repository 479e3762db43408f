/* Long-term levels: B-LT and B-LTA signed against the loopback TSA, OCSP responder and CRL
 * of the fixture's `long-term` PKI, verified offline (the document's DSS alone) and with
 * revocation fetching on; /VRI entries; validation data added to and archives renewed on
 * files already signed; the error paths.
 *
 *   ltv FIXTURE_DIR TSA_URL
 * (the `long-term` PKI's own TSA URL is in FIXTURE_DIR/long-term/tsa_url) */
#include <stdbool.h>

#include "support.h"

static char dir[4096];
static char tsa_url[1024];

static cs_bytes *sign_at(uint32_t level, bool vri, const buffer *pdf) {
    cs_signer *signer = p12_signer(dir);
    cs_sign_options *options = cs_sign_options_new();
    OK(cs_sign_options_set_level(options, level, &err));
    OK(cs_sign_options_set_vri(options, vri, &err));
    OK(cs_sign_options_add_tsa_url(options, tsa_url, &err));
    cs_bytes *signed_pdf = NULL;
    OK(cs_sign(signer, options, pdf->data, pdf->len, &signed_pdf, &err));
    cs_sign_options_free(options);
    cs_signer_free(signer);
    return signed_pdf;
}

/* Validates `pdf` against the long-term root; expects a pass, the signature at `level`. */
static void expect_level(const cs_bytes *pdf, bool fetch, const char *level) {
    buffer root = read_file(dir, "root.pem");
    cs_validator *v = NULL;
    OK(cs_validator_new(root.data, root.len, &v, &err));
    free(root.data);
    OK(cs_validator_set_fetch_revocation(v, fetch, &err));
    cs_report *report = NULL;
    OK(cs_validator_validate(v, cs_bytes_data(pdf), cs_bytes_len(pdf), &report, &err));
    if (!cs_report_passed(report)) FAIL("report did not pass: %s", cs_report_json(report));
    CHECK(cs_report_indication(report, 0) == CS_INDICATION_PASSED);
    if (strcmp(cs_report_level(report, 0), level) != 0)
        FAIL("level %s, expected %s", cs_report_level(report, 0), level);
    CHECK(cs_report_proven_time(report, 0) != NULL);
    CHECK(strstr(cs_report_json(report), "\"DSS\"") != NULL);
    cs_report_free(report);
    cs_validator_free(v);
}

/* Validation data added after signing: B-T becomes B-LT, or with a document timestamp B-LTA,
 * which renews with a further one. */
static void after_signing(const buffer *pdf) {
    cs_bytes *bt = sign_at(CS_LEVEL_B_T, false, pdf);
    cs_bytes *lt = NULL, *lta = NULL, *renewed = NULL, *out = NULL;
    OK(cs_ltv_update(NULL, cs_bytes_data(bt), cs_bytes_len(bt), CS_LTV_VRI, &lt, &err));
    CHECK(memcmp(cs_bytes_data(lt), cs_bytes_data(bt), cs_bytes_len(bt)) == 0);
    expect_level(lt, false, "B-LT");
    CHECK(contains(lt, "/VRI"));

    OK(cs_ltv_update(tsa_url, cs_bytes_data(bt), cs_bytes_len(bt), 0, &lta, &err));
    expect_level(lta, false, "B-LTA");
    CHECK(!contains(lta, "/VRI"));
    OK(cs_ltv_update(tsa_url, cs_bytes_data(lta), cs_bytes_len(lta), CS_LTV_EXTEND, &renewed,
                     &err));
    CHECK(cs_bytes_len(renewed) > cs_bytes_len(lta));
    CHECK(memcmp(cs_bytes_data(renewed), cs_bytes_data(lta), cs_bytes_len(lta)) == 0);
    expect_level(renewed, true, "B-LTA");

    /* Nothing to renew on a B-T file; no authority to renew with. */
    EXPECT(CS_ERR_SIGNING,
           cs_ltv_update(tsa_url, cs_bytes_data(bt), cs_bytes_len(bt), CS_LTV_EXTEND, &out, &err));
    EXPECT(CS_ERR_SIGNING,
           cs_ltv_update(NULL, cs_bytes_data(lta), cs_bytes_len(lta), CS_LTV_EXTEND, &out, &err));
    EXPECT(CS_ERR_TIMESTAMP,
           cs_ltv_update("ftp://example.org/", cs_bytes_data(bt), cs_bytes_len(bt), 0, &out, &err));
    EXPECT(CS_ERR_PDF, cs_ltv_update(NULL, (const uint8_t *)"not a pdf", 9, 0, &out, &err));
    EXPECT(CS_ERR_INVALID_ARGUMENT,
           cs_ltv_update(tsa_url, cs_bytes_data(bt), cs_bytes_len(bt), 4, &out, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_ltv_update(NULL, NULL, 10, 0, &out, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT,
           cs_ltv_update(NULL, cs_bytes_data(bt), cs_bytes_len(bt), 0, NULL, &err));
    CHECK(out == NULL);
    cs_bytes_free(renewed);
    cs_bytes_free(lta);
    cs_bytes_free(lt);
    cs_bytes_free(bt);
}

static void errors(const buffer *pdf) {
    cs_sign_options *options = cs_sign_options_new();
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_sign_options_set_level(options, 5, &err));
    OK(cs_sign_options_set_level(options, CS_LEVEL_B_LTA, &err));
    cs_signer *signer = p12_signer(dir);
    cs_bytes *out = NULL;
    /* No TSA URL: the long-term levels need one. */
    EXPECT(CS_ERR_INVALID_ARGUMENT, cs_sign(signer, options, pdf->data, pdf->len, &out, &err));
    CHECK(out == NULL);
    /* Two-phase signing stops at B-T. */
    cs_prepared *prepared = NULL;
    EXPECT(CS_ERR_INVALID_ARGUMENT,
           cs_prepare(signer, options, pdf->data, pdf->len, &prepared, &err));
    CHECK(prepared == NULL);
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_validator_set_fetch_revocation(NULL, true, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_sign_options_set_vri(NULL, true, &err));
    cs_signer_free(signer);
    cs_sign_options_free(options);
}

int main(int argc, char **argv) {
    if (argc != 3) FAIL("usage: ltv FIXTURE_DIR TSA_URL");
    snprintf(dir, sizeof dir, "%s/long-term", argv[1]);
    buffer url = read_file(dir, "tsa_url");
    if (url.len == 0 || url.len >= sizeof tsa_url) FAIL("bad tsa_url file");
    memcpy(tsa_url, url.data, url.len);
    free(url.data);
    buffer pdf = read_file(argv[1], "contract.pdf");

    cs_bytes *lt = sign_at(CS_LEVEL_B_LT, false, &pdf);
    expect_level(lt, false, "B-LT");
    CHECK(!contains(lt, "/VRI"));
    cs_bytes_free(lt);
    lt = sign_at(CS_LEVEL_B_LT, true, &pdf);
    expect_level(lt, false, "B-LT");
    CHECK(contains(lt, "/VRI"));
    cs_bytes_free(lt);

    cs_bytes *lta = sign_at(CS_LEVEL_B_LTA, false, &pdf);
    expect_level(lta, false, "B-LTA");
    expect_level(lta, true, "B-LTA");
    write_file(argv[1], "c-b-lta.pdf", lta);
    cs_bytes_free(lta);

    after_signing(&pdf);
    errors(&pdf);
    free(pdf.data);
    printf("ltv: ok\n");
    return 0;
}
