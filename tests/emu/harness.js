#!/usr/bin/env node
/*
 * Runs the chipdump RP2040 firmware image in rp2040js (no bootrom: this harness does what the
 * bootrom + boot2 would), with the C SPI-NOR chip model (host/lib/sim/nor_model.c, built to
 * WebAssembly) on SPI0 and GP1 as its chip select, acts as the USB host (its own enumeration
 * and CDC-ACM control requests), and bridges the CDC data pipe to a TCP port on 127.0.0.1 so
 * that `chipdump -p serprog:tcp=...` and `flashrom -p serprog:ip=...` can drive the board.
 *
 *   node harness.js --elf FW.elf --wasm models.wasm --chipdb DIR --chip NAME
 *                   [--image IN.bin] [--save OUT.bin] [--port N] [--uid HEX16]
 *                   [--trace OUT.json] [--quiet]
 *
 * Prints "EMU READY port=N serial=S" once the device is enumerated and configured. SIGTERM or
 * SIGINT ends the run: the model finishes any program/erase in progress, --save gets the chip's
 * contents, --trace the USB and cycle statistics. Exit status: 0 clean; 3 the emulator warned
 * (unimplemented instruction, unmapped access, ...); 4 the firmware hit a breakpoint (fault
 * handler); 5 enumeration or a host-side check failed; 2 bad usage.
 */
'use strict';

const fs = require('fs');
const net = require('net');
const { RP2040 } = require('rp2040js');
const { UsbHost } = require('./usbhost.js');
const { loadElf, boot2Crc } = require('./image.js');
const { readChipRow } = require('./chiprow.js');

function parseArgs(argv) {
  const o = { port: 0, uid: '4A1B2C3D5E6F7081', quiet: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) die(2, `${a} needs a value`);
      return argv[++i];
    };
    if (a === '--elf') o.elf = val();
    else if (a === '--wasm') o.wasm = val();
    else if (a === '--chipdb') o.chipdb = val();
    else if (a === '--chip') o.chip = val();
    else if (a === '--image') o.image = val();
    else if (a === '--save') o.save = val();
    else if (a === '--port') o.port = Number(val());
    else if (a === '--uid') o.uid = val();
    else if (a === '--trace') o.trace = val();
    else if (a === '--quiet') o.quiet = true;
    else if (a === '--profile') o.profile = true;
    else die(2, `unknown argument ${a}`);
  }
  for (const k of ['elf', 'wasm', 'chipdb', 'chip'])
    if (!o[k]) die(2, `--${k} is required`);
  if (!/^[0-9A-Fa-f]{16}$/.test(o.uid)) die(2, '--uid needs 16 hex digits');
  return o;
}

let emu = null;

function die(code, msg) {
  process.stderr.write(`emu: ${msg}\n`);
  if (emu) emu.finish(code);
  else process.exit(code);
}

class Emulator {
  constructor(opts) {
    this.opts = opts;
    this.failed = 0;
    this.stats = {
      in_packets: 0, in_full: 0, in_short: 0, in_zlp: 0, in_bytes: 0, in_transfers: 0,
      out_packets: 0, out_bytes: 0, spi_bytes: 0, spi_bytes_deselected: 0, cs_cycles: 0,
      cs_held_after_disconnect: 0,
    };
    this.clients = 0;
  }

