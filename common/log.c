/* Logging to the journal (structured) or to stderr; see log.h. */

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "log.h"

static const char *log_ident = "ctdb";
static enum log_target log_target = LOG_TARGET_STDERR;
static int log_max_level = LOG_INFO;

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert", [LOG_CRIT] = "crit", [LOG_ERR] = "error",
        [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

/* True if stderr is the stream systemd connected to the journal ($JOURNAL_STREAM = dev:ino). */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == dev && st.st_ino == ino;
}

void log_open(const char *ident, enum log_target target) {
        if (ident)
                log_ident = ident;
        if (target == LOG_TARGET_AUTO)
                target = stderr_is_journal() ? LOG_TARGET_JOURNAL : LOG_TARGET_STDERR;
        log_target = target;
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_level_from_string(const char *s) {
        char *end;
        long l;

        for (int i = 0; i < (int) (sizeof(level_names) / sizeof(level_names[0])); i++)
                if (strcmp(s, level_names[i]) == 0)
                        return i;
        /* CTDB's names for the same levels */
        if (strcmp(s, "ERR") == 0 || strcmp(s, "ERROR") == 0)
                return LOG_ERR;
        if (strcmp(s, "WARNING") == 0)
                return LOG_WARNING;
        if (strcmp(s, "NOTICE") == 0)
                return LOG_NOTICE;
        if (strcmp(s, "INFO") == 0)
                return LOG_INFO;
        if (strcmp(s, "DEBUG") == 0)
                return LOG_DEBUG;
        l = strtol(s, &end, 10);
        if (*s && !*end && l >= 0 && l <= LOG_DEBUG)
                return (int) l;
        return -EINVAL;
}

static void write_stderr(int level, const char *text) {
        fprintf(stderr, "%s[%d]: %s: %s\n", log_ident, (int) getpid(),
                level_names[level & LOG_PRIMASK], text);
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) {
        char text[2048];
        va_list ap;

        error = abs(error);
        if ((level & LOG_PRIMASK) > log_max_level)
                return -error;

        /* %m in the format means this error, not whatever errno happens to be. */
        errno = error;
        va_start(ap, format);
        vsnprintf(text, sizeof(text), format, ap);
        va_end(ap);

        if (log_target == LOG_TARGET_JOURNAL) {
                char code_line[16];
                snprintf(code_line, sizeof(code_line), "%d", line);
                if (error)
                        sd_journal_send("MESSAGE=%s", text, "PRIORITY=%i", level, "ERRNO=%i", error,
                                        "SYSLOG_IDENTIFIER=%s", log_ident, "CODE_FILE=%s", file,
                                        "CODE_LINE=%s", code_line, "CODE_FUNC=%s", func, NULL);
                else
                        sd_journal_send("MESSAGE=%s", text, "PRIORITY=%i", level,
                                        "SYSLOG_IDENTIFIER=%s", log_ident, "CODE_FILE=%s", file,
                                        "CODE_LINE=%s", code_line, "CODE_FUNC=%s", func, NULL);
        } else
                write_stderr(level, text);

        return -error;
}

int log_event_internal(int level, const char *message_id, const char *const *extra, const char *file,
                       int line, const char *func, const char *format, ...) {
        enum { MAX_EXTRA = 16 };
        char message[2048], id[64], priority[16], ident[128], code_file[512], code_line[32];
        struct iovec iov[6 + MAX_EXTRA];
        unsigned n = 0;
        va_list ap;

        if ((level & LOG_PRIMASK) > log_max_level)
                return 0;

        va_start(ap, format);
        snprintf(message, sizeof(message), "MESSAGE=");
        vsnprintf(message + 8, sizeof(message) - 8, format, ap);
        va_end(ap);

        if (log_target != LOG_TARGET_JOURNAL) {
                write_stderr(level, message + 8);
                return 0;
        }

        snprintf(id, sizeof(id), "MESSAGE_ID=%s", message_id);
        snprintf(priority, sizeof(priority), "PRIORITY=%i", level);
        snprintf(ident, sizeof(ident), "SYSLOG_IDENTIFIER=%s", log_ident);
        snprintf(code_file, sizeof(code_file), "CODE_FILE=%s", file);
        snprintf(code_line, sizeof(code_line), "CODE_LINE=%d", line);
        const char *fixed[] = { message, id, priority, ident, code_file, code_line };
        for (unsigned i = 0; i < 6; i++)
                iov[n++] = (struct iovec) { .iov_base = (void *) fixed[i], .iov_len = strlen(fixed[i]) };
        for (unsigned i = 0; extra && extra[i] && i < MAX_EXTRA; i++)
                iov[n++] = (struct iovec) { .iov_base = (void *) extra[i], .iov_len = strlen(extra[i]) };
        (void) func;
        sd_journal_sendv(iov, (int) n);
        return 0;
}
