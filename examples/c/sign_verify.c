/* Sign a PDF at PAdES B-B with a PKCS#12 key, verify the result, print the verdict.
 *
 * Build from the repository root:
 *   cargo build --release -p cloudsign-ffi
 *   gcc -Wall -Wextra -Werror -I cloudsign-ffi/include examples/c/sign_verify.c \
 *       -L target/release -lcloudsign_ffi -o sign_verify
 * Run (the library is a shared object; or link target/release/libcloudsign_ffi.a instead):
 *   LD_LIBRARY_PATH=target/release ./sign_verify IN.pdf OUT.pdf KEY.p12 PASSWORD ROOT.pem
 * Exits 0 only when the signed file verifies against ROOT.pem. */
#include <stdio.h>
#include <stdlib.h>

#include "cloudsign.h"

static unsigned char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    unsigned char *data = NULL;
    size_t cap = 0;
    *len = 0;
    for (;;) {
        if (*len == cap) {
            cap = cap ? cap * 2 : 65536;
            unsigned char *grown = realloc(data, cap);
            if (grown == NULL) break;
            data = grown;
        }
        size_t n = fread(data + *len, 1, cap - *len, f);
        if (n == 0) break;
        *len += n;
    }
    fclose(f);
    return data;
}

/* Prints a failed call's error and frees it; returns the exit status to use. */
static int fail(const char *what, cs_error *err) {
    fprintf(stderr, "%s failed (%u): %s\n", what, (unsigned)cs_error_status(err),
            cs_error_message(err));
    cs_error_free(err);
    return 2;
}

int main(int argc, char **argv) {
    if (argc != 6) {
        fprintf(stderr, "usage: %s IN.pdf OUT.pdf KEY.p12 PASSWORD ROOT.pem\n", argv[0]);
        return 2;
    }
    size_t pdf_len, p12_len, root_len;
    unsigned char *pdf = read_all(argv[1], &pdf_len);
    unsigned char *p12 = read_all(argv[3], &p12_len);
    unsigned char *root = read_all(argv[5], &root_len);
    if (pdf == NULL || p12 == NULL || root == NULL) {
        fprintf(stderr, "cannot read an input file\n");
        return 2;
    }

    int status = 2;
    cs_error *err = NULL;
    cs_signer *signer = NULL;
    cs_bytes *signed_pdf = NULL;
    cs_validator *validator = NULL;
    cs_report *report = NULL;
    if (cs_signer_new_pkcs12(p12, p12_len, argv[4], &signer, &err) != CS_OK) {
        status = fail("loading the key", err);
    } else if (cs_sign(signer, NULL, pdf, pdf_len, &signed_pdf, &err) != CS_OK) {
        status = fail("signing", err);
    } else if (cs_validator_new(root, root_len, &validator, &err) != CS_OK) {
        status = fail("loading the trust root", err);
    } else if (cs_validator_validate(validator, cs_bytes_data(signed_pdf),
                                     cs_bytes_len(signed_pdf), &report, &err) != CS_OK) {
        status = fail("verifying", err);
    } else {
        FILE *out = fopen(argv[2], "wb");
        size_t len = cs_bytes_len(signed_pdf);
        if (out == NULL || fwrite(cs_bytes_data(signed_pdf), 1, len, out) != len ||
            fclose(out) != 0) {
            fprintf(stderr, "cannot write %s\n", argv[2]);
        } else {
            for (size_t i = 0; i < cs_report_signature_count(report); i++) {
                const char *sub = cs_report_sub_indication(report, i);
                printf("signature %zu (%s) by %s: %s%s%s\n", i, cs_report_field(report, i),
                       cs_report_signer_subject(report, i),
                       cs_report_indication(report, i) == CS_INDICATION_PASSED ? "PASSED"
                                                                               : "NOT PASSED",
                       sub ? " " : "", sub ? sub : "");
            }
            printf("verdict: %s\n", cs_report_passed(report) ? "PASSED" : "FAILED");
            status = cs_report_passed(report) ? 0 : 1;
        }
    }
    cs_report_free(report);
    cs_validator_free(validator);
    cs_bytes_free(signed_pdf);
    cs_signer_free(signer);
    free(pdf);
    free(p12);
    free(root);
    return status;
}
