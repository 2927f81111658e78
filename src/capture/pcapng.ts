/**
 * pcapng reader (draft-ietf-opsawg-pcapng): a file is one or more sections, each opened by a
 * Section Header Block that fixes the byte order of the section; each section declares its
 * interfaces (Interface Description Blocks, with their LinkType, snaplen, `if_tsresol` (option
 * 9, power of 10 or of 2) and `if_tsoffset` (option 14, seconds)). Packets come in Enhanced
 * (type 6), Simple (3, interface 0, no timestamp) and obsolete Packet Blocks (2). Decryption
 * Secrets Blocks (0x0A) go to `sink.secrets`. Every other block is skipped by its length.
 *
 * Frames are numbered 1.. over EPB/SPB/OPB across all sections (Wireshark's frame.number).
 * A block with an impossible length (not a multiple of 4, < 12, > 16 MiB, or trailing length
 * not matching) means the file cannot be followed any further: a warning, then stop.
 */
import type { ContainerReader, ContainerSink } from './types.ts';
import { emptyPacketRecord, RecordStream, TWO_POW_32, hexBytes } from './bytes.ts';

export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
/** Largest block believed (Wireshark uses the same bound). */
const MAX_BLOCK = 16 * 1024 * 1024;

const BT_IDB = 1;
const BT_OPB = 2;
const BT_SPB = 3;
const BT_EPB = 6;
const BT_DSB = 0x0a;

interface Interface {
  linkType: number;
  snaplen: number;
  /** 0: µs; 1: multiply by `factor`; 2: divide by integer `factor` exactly; 3: `factor` = 2^n units per second; 4: float scale. */
  mode: 0 | 1 | 2 | 3 | 4;
  factor: number;
  offsetUs: number;
}

export class PcapngReader extends RecordStream implements ContainerReader {
  readonly format = 'pcapng' as const;
  private le = true;
  private inSection = false;
  private ifaces: Interface[] = [];
  private readonly seenLinkTypes: number[] = [];
  private frame = 0;
  private lastTimeUs = 0;
  private warnedIface = new Set<number>();
  /** Reused for every packet (valid only during the sink callback). */
  private readonly rec = emptyPacketRecord();

  constructor(private readonly sink: ContainerSink) {
    super();
  }

  linkTypes(): number[] {
    return this.seenLinkTypes.slice();
  }

  get frames(): number {
    return this.frame;
  }

  /** Block length at buf[start], or 0 after a warning-and-stop. Needs 12 bytes available. */
  private blockLength(buf: Uint8Array, view: DataView, start: number, fileOffset: number): number {
    const type = view.getUint32(start, this.le);
    if (type === PCAPNG_SHB) {
      const bom = view.getUint32(start + 8, true);
      if (bom === BYTE_ORDER_MAGIC) this.le = true;
      else if (view.getUint32(start + 8, false) === BYTE_ORDER_MAGIC) this.le = false;
      else return this.fail(fileOffset, `section header at offset ${fileOffset} has an unknown byte-order magic ${hexBytes(buf.subarray(start + 8, start + 12))}`);
    } else if (!this.inSection) {
      return this.fail(fileOffset, `not a pcapng file: it starts with ${hexBytes(buf.subarray(start, start + 4))} instead of a section header`);
    }
    const len = view.getUint32(start + 4, this.le);
    if (len < 12 || len % 4 !== 0 || len > MAX_BLOCK) {
      return this.fail(fileOffset, `block ${blockName(type)} at offset ${fileOffset} claims a length of ${len} bytes; the rest of the file cannot be read reliably`);
    }
    return len;
  }

  private fail(offset: number, message: string): number {
    this.stopped = true;
    this.sink.warning({ frame: this.frame > 0 ? this.frame : undefined, offset, message });
    return 0;
  }

  protected need(buf: Uint8Array, view: DataView, start: number, avail: number): number {
    if (avail < 12) return 12;
    return this.blockLength(buf, view, start, this.consumed);
  }

