/* PLACEHOLDER: being written; replace this whole file. */
#include "config.h"
