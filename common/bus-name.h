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

/*
 * Following the properties of one interface of a name's owner (clusterd's
 * Manager, monitord's, ipd's): a PropertiesChanged match first, then, each
 * time an owner appears, GetAll. changed gets the a{sv} (all: GetAll's whole
 * answer, else a change) and returns negative for one it cannot read
 * (logged, with the name); gone (may be NULL) runs when the owner leaves.
 */
struct bus_properties_watch;
struct bus_properties_ops {
        int (*changed)(void *userdata, sd_bus_message *properties, bool all);
        void (*gone)(void *userdata);
};

/* A talloc child of mem_ctx; name, path, interface and ops must outlive it. */
int bus_properties_watch_new(void *mem_ctx, sd_bus *bus, const char *name, const char *path,
                             const char *interface, const struct bus_properties_ops *ops, void *userdata,
                             struct bus_properties_watch **ret);

/*
 * Reads an a{sv} of properties: property(userdata, name, msg) for each, with
 * msg at its variant; it reads the variant and returns 1, or returns 0 to
 * have it skipped, or negative to stop. Returns 0 or the first error.
 */
int bus_properties_read(sd_bus_message *msg, int (*property)(void *userdata, const char *name,
                                                             sd_bus_message *msg),
                        void *userdata);
