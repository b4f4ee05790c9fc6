/* Freestanding stand-in for <stdlib.h>: just what the chip models use (shim.c implements it). */
#ifndef EMU_SHIM_STDLIB_H
#define EMU_SHIM_STDLIB_H
#include <stddef.h>
void *malloc(size_t n);
void *calloc(size_t n, size_t size);
void *realloc(void *p, size_t n);
void free(void *p);
void abort(void) __attribute__((noreturn));
#endif