  /* ---- chip model (WebAssembly) ---- */
  async loadModel() {
    const { opts } = this;
    const row = readChipRow(opts.chipdb, opts.chip);
    this.row = row;
    const wasm = await WebAssembly.instantiate(fs.readFileSync(opts.wasm), {});
    const m = wasm.instance.exports;
    this.m = m;
    m.emu_row_reset();
    row.id.forEach((b, i) => m.emu_row_id(i, b));
    if (row.nand) {
      m.emu_row_nand(row.page, row.oob, row.pagesPerBlock, row.blocks, row.planes, row.dies,
        row.readId, row.eccBits, row.eccStep);
      m.emu_row_nand_timing(row.tRead[0], row.tRead[1], row.tProg[0], row.tProg[1],
        row.tEraseMs[0], row.tEraseMs[1]);
      const sb = m.emu_strbuf();
      const enc = Buffer.from(row.eccStatus + '\0', 'latin1');
      new Uint8Array(m.memory.buffer, sb, enc.length).set(enc);
      m.emu_row_nand_modes(row.cacheDummyFirst ? 1 : 0, row.dieSelect, row.contRead);
    } else {
      m.emu_row_geometry(row.size >>> 0, Math.floor(row.size / 2 ** 32), row.page, row.addr4,
        row.bpBits, row.hasTb ? 1 : 0, row.ppTypUs, row.ppMaxUs);
      for (const e of row.erase) m.emu_row_erase(e.opcode, e.opcode4, e.size, e.typMs, e.maxMs);
      m.emu_row_chip_erase(row.chipErase.opcode, row.chipErase.typMs, row.chipErase.maxMs);
    }
    const addr = m.emu_model_new(0);
    if (!addr) die(5, `the chip model rejected chip row ${row.name}`);
    this.arrayAddr = addr;
    this.arraySize = m.emu_array_size();
    if (opts.image) {
      const img = fs.readFileSync(opts.image);
      if (img.length > this.arraySize)
        die(2, `--image is ${img.length} bytes, ${row.name}'s array has ${this.arraySize}`);
      if (!row.nand && img.length !== this.arraySize)
        die(2, `--image is ${img.length} bytes, ${row.name} has ${this.arraySize}`);
      this.array.set(img); /* NAND: the first pages (page + OOB each); the rest stays erased */
    }
    this.modelNs = 0;
    this.selected = false;
  }

  /** The model's array (re-made if the wasm memory grew, which detaches old views). */
  get array() {
    if (!this.arrayView || this.arrayView.buffer !== this.m.memory.buffer)
      this.arrayView = new Uint8Array(this.m.memory.buffer, this.arrayAddr, this.arraySize);
    return this.arrayView;
  }

  modelCatchUp() {
    let d = this.mcu.clock.nanos - this.modelNs;
    while (d > 0) {
      const step = Math.min(d, 0xffffffff);
      this.m.emu_advance_ns(step);
      d -= step;
      this.modelNs += step;
    }
  }

  /* ---- the RP2040 ---- */
  boot() {
    const mcu = new RP2040();
    this.mcu = mcu;
    const self = this;
    mcu.logger = {
      debug() {},
      info() {},
      warn(component, message) { self.emuWarning(component, message); },
      error(component, message) { self.emuWarning(component, message); },
    };
    const img = loadElf(fs.readFileSync(this.opts.elf));
    for (const seg of img.flash) mcu.flash.set(seg.data, seg.addr - 0x10000000);
    this.symbols = img.symbols;

    /* What the bootrom checks and boot2 does on a real board (RP2040 datasheet 2.8.1) */
    const crc = boot2Crc(mcu.flash.subarray(0, 252));
    const stored = new DataView(mcu.flash.buffer, mcu.flash.byteOffset + 252, 4).getUint32(0, true);
    if (crc !== stored)
      die(5, `boot2 CRC mismatch: computed 0x${crc.toString(16)}, stored 0x${stored.toString(16)}`);
    const vt = new DataView(mcu.flash.buffer, mcu.flash.byteOffset + 0x100, 8);
    mcu.core.VTOR = 0x10000100;
    mcu.core.SP = vt.getUint32(0, true);
    mcu.core.PC = vt.getUint32(4, true) & ~1;
    /* boot2's unique-ID read (4Bh) lands in watchdog SCRATCH0..2; the emulated flash has no
     * 4Bh command, so the test's ID is put there the same way */
    const uid = this.opts.uid.toUpperCase();
    mcu.writeUint32(0x4005800c, 0x1d5ee1a1);
    mcu.writeUint32(0x40058010, parseInt(uid.slice(0, 8), 16) >>> 0);
    mcu.writeUint32(0x40058014, parseInt(uid.slice(8), 16) >>> 0);

    mcu.onBreak = (code) => {
      die(4, `firmware breakpoint 0x${code.toString(16)} at PC 0x${mcu.core.PC.toString(16)} ` +
        `(fault handler or main() returned)`);
    };

    /* chip select: GP1 driven by SIO */
    mcu.gpio[1].addListener((state) => {
      const low = state === 0; /* GPIOPinState.Low */
      if (low && !this.selected) {
        this.checkPins();
        this.modelCatchUp();
        this.m.emu_select();
        this.selected = true;
        this.stats.cs_cycles++;
      } else if (!low && this.selected) {
        this.modelCatchUp();
        this.m.emu_deselect();
        this.selected = false;
      }
    });

    /* Each frame completes 8 SCK periods after it left the TX FIFO, as on the wire: the DMA's
     * RX channel then drains the RX FIFO in step (an instant answer lets rp2040js's TX DMA
     * outrun RX and overflow it, which real hardware never does). */
    const spi = mcu.spi[0];
    let pending = 0;
    const alarm = mcu.clock.createAlarm(() => spi.completeTransmit(pending));
    spi.onTransmit = (v) => {
      pending = this.spiByte(v);
      alarm.schedule(8e9 / spi.clockFrequency);
    };

    this.csCheck = mcu.clock.createAlarm(() => {
      if (this.selected && !this.sock) this.stats.cs_held_after_disconnect++;
    });

    this.usb = new UsbHost(mcu, {
      onInPacket: (ep, data) => this.inPacket(ep, data),
      log: (s) => this.log(s),
      wake: () => this.wake(),
      fail: (s) => die(5, s),
    });
  }

