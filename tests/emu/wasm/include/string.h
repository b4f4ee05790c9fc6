/* Freestanding stand-in for <string.h>: what the chip models use (shim.c implements it). */
#ifndef EMU_SHIM_STRING_H
#define EMU_SHIM_STRING_H
#include <stddef.h>
void *memcpy(void *restrict d, const void *restrict s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
#endif
