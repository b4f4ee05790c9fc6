/*
 * boot2crc: turn a raw boot2 binary (at most 252 bytes) into the 256-byte boot2 slot the
 * RP2040 bootrom checks: the code zero-padded to 252 bytes, then the CRC32 of those 252 bytes
 * stored little-endian at offset 252. The bootrom's CRC is CRC-32/MPEG-2 (polynomial
 * 0x04C11DB7, initial value 0xFFFFFFFF, no input/output reflection, no final XOR); see shared
 * facts §6.1 and RP2040 datasheet 2.8.1.3.1 (boot stage 2 checksum).
 *
 * usage: boot2crc IN.bin OUT.bin      boot2crc --selftest
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BOOT2_CODE 252u
#define BOOT2_SLOT 256u

static uint32_t crc32_mpeg2(const uint8_t *p, size_t n)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint32_t)p[i] << 24;
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04c11db7u : crc << 1;
    }
    return crc;
}

static int selftest(void)
{
    /* The CRC catalogue's check value for CRC-32/MPEG-2 over "123456789" is 0x0376E6E7. */
    uint32_t c = crc32_mpeg2((const uint8_t *)"123456789", 9);
    if (c != 0x0376e6e7u) {
        fprintf(stderr, "boot2crc: selftest failed: got 0x%08x\n", (unsigned)c);
        return 1;
    }
    puts("boot2crc: selftest ok (CRC-32/MPEG-2 check value 0x0376E6E7)");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--selftest") == 0)
        return selftest();
    if (argc != 3) {
        fprintf(stderr, "usage: boot2crc IN.bin OUT.bin | --selftest\n");
        return 2;
    }
    uint8_t slot[BOOT2_SLOT + 1];
    memset(slot, 0, sizeof(slot));
    FILE *in = fopen(argv[1], "rb");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    size_t n = fread(slot, 1, sizeof(slot), in);
    fclose(in);
    if (n == 0 || n > BOOT2_CODE) {
        fprintf(stderr, "boot2crc: %s is %zu bytes; boot2 code must be 1..%u bytes\n", argv[1], n,
                BOOT2_CODE);
        return 1;
    }
    memset(slot + n, 0, BOOT2_CODE - n);
    uint32_t crc = crc32_mpeg2(slot, BOOT2_CODE);
    for (unsigned i = 0; i < 4; i++)
        slot[BOOT2_CODE + i] = (uint8_t)(crc >> (8 * i));
    FILE *out = fopen(argv[2], "wb");
    if (!out || fwrite(slot, 1, BOOT2_SLOT, out) != BOOT2_SLOT || fclose(out) != 0) {
        perror(argv[2]);
        return 1;
    }
    printf("boot2: %zu bytes of code, CRC-32/MPEG-2 0x%08x\n", n, (unsigned)crc);
    return 0;
}
