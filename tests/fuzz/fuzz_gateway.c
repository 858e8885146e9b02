/* libFuzzer target: the gateway's SendMessage answers (each service read against the same
 * bytes) and the simulator's side, SendMessage requests. */
#include "gateway.h"

#include <libxml/parser.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        xmlInitParser();
        init = 1;
    }
    for (int s = 0; s < GW_SERVICE_COUNT; s++) {
        gw_response_t r;
        gw_response_parse((gw_service_t)s, "070340001239", (const char *)data, size, &r);
        gw_response_free(&r);
    }
    gw_incoming_t in;
    char err[256];
    gw_request_parse((const char *)data, size, &in, err, sizeof(err));
    return 0;
}
