/*
 * A small USB host for rp2040js's device-mode controller: control transfers with data stages
 * in both directions (status stages included), a Linux-like enumeration that checks what it
 * reads, CDC-ACM line coding and line state, and the bulk pipes of the CDC data interface.
 *
 * rp2040js hooks (see emulator.md): onUSBEnabled -> resetDevice(); onResetReceived -> SETUPs
 * may follow; sendSetupPacket(); onEndpointWrite(ep, data) for IN packets; onEndpointRead(ep,
 * maxLen) when the device arms an OUT buffer, answered with endpointReadDone(ep, data).
 */
'use strict';

const EP0_SIZE = 64;

function setup(bmRequestType, bRequest, wValue, wIndex, wLength) {
  return new Uint8Array([bmRequestType, bRequest, wValue & 0xff, wValue >> 8,
    wIndex & 0xff, wIndex >> 8, wLength & 0xff, wLength >> 8]);
}

class UsbHost {
  constructor(mcu, hooks) {
    this.mcu = mcu;
    this.usb = mcu.usbCtrl;
    this.hooks = hooks;
    this.ctl = null;           /* the control transfer in progress */
    this.ctlChain = Promise.resolve();
    this.ep0OutArmed = 0;      /* max length of an armed EP0 OUT buffer, 0 = none */
    this.outArmed = new Map(); /* ep -> max length of an armed bulk OUT buffer */
    this.outBuf = Buffer.alloc(0);
    this.dataIn = -1;
    this.dataOut = -1;
    this.resetSeen = new Promise((r) => { this.resetResolve = r; });

    this.usb.onUSBEnabled = () => this.usb.resetDevice();
    this.usb.onResetReceived = () => this.resetResolve();
    this.usb.onEndpointWrite = (ep, data) => {
      if (ep === 0) this.ep0In(data);
      else hooks.onInPacket(ep, data);
    };
    this.usb.onEndpointRead = (ep, maxLen) => {
      if (ep === 0) {
        if (process.env.EMU_DEBUG) this.hooks.log(`EP0 OUT armed ${maxLen}`);
        this.ep0OutArmed = maxLen || EP0_SIZE;
        this.pumpEp0();
      } else {
        this.outArmed.set(ep, maxLen);
        this.pumpOut(ep);
      }
    };
  }

  /* ---- control transfers ---- */

  /** Queue a control transfer; resolves to { data, stall }. */
  control(setupBytes, outData) {
    const run = () => new Promise((resolve) => {
      const wLength = setupBytes[6] | (setupBytes[7] << 8);
      this.ctl = {
        in: (setupBytes[0] & 0x80) !== 0, wLength, resolve,
        stage: wLength ? 'data' : 'status', got: [], out: outData ? Buffer.from(outData) : null,
        started: this.mcu.clock.nanos,
      };
      this.ep0OutArmed = 0;
      if (process.env.EMU_DEBUG) this.hooks.log(`SETUP ${Buffer.from(setupBytes).toString('hex')}`);
      /* hardware clears EP_STALL_ARM when a SETUP arrives (datasheet 4.1.2.7); rp2040js does
       * not, so do it here or a stale STALL would look like an answer to this request */
      this.mcu.writeUint32(0x50110068, 0);
      this.usb.sendSetupPacket(setupBytes);
      this.hooks.wake(); /* the emulation may be asleep in WFI */
    });
    const p = this.ctlChain.then(run);
    this.ctlChain = p.catch(() => {});
    return p;
  }

  ep0In(data) {
    const c = this.ctl;
    if (process.env.EMU_DEBUG) this.hooks.log(`EP0 IN ${data.length} stage=${c && c.stage}`);
    if (!c) return this.hooks.fail(`EP0 IN packet (${data.length} bytes) with no control transfer`);
    if (c.in && c.stage === 'data') {
      if (data.length > EP0_SIZE) return this.hooks.fail(`EP0 IN packet of ${data.length} bytes`);
      c.got.push(...data);
      if (data.length < EP0_SIZE || c.got.length >= c.wLength) {
        if (c.got.length > c.wLength)
          return this.hooks.fail(`device sent ${c.got.length} bytes for wLength ${c.wLength}`);
        c.stage = 'status'; /* host sends a zero-length OUT */
        this.pumpEp0();
      }
    } else if (!c.in || c.stage === 'status') {
      if (data.length !== 0) return this.hooks.fail(`status stage IN with ${data.length} bytes`);
      this.done({ data: new Uint8Array(0), stall: false });
    }
  }

