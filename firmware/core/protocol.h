/*
 * firmware/core/protocol.h — wire constants shared by the firmware engine and the host's
 * serprog programmer (host/lib/programmers/serprog*.c). docs/protocol.md is the spec.
 *
 * Opcodes 0x00..0x18 are flashrom's serprog (interface version 1, flashrom
 * doc/supported_hw/supported_prog/serprog/serprog-protocol.rst); 0xC0..0xC4 are chipdump
 * extensions, advertised in the same 0x02 command bitmap so plain serprog hosts ignore them.
 * All multibyte values are little-endian.
 */
#ifndef CHIPDUMP_FW_PROTOCOL_H
#define CHIPDUMP_FW_PROTOCOL_H

#define SP_ACK 0x06
#define SP_NAK 0x15

/* serprog (flashrom) */
#define SP_NOP         0x00 /* -> ACK */
#define SP_Q_IFACE     0x01 /* -> ACK u16 1 */
#define SP_Q_CMDMAP    0x02 /* -> ACK 32-byte bitmap */
#define SP_Q_PGMNAME   0x03 /* -> ACK 16 bytes, NUL padded */
#define SP_Q_SERBUF    0x04 /* -> ACK u16 */
#define SP_Q_BUSTYPE   0x05 /* -> ACK u8 */
#define SP_Q_CHIPSIZE  0x06 /* parallel only: NAK */
#define SP_Q_OPBUF     0x07 /* -> ACK u16 */
#define SP_Q_WRNMAXLEN 0x08 /* -> ACK u24 */
#define SP_R_BYTE      0x09 /* parallel only: u24 addr; NAK */
#define SP_R_NBYTES    0x0A /* parallel only: u24 addr u24 len; NAK */
#define SP_O_INIT      0x0B /* -> ACK */
#define SP_O_WRITEB    0x0C /* parallel only: u24 addr u8; NAK */
#define SP_O_WRITEN    0x0D /* parallel only: u24 len u24 addr data; NAK */
#define SP_O_DELAY     0x0E /* u32 us -> ACK */
#define SP_O_EXEC      0x0F /* -> ACK */
#define SP_SYNCNOP     0x10 /* -> NAK ACK */
#define SP_Q_RDNMAXLEN 0x11 /* -> ACK u24 */
#define SP_S_BUSTYPE   0x12 /* u8 -> ACK/NAK */
#define SP_O_SPIOP     0x13 /* u24 slen u24 rlen data[slen] -> ACK data[rlen] */
#define SP_S_SPI_FREQ  0x14 /* u32 Hz -> ACK u32 Hz */
#define SP_S_PIN_STATE 0x15 /* u8 -> ACK */
#define SP_S_SPI_CS    0x16 /* u8 -> ACK (only CS 0) */
#define SP_S_SPI_MODE  0x17 /* u8 -> ACK (only 0, half duplex) */
#define SP_S_CS_MODE   0x18 /* u8 0 auto / 1 selected / 2 deselected -> ACK */

#define SP_BUS_SPI 0x08

/* chipdump extensions */
#define CD_Q_INFO      0xC0 /* -> ACK "CDMP" u16 ver u16 bufsize u32 hz u32 flags */
#define CD_R_STREAM    0xC1 /* u8 cmd u8 alen u8 dummy u32 addr u32 len -> ACK data[len] */
#define CD_R_NAND      0xC2 /* see docs/protocol.md -> ACK { u8 status, data[len] } x count */
#define CD_O_EXEC_POLL 0xC3 /* ops + status poll -> ACK u8 result u8 status u32 us */
#define CD_S_BOOTSEL   0xC4 /* "BOOT" -> ACK, then reboot to the ROM bootloader */

/* CD_Q_INFO */
#define CD_INFO_MAGIC   "CDMP"
#define CD_PROTO_VER    1
#define CD_INFO_REPLY   16   /* bytes after the ACK */
#define CD_INFO_F_NAND  0x01 /* CD_R_NAND available */
#define CD_INFO_F_BOOTS 0x02 /* the board can reboot to BOOTSEL */

/* CD_R_NAND request (after the opcode): 20 bytes */
#define CD_NAND_REQ_LEN 20
/* flags */
#define CD_NAND_F_READ_ONLY_STATUS 0x01 /* skip the data: records are the status byte alone */

/* CD_O_EXEC_POLL request header (after the opcode): 14 bytes, then total bytes of ops */
#define CD_EXEC_POLL_HDR 14
#define CD_EXEC_MAX_OPS  4
/* results */
#define CD_POLL_READY   0
#define CD_POLL_TIMEOUT 1

/*
 * USB IDs of the chipdump RP2040 board: the host's -p rp2040 looks for these, and
 * udev/60-chipdump.rules grants access to them. 1209:0001 is a pid.codes *test* PID, a
 * placeholder until the board has its own.
 */
#define CD_USB_VID 0x1209
#define CD_USB_PID 0x0001

/* Serial name answered to Q_PGMNAME (16 bytes, NUL padded). */
#define SP_PGMNAME "chipdump"

#endif
