/* Internal: the built-in demo contents of `-p sim` without image=. */
#ifndef CHIPDUMP_DEMO_IMAGE_H
#define CHIPDUMP_DEMO_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/**
 * Fill buf (size bytes, a power of two >= 64 KiB) with a deterministic router-like flash
 * layout: boot loader, environment, calibration data, a uImage kernel, a squashfs root and
 * an erased tail. The same name and size always give the same bytes.
 */
int cd_demo_image_fill(uint8_t *buf, size_t size, const char *name);

#endif
