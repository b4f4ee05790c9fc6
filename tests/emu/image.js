/* Firmware image loading for the harness: ELF32 PT_LOAD segments and symbols, boot2's CRC. */
'use strict';

/** PT_LOAD segments that go to flash (at p_paddr, the load address) + the symbol table. */
function loadElf(buf) {
  if (buf.readUInt32BE(0) !== 0x7f454c46 || buf[4] !== 1 || buf[5] !== 1)
    throw new Error('not a 32-bit little-endian ELF file');
  const phoff = buf.readUInt32LE(0x1c), phentsize = buf.readUInt16LE(0x2a);
  const phnum = buf.readUInt16LE(0x2c);
  const flash = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    const type = buf.readUInt32LE(p), off = buf.readUInt32LE(p + 4);
    const paddr = buf.readUInt32LE(p + 12), filesz = buf.readUInt32LE(p + 16);
    if (type !== 1 || filesz === 0) continue;
    if (paddr < 0x10000000 || paddr + filesz > 0x11000000)
      throw new Error(`segment at 0x${paddr.toString(16)} is not in flash`);
    flash.push({ addr: paddr, data: buf.subarray(off, off + filesz) });
  }
  /* symbols: section headers -> SHT_SYMTAB and its string table */
  const symbols = {};
  const shoff = buf.readUInt32LE(0x20), shentsize = buf.readUInt16LE(0x2e);
  const shnum = buf.readUInt16LE(0x30);
  for (let i = 0; i < shnum; i++) {
    const s = shoff + i * shentsize;
    if (buf.readUInt32LE(s + 4) !== 2) continue; /* SHT_SYMTAB */
    const off = buf.readUInt32LE(s + 16), size = buf.readUInt32LE(s + 20);
    const link = buf.readUInt32LE(s + 24), entsize = buf.readUInt32LE(s + 36);
    const strOff = buf.readUInt32LE(shoff + link * shentsize + 16);
    for (let e = off; e + entsize <= off + size; e += entsize) {
      const nameOff = buf.readUInt32LE(e);
      let end = strOff + nameOff;
      while (buf[end]) end++;
      const name = buf.toString('latin1', strOff + nameOff, end);
      if (name) symbols[name] = { addr: buf.readUInt32LE(e + 4), size: buf.readUInt32LE(e + 8) };
    }
  }
  return { flash, symbols };
}

/** CRC-32/MPEG-2 (poly 0x04C11DB7, init 0xFFFFFFFF, no reflection, no final XOR). */
function boot2Crc(bytes) {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc = (crc ^ (b << 24)) >>> 0;
    for (let k = 0; k < 8; k++)
      crc = crc & 0x80000000 ? ((crc << 1) ^ 0x04c11db7) >>> 0 : (crc << 1) >>> 0;
  }
  return crc >>> 0;
}

module.exports = { loadElf, boot2Crc };
