#pragma once

/*
 * Logging for the daemons and tools. Under systemd (JOURNAL_STREAM set, or
 * log_open(LOG_TARGET_JOURNAL)) records go to the journal with structured
 * fields; in the foreground they go to stderr as "daemon[pid]: LEVEL: text".
 *
 * The log_*_errno() helpers return the negative errno they were given so that
 * "return log_error_errno(r, "Failed to x: %m");" both logs and propagates;
 * %m expands to strerror of that errno.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <syslog.h>

enum log_target {
        LOG_TARGET_AUTO,        /* journal if stderr is connected to it, else stderr */
        LOG_TARGET_STDERR,
        LOG_TARGET_JOURNAL,
};

void log_open(const char *ident, enum log_target target);
void log_set_max_level(int level);
/* "error", "warning", "notice", "info", "debug" or a syslog number; -EINVAL otherwise. */
int log_level_from_string(const char *s);

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *format, ...) __attribute__((format(printf, 6, 7)));

/*
 * A key cluster event: a journal record with MESSAGE_ID=message_id, the extra
 * "FIELD=value" strings (NULL-terminated array, may be NULL) and MESSAGE from
 * format. On stderr only the message is shown.
 */
int log_event_internal(int level, const char *message_id, const char *const *extra, const char *file,
                       int line, const char *func, const char *format, ...)
        __attribute__((format(printf, 7, 8)));

#define log_full_errno(level, error, ...)                                                       \
        log_internal((level), (error), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define log_full(level, ...) (void) log_full_errno((level), 0, __VA_ARGS__)

#define log_debug(...)   log_full(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)    log_full(LOG_INFO, __VA_ARGS__)
#define log_notice(...)  log_full(LOG_NOTICE, __VA_ARGS__)
#define log_warning(...) log_full(LOG_WARNING, __VA_ARGS__)
#define log_error(...)   log_full(LOG_ERR, __VA_ARGS__)

#define log_debug_errno(error, ...)   log_full_errno(LOG_DEBUG, (error), __VA_ARGS__)
#define log_info_errno(error, ...)    log_full_errno(LOG_INFO, (error), __VA_ARGS__)
#define log_notice_errno(error, ...)  log_full_errno(LOG_NOTICE, (error), __VA_ARGS__)
#define log_warning_errno(error, ...) log_full_errno(LOG_WARNING, (error), __VA_ARGS__)
#define log_error_errno(error, ...)   log_full_errno(LOG_ERR, (error), __VA_ARGS__)

#define log_oom() log_error_errno(ENOMEM, "Out of memory.")

#define log_event(level, message_id, extra, ...)                                                \
        (void) log_event_internal((level), (message_id), (extra), __FILE__, __LINE__, __func__, __VA_ARGS__)

/*
 * MESSAGE_IDs of the key cluster events (DESIGN.md section 5, "Journal"), so that
 * "journalctl MESSAGE_ID=<id>" finds every event of one kind.
 */
#define CTDB_MESSAGE_LINK_UP        "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f01"
#define CTDB_MESSAGE_LINK_DOWN      "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f02"
#define CTDB_MESSAGE_NODE_FLAGS     "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f03"
#define CTDB_MESSAGE_LEADER         "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f04"
#define CTDB_MESSAGE_GENERATION     "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f05"
#define CTDB_MESSAGE_RECOVERY       "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f06" /* started */
#define CTDB_MESSAGE_PEER_REJECTED  "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f07"
#define CTDB_MESSAGE_TAKEOVER       "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f08" /* an address added here */
#define CTDB_MESSAGE_HEALTH         "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f09"
#define CTDB_MESSAGE_RECOVERY_END   "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f0a"
#define CTDB_MESSAGE_RELEASE        "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f0b" /* an address removed here */
#define CTDB_MESSAGE_BAN            "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f0c"
#define CTDB_MESSAGE_TAKEOVER_RUN   "3a1f6c2e8b0d4d5f9e7a6b1c2d3e4f0d" /* a run that failed */
/* The explanations journalctl -x prints are units/ctdb-remix.catalog. */
