/* libFuzzer target: every decoder of external Kafka input - the CloudEvent envelope and the
 * data of each message type (msg_validate dispatches on the type). Must never crash, leak or
 * read out of bounds, whatever the bytes. */
#include "messages.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char type[128], err[512];
    msg_validate(data, size, type, sizeof(type), err, sizeof(err));
    return 0;
}
