/* The C side of the binding-overhead benchmark (benches/bindings/run.sh): signs the same PDF
 * at B-B N times through the C API and prints the median time per call, buffers freed each
 * time as a real caller would.
 *
 *   sign_loop IN.pdf KEY.p12 PASSWORD N */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cloudsign.h"

static unsigned char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = size > 0 ? malloc((size_t)size) : NULL;
    *len = data ? fread(data, 1, (size_t)size, f) : 0;
    fclose(f);
    return data;
}

static int compare(const void *a, const void *b) {
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: sign_loop IN.pdf KEY.p12 PASSWORD N\n");
        return 2;
    }
    int runs = atoi(argv[4]);
    size_t pdf_len, p12_len;
    unsigned char *pdf = read_all(argv[1], &pdf_len);
    unsigned char *p12 = read_all(argv[2], &p12_len);
    if (pdf == NULL || p12 == NULL || runs < 1) return 2;
    cs_error *err = NULL;
    cs_signer *signer = NULL;
    if (cs_signer_new_pkcs12(p12, p12_len, argv[3], &signer, &err) != CS_OK) {
        fprintf(stderr, "key: %s\n", cs_error_message(err));
        return 1;
    }
    long *micros = calloc((size_t)runs, sizeof *micros);
    for (int i = -1; i < runs; i++) { /* run -1 warms up */
        struct timespec start, end;
        clock_gettime(CLOCK_MONOTONIC, &start);
        cs_bytes *signed_pdf = NULL;
        if (cs_sign(signer, NULL, pdf, pdf_len, &signed_pdf, &err) != CS_OK) {
            fprintf(stderr, "sign: %s\n", cs_error_message(err));
            return 1;
        }
        cs_bytes_free(signed_pdf);
        clock_gettime(CLOCK_MONOTONIC, &end);
        if (i >= 0)
            micros[i] = (end.tv_sec - start.tv_sec) * 1000000L + (end.tv_nsec - start.tv_nsec) / 1000;
    }
    qsort(micros, (size_t)runs, sizeof *micros, compare);
    printf("c median_us_per_sign: %ld\n", micros[runs / 2]);
    free(micros);
    cs_signer_free(signer);
    free(pdf);
    free(p12);
    return 0;
}
