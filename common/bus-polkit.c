/* PLACEHOLDER: being written; replace this whole file. */
#include "bus-util.h"