  protected walk(buf: Uint8Array, view: DataView, start: number, end: number, fileOffset: number): number {
    let p = start;
    const base = fileOffset - start;
    const rec = this.rec;
    while (end - p >= 12) {
      // Fast path: a well-formed EPB of a known interface (the bulk of any capture).
      if (this.inSection) {
        const le = this.le;
        const len = view.getUint32(p + 4, le);
        if (view.getUint32(p, le) === BT_EPB && len >= 32 && (len & 3) === 0 && len <= MAX_BLOCK) {
          if (end - p < len) break;
          const caplen = view.getUint32(p + 20, le);
          const ifc = this.ifaces[view.getUint32(p + 8, le)];
          if (caplen <= len - 32 && ifc !== undefined && view.getUint32(p + len - 4, le) === len) {
            rec.frame = ++this.frame;
            rec.timeUs = this.lastTimeUs = toMicros(ifc, view.getUint32(p + 12, le), view.getUint32(p + 16, le));
            rec.linkType = ifc.linkType;
            rec.buf = buf;
            rec.start = p + 28;
            rec.end = p + 28 + caplen;
            rec.origLen = view.getUint32(p + 24, le);
            rec.fileOffset = base + p;
            rec.dataOffset = base + p + 28;
            rec.interfaceId = view.getUint32(p + 8, le);
            this.sink.packet(rec);
            p += len;
            continue;
          }
        }
      }
      const len = this.blockLength(buf, view, p, base + p);
      if (len === 0) return p;
      if (end - p < len) break;
      const le = this.le;
      if (view.getUint32(p + len - 4, le) !== len) {
        this.fail(base + p, `block ${blockName(view.getUint32(p, le))} at offset ${base + p}: its trailing length ${view.getUint32(p + len - 4, le)} does not match its leading length ${len}; the rest of the file cannot be read reliably`);
        return p;
      }
      this.block(buf, view, p, len, base + p);
      if (this.stopped) return p;
      p += len;
    }
    return p;
  }

  private block(buf: Uint8Array, view: DataView, p: number, len: number, off: number): void {
    const le = this.le;
    const type = view.getUint32(p, le);
    switch (type) {
      case BT_EPB:
      case BT_OPB: {
        if (len < 32) {
          this.packetBad(off, `${blockName(type)} at offset ${off} is too short (${len} bytes)`);
          return;
        }
        const iface = type === BT_EPB ? view.getUint32(p + 8, le) : view.getUint16(p + 8, le);
        let caplen = view.getUint32(p + 20, le);
        const origLen = view.getUint32(p + 24, le);
        const room = len - 32;
        const frame = ++this.frame;
        if (caplen > room) {
          this.sink.warning({ frame, offset: off, message: `packet block of frame ${frame} at offset ${off} claims ${caplen} captured bytes but holds at most ${room}; reading ${room}` });
          caplen = room;
        }
        const ifc = this.ifaces[iface];
        if (ifc === undefined) {
          this.unknownIface(iface, frame, off);
          return;
        }
        const timeUs = toMicros(ifc, view.getUint32(p + 12, le), view.getUint32(p + 16, le));
        this.emit(frame, timeUs, ifc.linkType, buf.subarray(p + 28, p + 28 + caplen), origLen, off, iface, off + 28);
        return;
      }
      case BT_SPB: {
        if (len < 16) {
          this.packetBad(off, `simple packet block at offset ${off} is too short (${len} bytes)`);
          return;
        }
        const frame = ++this.frame;
        const origLen = view.getUint32(p + 8, le);
        const ifc = this.ifaces[0];
        if (ifc === undefined) {
          this.unknownIface(0, frame, off);
          return;
        }
        let caplen = Math.min(origLen, len - 16);
        if (ifc.snaplen > 0) caplen = Math.min(caplen, ifc.snaplen);
        // An SPB has no timestamp: it gets the time of the packet before it.
        this.emit(frame, this.lastTimeUs, ifc.linkType, buf.subarray(p + 12, p + 12 + caplen), origLen, off, 0, off + 12);
        return;
      }
      case PCAPNG_SHB: {
        const major = view.getUint16(p + 12, le);
        if (major !== 1) {
          this.fail(off, `section header at offset ${off} has version ${major}.${view.getUint16(p + 14, le)}, which this reader does not know; stopping`);
          return;
        }
        this.inSection = true;
        this.ifaces = [];
        return;
      }
      case BT_IDB: {
        if (len < 20) {
          this.sink.warning({ offset: off, message: `interface description block at offset ${off} is too short (${len} bytes); interface ignored` });
          this.ifaces.push({ linkType: -1, snaplen: 0, mode: 0, factor: 1, offsetUs: 0 });
          return;
        }
        const linkType = view.getUint16(p + 8, le);
        const snaplen = view.getUint32(p + 12, le);
        const ifc: Interface = { linkType, snaplen, mode: 0, factor: 1, offsetUs: 0 };
        let q = p + 16;
        const end = p + len - 4;
        while (end - q >= 4) {
          const code = view.getUint16(q, le);
          const olen = view.getUint16(q + 2, le);
          if (code === 0) break;
          if (q + 4 + olen > end) break;
          if (code === 9 && olen >= 1) setResolution(ifc, buf[q + 4] ?? 6);
          else if (code === 14 && olen >= 8) ifc.offsetUs = Number(view.getBigInt64(q + 4, le)) * 1e6;
          q += 4 + ((olen + 3) & ~3);
        }
        this.ifaces.push(ifc);
        if (!this.seenLinkTypes.includes(linkType)) this.seenLinkTypes.push(linkType);
        return;
      }
      case BT_DSB: {
        if (len < 20) return;
        const secretsType = view.getUint32(p + 8, le);
        const slen = view.getUint32(p + 12, le);
        if (slen > len - 20) {
          this.sink.warning({ offset: off, message: `decryption secrets block at offset ${off} claims ${slen} bytes of secrets but holds ${len - 20}; ignored` });
          return;
        }
        this.sink.secrets?.(secretsType, buf.subarray(p + 16, p + 16 + slen));
        return;
      }
      default:
        return; // NRB, ISB, custom and unknown blocks: skipped by their length
    }
  }