  pumpEp0() {
    const c = this.ctl;
    if (!c || !this.ep0OutArmed) return;
    if (c.in && c.stage === 'status') {
      this.ep0OutArmed = 0;
      this.usb.endpointReadDone(0, new Uint8Array(0));
      this.done({ data: Uint8Array.from(c.got), stall: false });
    } else if (!c.in && c.stage === 'data') {
      const chunk = c.out.subarray(0, Math.min(EP0_SIZE, this.ep0OutArmed));
      c.out = c.out.subarray(chunk.length);
      this.ep0OutArmed = 0;
      this.usb.endpointReadDone(0, Uint8Array.from(chunk));
      if (!c.out.length) c.stage = 'status'; /* device answers with a zero-length IN */
    }
  }

  done(result) {
    const c = this.ctl;
    this.ctl = null;
    c.resolve(result);
  }

  /** Called between emulation slices: notice a STALLed control request, or a stuck one. */
  service() {
    const c = this.ctl;
    if (!c) return;
    const dp = this.mcu.usbDPRAMView;
    const stalled = (dp.getUint32(0x80, true) | dp.getUint32(0x84, true)) & (1 << 11);
    const armed = this.mcu.readUint32(0x50110068) & 3; /* EP_STALL_ARM, EP0 IN/OUT */
    if (stalled && armed) {
      this.done({ data: new Uint8Array(0), stall: true });
      return;
    }
    if (this.mcu.clock.nanos - c.started > 50e6)
      this.hooks.fail(`control request ${c.in ? 'IN' : 'OUT'} got no answer in 50 ms`);
  }

  async getDescriptor(type, index, wLength, langid = 0) {
    const r = await this.control(setup(0x80, 6, (type << 8) | index, langid, wLength));
    if (r.stall) throw new Error(`GET_DESCRIPTOR(${type}, ${index}) stalled`);
    return r.data;
  }

  async getString(index, langid) {
    const d = await this.getDescriptor(3, index, 255, langid);
    if (d[1] !== 3 || d[0] !== d.length) throw new Error(`string ${index}: bad descriptor`);
    let s = '';
    for (let i = 2; i + 1 < d.length; i += 2) s += String.fromCharCode(d[i] | (d[i + 1] << 8));
    return s;
  }

