#pragma once

/* Sub-commands of ctdb-bench; each parses its own options and returns an exit code. */
int bench_message_ring(int argc, char **argv);
int bench_detect(int argc, char **argv);
