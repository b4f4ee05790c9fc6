/*
 * The few libc pieces the C chip models need, for a freestanding wasm32 build (no WASI, no
 * libc): a first-fit allocator on top of memory.grow (block headers hold sizes; free blocks are
 * kept on a list and reused; enough for a handful of model objects and chip arrays) and the
 * string functions. clang turns loops like these back into memory.copy/fill where it can.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

extern unsigned char __heap_base;

struct blk {
    size_t size; /* bytes after the header */
    struct blk *next_free;
};

static uintptr_t brk_ptr;
static struct blk *free_list;

#define ALIGN 16u
#define HDR   ((sizeof(struct blk) + ALIGN - 1) & ~(size_t)(ALIGN - 1))

static void *sbrk_(size_t n)
{
    if (!brk_ptr)
        brk_ptr = ((uintptr_t)&__heap_base + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1);
    uintptr_t end = brk_ptr + n;
    size_t have = __builtin_wasm_memory_size(0) * 65536u;
    if (end > have) {
        size_t pages = (end - have + 65535u) / 65536u;
        if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1)
            return NULL;
    }
    void *p = (void *)brk_ptr;
    brk_ptr = end;
    return p;
}

void *malloc(size_t n)
{
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    for (struct blk **pp = &free_list; *pp; pp = &(*pp)->next_free) {
        if ((*pp)->size >= n) {
            struct blk *b = *pp;
            *pp = b->next_free;
            return (unsigned char *)b + HDR;
        }
    }
    struct blk *b = sbrk_(HDR + n);
    if (!b)
        return NULL;
    b->size = n;
    return (unsigned char *)b + HDR;
}

void free(void *p)
{
    if (!p)
        return;
    struct blk *b = (struct blk *)((unsigned char *)p - HDR);
    b->next_free = free_list;
    free_list = b;
}

void *calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    struct blk *b = (struct blk *)((unsigned char *)p - HDR);
    if (b->size >= n)
        return p;
    void *q = malloc(n);
    if (q) {
        memcpy(q, p, b->size);
        free(p);
    }
    return q;
}

void abort(void)
{
    __builtin_trap();
}

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    unsigned char *dp = d;
    const unsigned char *sp = s;
    if (dp < sp) {
        while (n--)
            *dp++ = *sp++;
    } else {
        while (n--)
            dp[n] = sp[n];
    }
    return d;
}

void *memset(void *d, int c, size_t n)
{
    unsigned char *dp = d;
    while (n--)
        *dp++ = (unsigned char)c;
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (unsigned char)*a - (unsigned char)*b;
}
