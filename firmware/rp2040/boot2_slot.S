/* The 256-byte boot2 slot at flash offset 0: boot2.S assembled, padded to 252 bytes and
 * followed by its CRC32 (tools/boot2crc). BOOT2_SLOT_BIN is the path of that file. */
    .section .boot2, "a"
    .incbin BOOT2_SLOT_BIN
