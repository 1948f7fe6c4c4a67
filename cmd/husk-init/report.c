// Reporting to the parent, for both of husk-init's jobs (nsenter.c,
// cinit.c): one JSON packet per message on the sync socket, the error
// numbers in failures left for the parent to word.
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "report.h"

int sync_fd = -1;
const char *step = "init";

// errstr stands for error number err in a message: the parent puts Go's
// words in its place (errnoWords in runtime/sync.go), so the C and the Go
// init word an error alike, whichever libc's strerror husk-init links.
const char *errstr(int err)
{
	static char buf[4][16];
	static int next;
	char *s = buf[next++ % 4];

	snprintf(s, sizeof(buf[0]), "\x01%d\x02", err);
	return s;
}

// send_packet sends a message to the parent. The parent may be gone: huskrt
// create exits once the init is ready, and the init then reports its exec
// to no one, which is fine; only a failure (failx) goes to stderr then.
int send_packet(const char *buf, int len)
{
	return send(sync_fd, buf, len, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

// json_escape copies s into out as the inside of a JSON string.
static void json_escape(char *out, size_t size, const char *s)
{
	size_t n = 0;

	for (; *s && n + 7 < size; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = c;
		} else if (c < 0x20) {
			n += snprintf(out + n, size - n, "\\u%04x", c);
		} else {
			out[n++] = c;
		}
	}
	out[n] = '\0';
}

// errno_words copies msg into out with libc's words for the error numbers
// errstr marked: for stderr, when there is no parent to word them.
static const char *errno_words(char *out, size_t size, const char *msg)
{
	size_t n = 0;

	while (*msg && n + 1 < size) {
		char *end;
		long e;
		if (*msg != '\x01' || (e = strtol(msg + 1, &end, 10), *end != '\x02')) {
			out[n++] = *msg++;
			continue;
		}
		n += snprintf(out + n, size - n, "%s", strerror(e));
		if (n >= size)
			n = size - 1;
		msg = end + 1;
	}
	out[n] = '\0';
	return out;
}

// failx reports the failure of the current step and exits with code, or 1;
// a code goes to the parent too (126 and 127 for exec, as shells do).
void failx(int code, const char *fmt, ...)
{
	char msg[2048], esc[4096], buf[4608];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_escape(esc, sizeof(esc), msg);
	n = snprintf(buf, sizeof(buf), "{\"type\":\"error\",\"step\":\"%s\",\"error\":\"%s\",\"exit\":%d}",
		     step, esc, code);
	if (send_packet(buf, n) < 0) {
		char words[4096];
		dprintf(2, "husk init: %s: %s\n", step, errno_words(words, sizeof(words), msg));
	}
	_exit(code ? code : 1);
}
