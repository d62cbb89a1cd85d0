/* PLACEHOLDER: being written; replace this whole file. */
#include "ctdb-client.h"
