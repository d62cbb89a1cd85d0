#pragma once

/* Small helpers shared by the link and local-socket code of ctdb-tunneld. */

#include <stdint.h>
#include <systemd/sd-event.h>

/*
 * Intrusive doubly linked lists: head points at the first item, each item has
 * .next and .prev. Removing an item that is not on the list is a bug.
 */
#define TUNNELD_LIST_PREPEND(head, item)                 \
        do {                                             \
                (item)->prev = NULL;                     \
                (item)->next = (head);                   \
                if ((head))                              \
                        (head)->prev = (item);           \
                (head) = (item);                         \
        } while (0)

#define TUNNELD_LIST_REMOVE(head, item)                  \
        do {                                             \
                if ((item)->prev)                        \
                        (item)->prev->next = (item)->next; \
                else                                     \
                        (head) = (item)->next;           \
                if ((item)->next)                        \
                        (item)->next->prev = (item)->prev; \
                (item)->next = (item)->prev = NULL;      \
        } while (0)

/*
 * Changes the epoll events of an io source only when they differ from *cur
 * (the last set), so the hot path does not make an epoll_ctl() per frame.
 */
static inline void tunneld_io_set_events(sd_event_source *s, uint32_t *cur, uint32_t events) {
        if (*cur == events)
                return;
        if (sd_event_source_set_io_events(s, events) >= 0)
                *cur = events;
}
