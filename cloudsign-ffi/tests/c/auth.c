/* Account protection: password hashes made, checked, refused and judged for rehashing; the
 * strength policy for new passwords; IP allowlists and the spellings they refuse.
 *
 *   auth FIXTURE_DIR TSA_URL */
#include <stdbool.h>

#include "support.h"

static void passwords(void) {
    cs_bytes *phc = NULL;
    OK(cs_password_hash("correct horse battery staple", &phc, &err));
    const char *stored = (const char *)cs_bytes_data(phc);
    CHECK(strncmp(stored, "$argon2id$", 10) == 0);
    OK(cs_password_verify("correct horse battery staple", stored, &err));
    EXPECT(CS_ERR_AUTH, cs_password_verify("correct horse battery stapler", stored, &err));
    EXPECT(CS_ERR_AUTH, cs_password_verify("anything", "not a PHC string", &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_password_verify(NULL, stored, &err));

    /* A fresh hash is current; a cheaper or older one is due for replacement. */
    bool needs = true;
    OK(cs_password_needs_rehash(stored, &needs, &err));
    CHECK(!needs);
    OK(cs_password_needs_rehash(
        "$argon2id$v=19$m=4096,t=1,p=1$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
        &needs, &err));
    CHECK(needs);
    needs = false;
    OK(cs_password_needs_rehash(
        "$argon2i$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$iWh06vD8Fy27wf9npn6FXWiCX4K6pW6Ue1Bnzz07Z8A",
        &needs, &err));
    CHECK(needs);
    EXPECT(CS_ERR_AUTH, cs_password_needs_rehash("not a PHC string", &needs, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_password_needs_rehash(stored, NULL, &err));
    cs_bytes_free(phc);
}

/* Expects `password` to be refused for a reason containing `why` (NULL: accepted). */
static void expect_weakness(const char *password, const char *const *inputs, size_t count,
                            const char *why) {
    cs_bytes *weakness = (cs_bytes *)1; /* must be overwritten */
    OK(cs_password_check(password, inputs, count, &weakness, &err));
    if (why == NULL) {
        if (weakness != NULL)
            FAIL("'%s' refused: %s", password, (const char *)cs_bytes_data(weakness));
        return;
    }
    if (weakness == NULL) FAIL("'%s' accepted", password);
    if (strstr((const char *)cs_bytes_data(weakness), why) == NULL)
        FAIL("'%s': %s", password, (const char *)cs_bytes_data(weakness));
    cs_bytes_free(weakness);
}

static void policy(void) {
    const char *alice[] = {"alice@example.com", "Alice Liddell", "1985-04-12"};
    expect_weakness("correct horse battery staple", alice, 3, NULL);
    expect_weakness("correct horse battery staple", NULL, 0, NULL);
    expect_weakness("short", NULL, 0, "at least 12 characters");
    expect_weakness("aaaaaaaaaaaaaaaa", NULL, 0, "repeat");
    expect_weakness("abcdefghijklmnop", NULL, 0, "sequence");
    expect_weakness("alice1985liddell", alice, 3, "name, e-mail address or birthday");
    expect_weakness("password12345678", NULL, 0, "too easy to guess");
    cs_bytes *weakness = NULL;
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_password_check(NULL, NULL, 0, &weakness, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_password_check("x", NULL, 2, &weakness, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_password_check("x", NULL, 0, NULL, &err));
    const char *with_null[] = {"alice", NULL};
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_password_check("x", with_null, 2, &weakness, &err));
}

static bool allows(const cs_ip_allowlist *list, const char *address) {
    bool allowed = false;
    OK(cs_ip_allowlist_allows(list, address, &allowed, &err));
    return allowed;
}

/* Expects the one-entry list `entry` to be refused with a message containing `why`. */
static void expect_refused(const char *entry, const char *why) {
    cs_ip_allowlist *list = NULL;
    cs_error *err = NULL;
    cs_status status = cs_ip_allowlist_new(&entry, 1, &list, &err);
    if (status != CS_ERR_AUTH || list != NULL) FAIL("'%s' was not refused", entry);
    if (strstr(cs_error_message(err), why) == NULL)
        FAIL("'%s': %s", entry, cs_error_message(err));
    cs_error_free(err);
}

static void allowlists(void) {
    const char *entries[] = {"10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::ffff:172.16.0.0/108"};
    cs_ip_allowlist *list = NULL;
    OK(cs_ip_allowlist_new(entries, 4, &list, &err));
    CHECK(allows(list, "10.200.0.1"));
    CHECK(allows(list, "::ffff:10.0.0.1"));
    CHECK(allows(list, "192.0.2.7"));
    CHECK(!allows(list, "192.0.2.8"));
    CHECK(!allows(list, "11.0.0.1"));
    CHECK(allows(list, "2001:db8::1"));
    CHECK(!allows(list, "2001:db9::1"));
    CHECK(allows(list, "172.16.5.5"));
    cs_bytes *text = NULL;
    OK(cs_ip_allowlist_to_text(list, &text, &err));
    CHECK(strcmp((const char *)cs_bytes_data(text),
                 "10.0.0.0/8\n192.0.2.7\n2001:db8::/32\n172.16.0.0/12") == 0);
    cs_bytes_free(text);
    bool allowed = false;
    EXPECT(CS_ERR_AUTH, cs_ip_allowlist_allows(list, "not an address", &allowed, &err));
    EXPECT(CS_ERR_AUTH, cs_ip_allowlist_allows(list, "10.0.0.0/8", &allowed, &err));
    EXPECT(CS_ERR_AUTH, cs_ip_allowlist_allows(list, "010.0.0.1", &allowed, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_ip_allowlist_allows(list, "10.0.0.1", NULL, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_ip_allowlist_allows(NULL, "10.0.0.1", &allowed, &err));
    cs_ip_allowlist_free(list);

    /* An empty list allows nothing. */
    OK(cs_ip_allowlist_new(NULL, 0, &list, &err));
    CHECK(!allows(list, "10.0.0.1"));
    cs_ip_allowlist_free(list);

    /* Ambiguous spellings are refused, each named with its reason. */
    expect_refused("10.0.0.1/8", "host bits set");
    expect_refused("010.0.0.1", "leading zero");
    expect_refused("10.1", "four dotted decimal octets");
    expect_refused("0x0a.0.0.1", "not an IPv4 address");
    expect_refused("fe80::1%eth0", "not an IPv6 address");
    expect_refused(" 10.0.0.1", "not an IPv4 address");
    expect_refused("10.0.0.0/08", "leading zero");
    expect_refused("10.0.0.0/33", "out of range");
    /* One bad entry fails the whole list. */
    const char *mixed[] = {"10.0.0.0/8", "192.0.2.07"};
    list = NULL;
    EXPECT(CS_ERR_AUTH, cs_ip_allowlist_new(mixed, 2, &list, &err));
    CHECK(list == NULL);
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_ip_allowlist_new(NULL, 1, &list, &err));
    EXPECT(CS_ERR_NULL_ARGUMENT, cs_ip_allowlist_new(mixed, 2, NULL, &err));
}

int main(void) {
    passwords();
    policy();
    allowlists();
    printf("auth: ok\n");
    return 0;
}
