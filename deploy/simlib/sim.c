/* sim: see sim.h. */
#include "sim.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "signals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sim_start(const char *service)
{
    int level = log_level_parse(cfg_get("LOG_LEVEL"));
    log_init(service, level < 0 ? LOG_LEVEL_INFO : (log_level_t)level);
    sig_install();
    clock_use_file(cfg_get("CLOCK_FILE"));
    clock_tz_init();
}

void *sim_upload(void **con_cls, size_t size, const char *data, size_t *data_size, size_t max)
{
    sim_body_t *up = *con_cls;
    if (!up) {
        *con_cls = calloc(1, size < sizeof(sim_body_t) ? sizeof(sim_body_t) : size);
        return NULL;
    }
    if (*data_size == 0)
        return up;
    if (up->len + *data_size > max) {
        up->too_big = 1;
    } else {
        char *nb = realloc(up->body, up->len + *data_size + 1);
        if (nb) {
            up->body = nb;
            memcpy(up->body + up->len, data, *data_size);
            up->len += *data_size;
            up->body[up->len] = '\0';
        }
    }
    *data_size = 0;
    return NULL;
}

void sim_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                   enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    sim_body_t *up = *con_cls;
    if (up) {
        free(up->body);
        free(up);
    }
    *con_cls = NULL;
}

/* Written beside and renamed into place: a reader polling for the file must never see it
 * empty (a test once read it between fopen and fprintf). */
void sim_write_port(const char *path, unsigned port)
{
    if (!path)
        return;
    char tmp[4096];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return;
    FILE *f = fopen(tmp, "w");
    if (!f)
        return;
    int ok = fprintf(f, "%u\n", port) > 0;
    if (fclose(f) != 0 || !ok || rename(tmp, path) != 0)
        unlink(tmp);
}
