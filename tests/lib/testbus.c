/* PLACEHOLDER */
#include "testbus.h"
