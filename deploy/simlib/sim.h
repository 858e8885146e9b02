/* sim: what the simulators of outside parties (agencysim, registrysim) share - their start
 * (logging, signals, the workers' clock), a request body gathered from libmicrohttpd's calls,
 * and the port file the tests read. */
#ifndef LIC_SIM_H
#define LIC_SIM_H

#include <microhttpd.h>
#include <stddef.h>

/* The first member of a simulator's per-request state. */
typedef struct {
    char *body; /* NUL-terminated, NULL when empty */
    size_t len;
    int too_big; /* longer than the limit: the rest was dropped */
} sim_body_t;

/* Call first in main(): JSON logs as `service`, SIGTERM/SIGINT, LIC_CLOCK_FILE, time zone. */
void sim_start(const char *service);

/* In the access handler: the request's state (`size` bytes, starting with sim_body_t,
 * zeroed) once its whole body has arrived; NULL while it is arriving - the handler then
 * returns MHD_YES, or MHD_NO when *con_cls is still NULL (out of memory). */
void *sim_upload(void **con_cls, size_t size, const char *data, size_t *data_size, size_t max);

/* MHD_OPTION_NOTIFY_COMPLETED: frees what sim_upload() allocated. */
void sim_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                   enum MHD_RequestTerminationCode toe);

/* Writes the listening port for the tests (`path` NULL: nothing). */
void sim_write_port(const char *path, unsigned port);

#endif