  /** Cycles per function (code addresses only), largest first. */
  profileBySymbol() {
    const fns = Object.entries(this.symbols).filter(([, s]) => s.size && s.addr >= 0x10000000)
      .map(([name, s]) => [name, s.addr & ~1, s.size]).sort((a, b) => a[1] - b[1]);
    const out = {};
    for (const [name, addr, size] of fns) {
      let c = 0;
      for (let a = addr; a < addr + size; a += 2) c += this.prof[(a - 0x10000000) >> 1] || 0;
      if (c) out[name] = c;
    }
    return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
  }

  symbolAt(pc) {
    let best = '?', bestAddr = -1;
    for (const [name, s] of Object.entries(this.symbols))
      if ((s.addr & ~1) <= pc && (s.addr & ~1) > bestAddr && s.size) {
        best = name;
        bestAddr = s.addr & ~1;
      }
    return best;
  }

  checkPins() {
    /* rp2040js ignores the pin mux; check it here (datasheet 2.19.2: SPI0 = FUNCSEL 1) */
    const g = this.mcu.gpio;
    const want = [[1, 5, 'CS (SIO)'], [2, 1, 'SCK (SPI0)'], [3, 1, 'MOSI (SPI0 TX)'], [4, 1, 'MISO (SPI0 RX)']];
    for (const [pin, fn, what] of want)
      if (g[pin].functionSelect !== fn)
        die(5, `GP${pin} is FUNCSEL ${g[pin].functionSelect}, ${what} needs ${fn}`);
    if (!g[4].inputEnable) die(5, 'GP4 (MISO) pad input is disabled');
  }

  spiByte(v) {
    this.stats.spi_bytes++;
    if (!this.selected) { /* no chip selected: MISO floats high (pull-up) */
      this.stats.spi_bytes_deselected++;
      return 0xff;
    }
    this.modelCatchUp();
    return this.m.emu_xfer(v);
  }

  emuWarning(component, message) {
    this.failed = 3;
    process.stderr.write(`emu: rp2040js ${component}: ${message}\n`);
    this.finish(3);
  }

  log(s) {
    if (!this.opts.quiet) process.stderr.write(`emu: ${s}\n`);
  }

