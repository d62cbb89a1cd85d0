/* PLACEHOLDER: being written; replace this whole file. */
#include "wire.h"
