/*
 * ctdbctl db ptrans's input (tools/ctdbctl-ptrans.h), a line at a time as
 * ctdbctl reads standard input, then the duplicates folded as before the
 * transaction is sent. The contract: a record within the limits, a blank
 * line, or an error with a message; a message with a key NULL; every key
 * once after folding.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../../common/db-proto.h"
#include "ctdbctl-ptrans.h"
#include "fuzz.h"

#define RECORDS_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct ptrans_record records[RECORDS_MAX];
        const char *p = (const char *) data, *end = p + size;
        size_t n = 0, kept;

        while (p < end && n < RECORDS_MAX) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                size_t len = nl ? (size_t) (nl - p) + 1 : (size_t) (end - p);
                struct ptrans_record r = { 0 };
                char err[128];
                int k = ptrans_parse_line(p, len, &r, err, sizeof(err));

                CHECK(k == 1 || k == 0 || k == -EINVAL || k == -ENOMEM);
                if (k == 1) {
                        CHECK(r.key && r.key_len > 0 && r.key_len <= DB_KEY_MAX);
                        CHECK(r.value_len <= DB_VALUE_MAX);
                        CHECK(!!r.value == !!r.value_len);
                        records[n++] = r;
                } else {
                        CHECK(!r.key && !r.value);
                        CHECK(k != -EINVAL || err[0] != '\0');
                }
                p += len;
        }
        if (ptrans_records_dedupe(records, n, &kept) < 0)
                kept = n;
        CHECK(kept <= n);
        for (size_t i = 0; i < kept; i++)
                for (size_t j = i + 1; j < kept; j++)
                        CHECK(records[i].key_len != records[j].key_len ||
                              memcmp(records[i].key, records[j].key, records[i].key_len) != 0);
        for (size_t i = 0; i < kept; i++)
                ptrans_record_clear(&records[i]);
        return 0;
}