  private emit(frame: number, timeUs: number, linkType: number, data: Uint8Array, origLen: number, off: number, iface: number, dataOff: number): void {
    const rec = this.rec;
    rec.frame = frame;
    rec.timeUs = timeUs;
    this.lastTimeUs = timeUs;
    rec.linkType = linkType;
    rec.data = data;
    rec.origLen = origLen;
    rec.fileOffset = off;
    rec.dataOffset = dataOff;
    rec.interfaceId = iface;
    this.sink.packet(rec);
  }

  private packetBad(off: number, message: string): void {
    const frame = ++this.frame;
    this.sink.warning({ frame, offset: off, message: `${message}; skipped` });
  }

  private unknownIface(iface: number, frame: number, off: number): void {
    if (this.warnedIface.has(iface)) return;
    this.warnedIface.add(iface);
    this.sink.warning({ frame, offset: off, message: `frame ${frame} at offset ${off} refers to interface ${iface}, which the section never described; such packets are skipped` });
  }

  protected incomplete(have: number, needed: number, fileOffset: number): void {
    const frame = this.frame + 1;
    this.sink.warning({
      frame: this.inSection ? frame : undefined,
      offset: fileOffset,
      message: have < 12
        ? `the file ends inside a block header at offset ${fileOffset} (${have} of 12 bytes)`
        : `the block at offset ${fileOffset} is cut short: the file ends after ${have} of its ${needed} bytes`,
    });
  }
}

function blockName(type: number): string {
  switch (type) {
    case PCAPNG_SHB: return 'section header';
    case BT_IDB: return 'interface description';
    case BT_OPB: return 'packet (obsolete)';
    case BT_SPB: return 'simple packet';
    case BT_EPB: return 'enhanced packet';
    case BT_DSB: return 'decryption secrets';
    default: return `type 0x${type.toString(16)}`;
  }
}

function setResolution(ifc: Interface, v: number): void {
  const exp = v & 0x7f;
  if (v & 0x80) {
    // 2^-exp seconds per unit.
    ifc.mode = 3;
    ifc.factor = 2 ** exp;
  } else if (exp === 6) {
    ifc.mode = 0;
  } else if (exp < 6) {
    ifc.mode = 1;
    ifc.factor = 10 ** (6 - exp);
  } else if (exp <= 12) {
    ifc.mode = 2;
    ifc.factor = 10 ** (exp - 6);
  } else {
    ifc.mode = 4;
    ifc.factor = 10 ** (6 - exp);
  }
}

/** 64-bit timestamp (high, low) in the interface's units → µs since the epoch, sub-µs dropped. */
function toMicros(ifc: Interface, high: number, low: number): number {
  let us: number;
  switch (ifc.mode) {
    case 0:
      us = high * TWO_POW_32 + low;
      break;
    case 1:
      us = (high * TWO_POW_32 + low) * ifc.factor;
      break;
    case 2: {
      // Exact integer division of a 64-bit value by d ≤ 10^6 without BigInt.
      const d = ifc.factor;
      const qh = Math.floor(high / d);
      const rh = high - qh * d;
      us = qh * TWO_POW_32 + Math.floor((rh * TWO_POW_32 + low) / d);
      break;
    }
    case 3: {
      // Whole seconds first (division by a power of 2 is exact), then the fraction.
      const units = high * TWO_POW_32 + low;
      const sec = Math.floor(units / ifc.factor);
      us = sec * 1e6 + Math.floor(((units - sec * ifc.factor) * 1e6) / ifc.factor);
      break;
    }
    default:
      us = Math.floor((high * TWO_POW_32 + low) * ifc.factor);
  }
  return us + ifc.offsetUs;
}
