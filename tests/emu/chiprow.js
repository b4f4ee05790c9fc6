/*
 * Reads one SPI-NOR row of the chip database (chipdb/*.ini, format in docs/chipdb.md) so the
 * chip model gets exactly the part chipdump and flashrom will see. Only the fields the NOR
 * model uses; defaults as docs/chipdb.md states them.
 */
'use strict';
const fs = require('fs');
const path = require('path');

function parseSize(s) {
  const m = /^(\d+)([KMG]?)$/i.exec(s.trim());
  if (!m) throw new Error(`bad size ${s}`);
  return Number(m[1]) * { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 }[m[2].toUpperCase()];
}

function parseTime(s) { /* "45/400ms" -> [typ, max] in the unit given, converted by caller */
  const m = /^([\d.]+)\/([\d.]+)(us|ms|s)$/.exec(s.trim());
  if (!m) throw new Error(`bad time ${s}`);
  const f = { us: 1e-3, ms: 1, s: 1000 }[m[3]];
  return [Number(m[1]) * f, Number(m[2]) * f]; /* milliseconds */
}

function readRows(dir) {
  const rows = {};
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.ini')).sort()) {
    let cur = null;
    for (let line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      line = line.replace(/\s[;#].*$/, '').replace(/^[;#].*$/, '').trim();
      if (!line) continue;
      const sec = /^\[(.+)\]$/.exec(line);
      if (sec) {
        cur = {};
        rows[sec[1].toUpperCase()] = Object.assign(cur, { name: sec[1] });
        continue;
      }
      const kv = /^([a-z0-9_]+)\s*=\s*(.*)$/.exec(line);
      if (kv && cur) cur[kv[1]] = kv[2].trim();
    }
  }
  return rows;
}

function readChipRow(dir, name) {
  const rows = readRows(dir);
  const r = rows[name.toUpperCase()];
  if (!r) throw new Error(`chip ${name} is not in ${dir}`);
  if (r.type === 'nand') return nandRow(r);
  if ((r.type || 'nor') !== 'nor') throw new Error(`${name}: unknown type ${r.type}`);
  const size = parseSize(r.size);
  const page = r.page ? parseSize(r.page) : 256;
  const times = {};
  for (const t of (r.t_erase || '').split(/\s+/).filter(Boolean)) {
    const [k, v] = t.split(':');
    times[k.toUpperCase()] = parseTime(v);
  }
  const mib = size / (1024 * 1024);
  const dflt = { '4K': [50, 400], '32K': [150, 1600], '64K': [200, 2000] };
  const e4 = {};
  for (const t of (r.erase4 || '').split(/\s+/).filter(Boolean)) {
    const [k, op] = t.split(':');
    e4[k.toUpperCase()] = parseInt(op, 16);
  }
  const erase = r.erase.split(/\s+/).map((t) => {
    const [k, op] = t.split(':');
    const key = k.toUpperCase();
    const [typ, max] = times[key] || dflt[key] || [200, 2000];
    return { size: parseSize(k), opcode: parseInt(op, 16), opcode4: e4[key] || 0,
      typMs: Math.round(typ), maxMs: Math.round(max) };
  });
  const ce = times.CHIP || [1000 * mib, 5000 * mib];
  const chipOp = !r.chip_erase ? 0xc7 : r.chip_erase === 'none' ? 0 : parseInt(r.chip_erase, 16);
  const [ppTyp, ppMax] = r.t_program ? parseTime(r.t_program) : [0.7, 5];
  const prot = (r.protect || 'bp3').toLowerCase();
  const bpBits = prot === 'none' ? 0 : Number(/bp(\d)/.exec(prot)[1]);
  const a4 = (r.addr4 || '').split(/\s+/);
  const addr4 = (a4.includes('mode') ? 1 : 0) | (a4.includes('opcodes') ? 2 : 0) |
    (a4.includes('only') ? 4 : 0);
  return {
    name: r.name, size, page, erase, addr4, bpBits, hasTb: prot.endsWith('-tb'),
    id: r.id.split(/\s+/).map((b) => parseInt(b, 16)),
    chipErase: { opcode: chipOp, typMs: Math.round(ce[0]), maxMs: Math.round(ce[1]) },
    ppTypUs: Math.round(ppTyp * 1000), ppMaxUs: Math.round(ppMax * 1000),
  };
}

/* SPI-NAND fields and defaults (docs/chipdb.md "SPI-NAND fields") */
function nandRow(r) {
  const us = (s, d) => (s ? parseTime(s).map((v) => Math.round(v * 1000)) : d);
  const [eccBits, eccStep] = (r.ecc || '0/512').split('/').map(Number);
  const erase = r.t_erase ? parseTime(r.t_erase.replace(/^block:/, '')) : [3, 10];
  const row = {
    name: r.name, nand: true,
    id: r.id.split(/\s+/).map((b) => parseInt(b, 16)),
    readId: { opcode: 0, addr: 1, dummy: 2 }[r.read_id || 'opcode'],
    page: parseSize(r.page), oob: Number(r.oob), pagesPerBlock: Number(r.pages_per_block),
    blocks: Number(r.blocks), planes: Number(r.planes || 1), dies: Number(r.dies || 1),
    eccBits, eccStep, eccStatus: r.ecc_status || 'generic',
    tRead: us(r.t_read, [25, 100]), tProg: us(r.t_program, [300, 900]),
    tEraseMs: erase.map(Math.round),
    cacheDummyFirst: (r.cache_dummy || 'after') === 'before',
    dieSelect: { c2: 1, d0: 2 }[r.die_select] || 0,
    contRead: { buf: 1, cr: 2 }[r.cont_read] || 0,
  };
  row.size = row.page * row.pagesPerBlock * row.blocks * row.dies;
  row.rawSize = (row.page + row.oob) * row.pagesPerBlock * row.blocks * row.dies;
  return row;
}

module.exports = { readChipRow };
