/* libchipdump: umbrella header. */
#ifndef CHIPDUMP_CHIPDUMP_H
#define CHIPDUMP_CHIPDUMP_H
#include "error.h"
#include "chipdb.h"
#include "programmer.h"
#include "flash.h"
#include "output.h"
#include "sim.h"
#endif
