#pragma once

/*
 * Durability of a persistent database's file (docs/architecture.md, "How a
 * transaction travels"). A synced tdb transaction costs four fdatasyncs on
 * this kind of disk; instead every batch of commits is appended to a log
 * (NAME.PNN.wal) and made durable with one fdatasync, and then written into
 * the tdb in a tdb transaction without syncs (atomic against a crash of the
 * daemon, not against one of the machine). A snapshot (NAME.PNN.snap, every
 * record and the seqnum, written aside and renamed into place) bounds the
 * log: it is taken when the log passes a size, after a recovery replaced the
 * file, and when a file is found without one. A clean stop syncs the file and
 * leaves NAME.PNN.clean; a start without that marker rebuilds the file from
 * the snapshot and the log, so a file torn by a power loss never serves.
 * Both files are the wire engine's frames (magic, length, hash, payload).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "db-proto.h"

struct tdb_context;
struct dbd_wal;

/*
 * Before the file at path is opened: after an unclean stop rebuilds it from
 * snapshot and log (replacing it). *ret_fresh: there was no snapshot, so the
 * file as found is the truth and wants a checkpoint once open.
 */
int dbd_wal_open(void *mem_ctx, const char *path, struct dbd_wal **ret, bool *ret_fresh);
/*
 * Appends one batch (records, then the seqnum record at seq_to with epoch).
 * Synced before it returns unless ret_mark is given: then it is only
 * written, and *ret_mark is what dbd_wal_on_durable() waits for.
 */
int dbd_wal_append(struct dbd_wal *w, const struct db_record *records, size_t n, uint64_t seq_from,
                   uint64_t seq_to, uint32_t epoch, uint64_t *ret_mark);
/*
 * done runs from event's loop once everything appended up to mark is on disk
 * (error 0) or the sync failed. A thread of the log's own runs fdatasync, so
 * the loop goes on meanwhile, and one fdatasync covers every batch written
 * before it began. done may not run if the log is closed first.
 */
typedef void (*dbd_wal_durable_fn)(void *userdata, int error);
int dbd_wal_on_durable(struct dbd_wal *w, sd_event *event, uint64_t mark, dbd_wal_durable_fn done,
                       void *userdata);
/* The log has grown past the size that calls for a snapshot. */
bool dbd_wal_full(const struct dbd_wal *w);
/* A snapshot of tdb (the file, consistent now), durable, then an empty log. */
int dbd_wal_checkpoint(struct dbd_wal *w, struct tdb_context *tdb);
/* A clean stop: the file synced and marked; the log is closed. */
void dbd_wal_close(struct dbd_wal *w, struct tdb_context *tdb);
