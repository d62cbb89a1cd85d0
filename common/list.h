#pragma once

/*
 * Intrusive doubly linked lists: head points at the first item, each item has
 * .next and .prev. Removing an item that is not on the list is a bug.
 */
#define LIST_PREPEND(head, item)                                 \
        do {                                                     \
                (item)->prev = NULL;                             \
                (item)->next = (head);                           \
                if ((head))                                      \
                        (head)->prev = (item);                   \
                (head) = (item);                                 \
        } while (0)

#define LIST_REMOVE(head, item)                                  \
        do {                                                     \
                if ((item)->prev)                                \
                        (item)->prev->next = (item)->next;       \
                else                                             \
                        (head) = (item)->next;                   \
                if ((item)->next)                                \
                        (item)->next->prev = (item)->prev;       \
                (item)->next = (item)->prev = NULL;              \
        } while (0)