  /* ---- USB IN data -> TCP ---- */
  inPacket(ep, data) {
    if (ep !== this.usb.dataIn) return;
    const s = this.stats;
    s.in_packets++;
    s.in_bytes += data.length;
    if (data.length === 64) s.in_full++;
    else {
      s.in_transfers++;
      if (data.length === 0) s.in_zlp++;
      else s.in_short++;
    }
    if (this.sock && data.length) {
      if (!this.sock.write(Buffer.from(data))) {
        this.paused = true;
        this.sock.once('drain', () => { this.paused = false; this.wake(); });
      }
    }
  }

  /* ---- TCP server ---- */
  listen() {
    return new Promise((resolve) => {
      const srv = net.createServer((sock) => this.accept(sock));
      this.server = srv;
      srv.listen(this.opts.port, '127.0.0.1', () => resolve(srv.address().port));
    });
  }

  accept(sock) {
    /* one host at a time, like a tty: a new connection replaces one that is still closing */
    if (this.sock) {
      const old = this.sock;
      this.clientGone(old);
      old.destroy();
    }
    sock.setNoDelay(true);
    this.sock = sock;
    this.clients++;
    this.log(`client ${this.clients} connected`);
    if (this.prof) {
      this.prof.fill(0);
      this.sessionStart = { cycles: this.mcu.core.cycles, ns: this.mcu.clock.nanos };
      for (const k of Object.keys(this.stats)) this.stats[k] = 0;
    }
    this.usb.setLineState(true);
    sock.on('data', (buf) => {
      if (this.sock !== sock) return;
      this.usb.queueOut(buf);
      this.wake();
    });
    sock.on('close', () => this.clientGone(sock));
    sock.on('error', () => this.clientGone(sock));
    this.wake();
  }

  clientGone(sock) {
    if (this.sock !== sock) return;
    this.sock = null;
    this.csCheck.schedule(20e6); /* chip select must be high 20 ms after the host left */
    this.usb.dropOut();
    this.usb.setLineState(false); /* the port closed: DTR drops */
    this.log(`client ${this.clients} disconnected`);
    this.wake();
  }

  /* ---- run loop ---- */
  wake() {
    if (this.sleeper) {
      const r = this.sleeper;
      this.sleeper = null;
      r();
    }
  }

  async run() {
    const { mcu } = this;
    const { core, clock } = mcu;
    this.running = true;
    /* --profile: cycles per halfword of code, summed per function symbol at the end */
    const profEnd = 0x10000000 + 256 * 1024;
    const prof = this.opts.profile ? (this.prof = new Float64Array(128 * 1024)) : null;
    while (this.running) {
      /* a slice of emulation, then let Node handle sockets and timers */
      const sliceEnd = core.cycles + 2000000;
      while (core.cycles < sliceEnd && this.running) {
        if (core.waiting) {
          const dt = clock.nanosToNextAlarm;
          if (dt <= 0 || !Number.isFinite(dt)) break;
          clock.tick(dt);
          continue;
        }
        const pc = core.PC;
        const cycles = core.executeInstruction();
        if (prof && pc >= 0x10000000 && pc < profEnd) prof[(pc - 0x10000000) >> 1] += cycles;
        clock.tick(cycles * 1e9 / mcu.clkSys);
      }
      if (!this.running) break;
      if (process.env.EMU_DEBUG === '2') {
        const ch = mcu.dma.channels.slice(0, 2).map((c) => `ctrl=${c.ctrl.toString(16)} rd=${c.readAddr.toString(16)} ` +
          `wr=${c.writeAddr.toString(16)} n=${c.transCount} treq=${c.treqValue}`);
        this.log(`dma: ${ch.join(' | ')} dreq16=${mcu.dma.dreq[16]} dreq17=${mcu.dma.dreq[17]} ` +
          `rxfifo=${mcu.spi[0].rxFIFO.itemCount} txfifo=${mcu.spi[0].txFIFO.itemCount} busy=${mcu.spi[0].busy}`);
      }
      if (process.env.EMU_DEBUG)
        this.log(`slice: pc=0x${core.PC.toString(16)} (${this.symbolAt(core.PC)}) ` +
          `cycles=${core.cycles} waiting=${core.waiting} next=${clock.nanosToNextAlarm}`);
      if (core.waiting && !this.usb.pendingWork() && clock.nanosToNextAlarm <= 0) {
        /* WFI with nothing scheduled: the firmware waits for the host */
        await new Promise((r) => { this.sleeper = r; });
      } else if (this.paused) {
        await new Promise((r) => { this.sleeper = r; });
      } else {
        await new Promise((r) => setImmediate(r));
      }
      this.usb.service();
    }
  }

