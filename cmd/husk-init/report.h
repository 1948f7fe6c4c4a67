// Reporting to the parent over the sync socket (report.c).
#ifndef HUSK_REPORT_H
#define HUSK_REPORT_H

// sync_fd is the socket to the parent; step names what is being done, for
// failures.
extern int sync_fd;
extern const char *step;

// errstr marks error number err in a message for the parent to word.
const char *errstr(int err);
// send_packet sends one message; -1 when the parent is gone.
int send_packet(const char *buf, int len);
// failx reports the failure of the current step and exits with code, or 1.
void __attribute__((noreturn, format(printf, 2, 3))) failx(int code, const char *fmt, ...);

#define fail(...) failx(0, __VA_ARGS__)

#endif
