/* signals: SIGTERM/SIGINT request a clean stop, SIGHUP a reload of reloadable data. */
#ifndef LIC_SIGNALS_H
#define LIC_SIGNALS_H

/* Installs the handlers (SA_RESTART off so blocking calls return). Call once from main(). */
void sig_install(void);
/* 1 once SIGTERM or SIGINT arrived (or sig_request_stop() was called). */
int sig_stop_requested(void);
void sig_request_stop(void);
/* 1 if SIGHUP arrived since the last call (and clears it). */
int sig_reload_requested(void);

#endif