  finish(code) {
    if (this.finished) return;
    this.finished = true;
    this.running = false;
    try {
      if (this.m) {
        this.m.emu_model_destroy();
        if (this.opts.save) fs.writeFileSync(this.opts.save, this.array);
      }
      if (this.opts.trace) {
        const t = Object.assign({}, this.stats, {
          cycles: this.mcu ? this.mcu.core.cycles - (this.sessionStart ? this.sessionStart.cycles : 0) : 0,
          emulated_ns: this.mcu ? this.mcu.clock.nanos - (this.sessionStart ? this.sessionStart.ns : 0) : 0,
          model: this.m && this.row.nand ? {
            page_reads: this.m.emu_nand_stats(0), page_programs: this.m.emu_nand_stats(1),
            block_erases: this.m.emu_nand_stats(2), ignored_no_wel: this.m.emu_nand_stats(3),
            ignored_busy: this.m.emu_nand_stats(4), locked_rejects: this.m.emu_nand_stats(5),
            bad_block_erases: this.m.emu_nand_stats(6), bad_block_programs: this.m.emu_nand_stats(7),
            double_programs: this.m.emu_nand_stats(8), blank_programs_ecc: this.m.emu_nand_stats(9),
            plane_mismatches: this.m.emu_nand_stats(10), cont_reads: this.m.emu_nand_stats(11),
          } : this.m ? {
            page_programs: this.m.emu_stats(0), erases_4k: this.m.emu_stats(1),
            erases_32k: this.m.emu_stats(2), erases_64k: this.m.emu_stats(3),
            chip_erases: this.m.emu_stats(4), ignored_no_wel: this.m.emu_stats(5),
            ignored_busy: this.m.emu_stats(6), ignored_protect: this.m.emu_stats(7),
          } : null,
          exit: code,
        });
        if (this.prof) t.profile = this.profileBySymbol();
        fs.writeFileSync(this.opts.trace, JSON.stringify(t, null, 1) + '\n');
      }
    } catch (e) {
      process.stderr.write(`emu: while finishing: ${e.message}\n`);
      code = code || 5;
    }
    if (this.sock) this.sock.destroy();
    if (this.server) this.server.close();
    process.exit(code);
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  emu = new Emulator(opts);
  process.on('SIGTERM', () => emu.finish(emu.failed));
  process.on('SIGINT', () => emu.finish(emu.failed));
  await emu.loadModel();
  emu.boot();
  const runner = emu.run();
  /* keeps Node alive while the emulation sleeps waiting for the host, and bounds enumeration */
  const t0 = Date.now();
  const guard = setInterval(() => {
    if (!emu.ready && Date.now() - t0 > 60000) die(5, 'enumeration did not finish in 60 s');
  }, 1000);
  const dev = await emu.usb.enumerate();
  emu.ready = true;
  if (dev.serial !== opts.uid.toUpperCase())
    die(5, `serial number "${dev.serial}" is not the flash unique ID ${opts.uid.toUpperCase()}`);
  emu.log(`enumerated ${dev.vid.toString(16).padStart(4, '0')}:${dev.pid.toString(16).padStart(4, '0')} ` +
    `"${dev.manufacturer}" "${dev.product}" serial ${dev.serial}`);
  const port = await emu.listen();
  process.stdout.write(`EMU READY port=${port} serial=${dev.serial} chip=${emu.row.name}\n`);
  await runner;
  clearInterval(guard);
}

main().catch((e) => die(5, e.stack || String(e)));

module.exports = { Emulator };
