/* Account protection: password hashes made, checked and refused.
 *
 *   auth FIXTURE_DIR TSA_URL */
#include "support.h"

int main(void) {
    cs_bytes *phc = NULL;
    OK(cs_password_hash("correct horse battery staple", &phc, &err));
    const char *stored = (const char *)cs_bytes_data(phc);
    CHECK(strncmp(stored, "$argon2id$", 10) == 0);
    OK(cs_password_verify("correct horse battery staple", stored, &err));
    EXPECT(CS_ERR_AUTH, cs_password_verify("correct horse battery stapler", stored, &err));
    EXPECT(CS_ERR_AUTH, cs_password_verify("anything", "not a PHC string", &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_password_verify(NULL, stored, &err));
    cs_bytes_free(phc);
    printf("auth: ok\n");
    return 0;
}
