/*
 * uf2pack: pack a flat flash image into UF2 blocks for the RP2040 BOOTSEL drive.
 * Format (microsoft/uf2 README; shared facts §6.2): 512-byte blocks, little-endian u32 fields:
 * magic0 0x0A324655 @0, magic1 0x9E5D5157 @4, flags @8, target address @12, payload size @16,
 * block number @20, number of blocks @24, family ID @28 (flag 0x00002000 set), data @32..507,
 * final magic 0x0AB16F30 @508. RP2040 family ID 0xE48BFF56; each block carries 256 bytes for a
 * 256-aligned flash address, the way the RP2040 bootrom expects (RP2040 datasheet 2.8.4).
 *
 * usage: uf2pack IN.bin OUT.uf2 [BASE_ADDRESS]   (default base 0x10000000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UF2_MAGIC0       0x0a324655u
#define UF2_MAGIC1       0x9e5d5157u
#define UF2_MAGIC_END    0x0ab16f30u
#define UF2_FLAG_FAMILY  0x00002000u
#define RP2040_FAMILY_ID 0xe48bff56u
#define PAYLOAD          256u
#define MAX_IMAGE        (16u * 1024 * 1024)

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 4) {
        fprintf(stderr, "usage: uf2pack IN.bin OUT.uf2 [BASE_ADDRESS]\n");
        return 2;
    }
    uint32_t base = argc == 4 ? (uint32_t)strtoul(argv[3], NULL, 0) : 0x10000000u;
    if (base % PAYLOAD) {
        fprintf(stderr, "uf2pack: base 0x%08x is not 256-byte aligned\n", (unsigned)base);
        return 2;
    }
    FILE *in = fopen(argv[1], "rb");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    uint8_t *img = calloc(1, MAX_IMAGE + 1);
    if (!img) {
        fclose(in);
        return 1;
    }
    size_t n = fread(img, 1, MAX_IMAGE + 1, in);
    fclose(in);
    if (n == 0 || n > MAX_IMAGE) {
        fprintf(stderr, "uf2pack: %s: image must be 1..%u bytes\n", argv[1], MAX_IMAGE);
        free(img);
        return 1;
    }
    uint32_t nblocks = (uint32_t)((n + PAYLOAD - 1) / PAYLOAD);
    FILE *out = fopen(argv[2], "wb");
    if (!out) {
        perror(argv[2]);
        free(img);
        return 1;
    }
    int rc = 0;
    for (uint32_t b = 0; b < nblocks; b++) {
        uint8_t blk[512];
        memset(blk, 0, sizeof(blk));
        put32(blk + 0, UF2_MAGIC0);
        put32(blk + 4, UF2_MAGIC1);
        put32(blk + 8, UF2_FLAG_FAMILY);
        put32(blk + 12, base + b * PAYLOAD);
        put32(blk + 16, PAYLOAD);
        put32(blk + 20, b);
        put32(blk + 24, nblocks);
        put32(blk + 28, RP2040_FAMILY_ID);
        memcpy(blk + 32, img + (size_t)b * PAYLOAD, PAYLOAD); /* tail past n stays zero */
        put32(blk + 508, UF2_MAGIC_END);
        if (fwrite(blk, 1, sizeof(blk), out) != sizeof(blk)) {
            rc = 1;
            break;
        }
    }
    if (fclose(out) != 0)
        rc = 1;
    free(img);
    if (rc)
        perror(argv[2]);
    else
        printf("uf2: %u blocks of %u bytes at 0x%08x, family 0x%08x\n", (unsigned)nblocks, PAYLOAD,
               (unsigned)base, (unsigned)RP2040_FAMILY_ID);
    return rc;
}
