#pragma once

/*
 * Following who owns a bus name (another daemon, or systemd): a
 * NameOwnerChanged match first, then GetNameOwner once the match is in
 * place, so that no change falls between the two. present(true) runs once
 * the bus answered that the name has an owner and after every new owner
 * (a new owner that replaces another is a departure, then an arrival, so the
 * follower reads the new owner's state again); present(false) when it goes.
 */

#include <stdbool.h>

#include <systemd/sd-bus.h>

struct bus_name_watch;
typedef void (*bus_name_fn)(void *userdata, bool present);

/* A talloc child of mem_ctx; freeing it ends the watch. */
int bus_name_watch_new(void *mem_ctx, sd_bus *bus, const char *name, bus_name_fn fn, void *userdata,
                       struct bus_name_watch **ret);
