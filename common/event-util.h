#pragma once

/* Small sd-event helpers shared by the daemons' socket code. */

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
