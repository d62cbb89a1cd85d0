#pragma once

/* Small sd-event helpers shared by the daemons. */

#include <stdint.h>
#include <systemd/sd-event.h>

/*
 * Changes the epoll events of an io source only when they differ from *cur
 * (the last set), so the hot path does not make an epoll_ctl() per frame.
 */
static inline void event_source_set_io_events_cached(sd_event_source *s, uint32_t *cur, uint32_t events) {
        if (*cur == events)
                return;
        if (sd_event_source_set_io_events(s, events) >= 0)
                *cur = events;
}

/*
 * Runs cb once, after the current event, however often this is called before
 * (coalescing): *s is created on the first call and kept (free it with
 * sd_event_source_disable_unref()).
 */
static inline int event_defer_oneshot(sd_event *e, sd_event_source **s, sd_event_handler_t cb,
                                      void *userdata) {
        int r;

        if (!*s) {
                r = sd_event_add_defer(e, s, cb, userdata);
                if (r < 0)
                        return r;
        }
        return sd_event_source_set_enabled(*s, SD_EVENT_ONESHOT);
}
