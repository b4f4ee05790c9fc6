/*
 * Boot stage 2: plain 03h XIP setup, plus a read of the flash's 64-bit unique ID.
 *
 * The bootrom copies the first 252 bytes of flash to SRAM 0x20041F00, checks their
 * CRC-32/MPEG-2 against the word at offset 252 and runs them (RP2040 datasheet 2.8.1.3). This
 * code is position independent (literals are PC-relative) and uses only the stack.
 *
 * 1. Unique ID: with the SSI in standard SPI, 8-bit frames, transmit-and-receive mode
 *    (datasheet 4.10.13, CTRLR0.TMOD = 0), clock out 4Bh + 4 dummy bytes + 8 bytes and keep the
 *    last 8 bytes received (Winbond "Read Unique ID Number", 4Bh; most other 25-series parts
 *    answer it the same way). All 13 frames fit the 16-entry TX FIFO before the first one has
 *    left, so chip select stays asserted for the whole command. The ID lands in watchdog
 *    SCRATCH1 (first 4 bytes, MSB first) and SCRATCH2 (last 4), then SCRATCH0 = 0x1D5EE1A1 says
 *    they are valid (datasheet 4.7: scratch registers survive everything but power-on and are
 *    free for software; the SDK only uses SCRATCH4..7). The firmware turns that into its USB
 *    serial number.
 * 2. XIP: CTRLR0 = standard SPI, 32-bit frames, EEPROM-read mode; SPI_CTRLR0 = command 03h,
 *    8-bit instruction, 24-bit address, both sent 1-bit wide; CTRLR1.NDF = 0 (one 32-bit word
 *    per XIP access); BAUDR = 4 (SCK = clk_sys / 4: 31.25 MHz at 125 MHz, under the 50 MHz 03h
 *    limit of W25Q parts). Works with any 25-series flash.
 * 3. Exit: entered from the bootrom (saved lr = 0), set VTOR to the vector table at
 *    0x10000100, load MSP and jump to the reset handler from it; otherwise return to the caller.
 */
    .syntax unified
    .cpu cortex-m0plus
    .thumb

    .equ SSI_BASE, 0x18000000
    .equ SSI_CTRLR0, 0x00
    .equ SSI_CTRLR1, 0x04
    .equ SSI_SSIENR, 0x08
    .equ SSI_SER, 0x10
    .equ SSI_BAUDR, 0x14
    .equ SSI_SR, 0x28
    .equ SSI_DR0, 0x60
    .equ SSI_SPI_CTRLR0, 0xf4
    .equ WATCHDOG_BASE, 0x40058000
    .equ WD_SCRATCH0, 0x0c
    .equ WD_SCRATCH1, 0x10
    .equ WD_SCRATCH2, 0x14
    .equ UID_MAGIC, 0x1d5ee1a1
    .equ PPB_VTOR, 0xe000ed08
    .equ VECTORS, 0x10000100

    /* CTRLR0 fields: DFS_32 bits 20:16 (frame bits - 1), TMOD bits 9:8 */
    .equ CTRLR0_UID, (7 << 16) | (0 << 8)
    .equ CTRLR0_XIP, (31 << 16) | (3 << 8)
    /* SPI_CTRLR0: XIP_CMD 31:24, INST_L 9:8 (2 = 8 bit), ADDR_L 5:2 (in 4-bit units),
     * TRANS_TYPE 1:0 (0 = command and address in standard SPI) */
    .equ SPI_CTRLR0_XIP, (0x03 << 24) | (2 << 8) | (6 << 2) | 0

    .section .boot2_text, "ax"
    .global boot2_entry
    .type boot2_entry, %function
    .thumb_func
boot2_entry:
    push {r4, r5, r6, lr}
    ldr r3, =SSI_BASE
    movs r0, #0
    str r0, [r3, #SSI_SSIENR]      /* configure only while disabled (clears the FIFOs) */
    movs r1, #1
    str r1, [r3, #SSI_SER]
    movs r1, #4
    str r1, [r3, #SSI_BAUDR]

    /* 1. read the unique ID */
    ldr r1, =CTRLR0_UID
    str r1, [r3, #SSI_CTRLR0]
    movs r1, #1
    str r1, [r3, #SSI_SSIENR]
    movs r1, #0x4b
    str r1, [r3, #SSI_DR0]
    movs r2, #12
1:  str r0, [r3, #SSI_DR0]         /* 4 dummy bytes + 8 ID bytes */
    subs r2, #1
    bne 1b
    movs r2, #13
    movs r4, #0                    /* r5:r4 = the last 8 bytes, first byte most significant */
    movs r5, #0
2:  ldr r1, [r3, #SSI_SR]
    lsrs r1, r1, #4                /* SR.RFNE (bit 3) into carry */
    bcc 2b
    ldr r1, [r3, #SSI_DR0]
    uxtb r1, r1
    lsrs r6, r4, #24
    lsls r5, r5, #8
    orrs r5, r6
    lsls r4, r4, #8
    orrs r4, r1
    subs r2, #1
    bne 2b
    ldr r6, =WATCHDOG_BASE
    str r5, [r6, #WD_SCRATCH1]
    str r4, [r6, #WD_SCRATCH2]
    ldr r1, =UID_MAGIC
    str r1, [r6, #WD_SCRATCH0]

    /* 2. plain 03h XIP */
    str r0, [r3, #SSI_SSIENR]
    ldr r1, =CTRLR0_XIP
    str r1, [r3, #SSI_CTRLR0]
    str r0, [r3, #SSI_CTRLR1]
    ldr r1, =SPI_CTRLR0_XIP
    movs r2, #SSI_SPI_CTRLR0
    str r1, [r3, r2]
    movs r1, #1
    str r1, [r3, #SSI_SSIENR]

    /* 3. exit */
    pop {r4, r5, r6}
    pop {r0}
    cmp r0, #0
    beq 3f
    bx r0
3:  ldr r0, =VECTORS
    ldr r1, =PPB_VTOR
    str r0, [r1]
    ldmia r0, {r0, r1}
    msr msp, r0
    bx r1

    .ltorg