  /** Linux-like enumeration; throws on anything a host would reject. */
  async enumerate() {
    await this.resetSeen;
    const fail = (m) => { throw new Error(`enumeration: ${m}`); };
    let d = await this.getDescriptor(1, 0, 64);
    if (d.length !== 18 || d[0] !== 18 || d[1] !== 1) fail('device descriptor is not 18 bytes');
    if (d[7] !== EP0_SIZE) fail(`bMaxPacketSize0 ${d[7]}`);
    const address = 7;
    const r = await this.control(setup(0x00, 5, address, 0, 0));
    if (r.stall) fail('SET_ADDRESS stalled');
    if ((this.mcu.readUint32(0x50110000) & 0x7f) !== address)
      fail('ADDR_ENDP does not hold the new address after the status stage');
    d = await this.getDescriptor(1, 0, 18);
    const dev = {
      bcdUSB: d[2] | (d[3] << 8), vid: d[8] | (d[9] << 8), pid: d[10] | (d[11] << 8),
      iManufacturer: d[14], iProduct: d[15], iSerial: d[16], nConfig: d[17],
    };
    if (dev.nConfig !== 1) fail(`${dev.nConfig} configurations`);
    const head = await this.getDescriptor(2, 0, 9);
    const total = head[2] | (head[3] << 8);
    const cfg = await this.getDescriptor(2, 0, total);
    if (cfg.length !== total) fail(`configuration is ${cfg.length} bytes, wTotalLength ${total}`);
    this.parseConfig(cfg, fail);
    const langs = await this.getDescriptor(3, 0, 255);
    if (langs.length < 4 || (langs[2] | (langs[3] << 8)) !== 0x0409) fail('no English string table');
    dev.manufacturer = await this.getString(dev.iManufacturer, 0x0409);
    dev.product = await this.getString(dev.iProduct, 0x0409);
    dev.serial = await this.getString(dev.iSerial, 0x0409);
    /* a full-speed-only device must STALL DEVICE_QUALIFIER (USB 2.0 9.6.2) */
    const q = await this.control(setup(0x80, 6, 6 << 8, 0, 10));
    if (!q.stall) fail('DEVICE_QUALIFIER did not stall');
    const sc = await this.control(setup(0x00, 9, this.configValue, 0, 0));
    if (sc.stall) fail('SET_CONFIGURATION stalled');
    const cv = await this.control(setup(0x80, 8, 0, 0, 1));
    if (cv.data[0] !== this.configValue) fail('GET_CONFIGURATION does not report it');
    /* CDC-ACM: 115200 8N1 as Linux sets on open, read back */
    const lc = Uint8Array.from([0x00, 0xc2, 0x01, 0x00, 0, 0, 8]);
    const sl = await this.control(setup(0x21, 0x20, 0, this.commIf, 7), lc);
    if (sl.stall) fail('SET_LINE_CODING stalled');
    const gl = await this.control(setup(0xa1, 0x21, 0, this.commIf, 7));
    if (Buffer.compare(Buffer.from(gl.data), Buffer.from(lc)) !== 0) fail('GET_LINE_CODING differs');
    this.dev = dev;
    return dev;
  }

  parseConfig(cfg, fail) {
    this.configValue = cfg[5];
    let intf = null;
    for (let i = 0; i < cfg.length; i += cfg[i]) {
      if (cfg[i] < 2) fail('zero-length descriptor');
      const type = cfg[i + 1];
      if (type === 4) intf = { num: cfg[i + 2], cls: cfg[i + 5], sub: cfg[i + 6] };
      if (type === 4 && intf.cls === 2 && intf.sub === 2) this.commIf = intf.num;
      if (type === 5 && intf && intf.cls === 0x0a) {
        const ep = cfg[i + 2], attr = cfg[i + 3], mps = cfg[i + 4] | (cfg[i + 5] << 8);
        if ((attr & 3) !== 2) fail(`data endpoint 0x${ep.toString(16)} is not bulk`);
        if (mps !== 64) fail(`bulk endpoint 0x${ep.toString(16)} wMaxPacketSize ${mps}`);
        if (ep & 0x80) this.dataIn = ep & 0x0f;
        else this.dataOut = ep;
      }
    }
    if (this.commIf === undefined) fail('no CDC-ACM communications interface');
    if (this.dataIn < 0 || this.dataOut < 0) fail('no CDC data interface with bulk IN + OUT');
  }

  /** SET_CONTROL_LINE_STATE: DTR + RTS on open, both off on close (what a tty does). */
  setLineState(open) {
    return this.control(setup(0x21, 0x22, open ? 3 : 0, this.commIf, 0)).then((r) => {
      if (r.stall) this.hooks.fail('SET_CONTROL_LINE_STATE stalled');
    });
  }

  /* ---- bulk OUT ---- */

  queueOut(buf) {
    this.outBuf = this.outBuf.length ? Buffer.concat([this.outBuf, buf]) : Buffer.from(buf);
    this.pumpOut(this.dataOut);
  }

  dropOut() {
    this.outBuf = Buffer.alloc(0);
  }

  pumpOut(ep) {
    const max = this.outArmed.get(ep);
    if (!max || !this.outBuf.length) return;
    const chunk = this.outBuf.subarray(0, Math.min(max, 64));
    this.outBuf = this.outBuf.subarray(chunk.length);
    this.outArmed.delete(ep);
    this.usb.endpointReadDone(ep, Uint8Array.from(chunk));
  }

  /** Anything the host could hand the device right now. */
  pendingWork() {
    return this.ctl !== null || (this.outBuf.length > 0 && this.outArmed.has(this.dataOut));
  }
}

module.exports = { UsbHost, setup };
