/* libFuzzer target: the agencies configuration (units, keys, TLS) and reply signature
 * verification with whatever keys it declares. */
#include "agencies.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = json_loadb((const char *)data, size, 0, NULL);
    if (!root)
        return 0;
    ag_config_t cfg;
    char err[256];
    if (ag_load_json(root, &cfg, err, sizeof(err)) == 0) {
        for (int a = 0; a < AG_COUNT; a++) {
            ag_unit_url(&cfg, (ag_agency_t)a, "KZ-KAR");
            for (int k = 0; k < cfg.agency[a].nkeys; k++)
                ag_verify(&cfg, (ag_agency_t)a, cfg.agency[a].keys[k].id,
                          "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
                          "AAAAAAAAAAAAAA==",
                          data, size, err, sizeof(err));
        }
        ag_free(&cfg);
    }
    return 0;
}
