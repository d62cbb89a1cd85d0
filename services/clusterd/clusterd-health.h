#pragma once

/* This node's health from ctdb-monitord: the UNHEALTHY flag and Health (clusterd-health.c). */

struct clusterd_manager;

int clusterd_health_start(struct clusterd_manager *m);
void clusterd_health_stop(struct clusterd_manager *m);
