/**
 * Test builders for capture containers: classic pcap (draft-ietf-opsawg-pcap; either byte
 * order, µs or ns magic, any claimed caplen) and pcapng (draft-ietf-opsawg-pcapng; sections
 * in either byte order with IDB options if_tsresol/if_tsoffset, EPB, SPB, OPB, DSB and
 * arbitrary blocks). Every field is written explicitly, with a comment saying what it is.
 * Tests only: the readers never import this.
 */
import type { CaptureWarning, ContainerReader } from '../types.ts';
import { openContainer } from '../sniff.ts';

/** Little/big-endian byte writer. */
export class ByteWriter {
  private parts: number[] = [];
  constructor(private readonly le: boolean) {}
  u8(v: number): this {
    this.parts.push(v & 255);
    return this;
  }
  u16(v: number): this {
    if (this.le) this.parts.push(v & 255, (v >>> 8) & 255);
    else this.parts.push((v >>> 8) & 255, v & 255);
    return this;
  }
  u32(v: number): this {
    const b = [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];
    if (this.le) b.reverse();
    this.parts.push(...b);
    return this;
  }
  /** 64-bit value as two 32-bit words, high word first (pcapng timestamps). */
  u64HighLow(v: bigint): this {
    return this.u32(Number((v >> 32n) & 0xffffffffn)).u32(Number(v & 0xffffffffn));
  }
  i64(v: bigint): this {
    const x = BigInt.asUintN(64, v);
    const hi = Number(x >> 32n);
    const lo = Number(x & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  bytes(b: Uint8Array): this {
    for (const x of b) this.parts.push(x);
    return this;
  }
  /** Zero bytes up to a multiple of 4. */
  pad4(): this {
    while (this.parts.length % 4 !== 0) this.parts.push(0);
    return this;
  }
  get length(): number {
    return this.parts.length;
  }
  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface PcapRecord {
  /** Seconds since the epoch. */
  sec: number;
  /** Microseconds (µs magic) or nanoseconds (ns magic). */
  frac: number;
  data: Uint8Array;
  /** Original length (default data.length). */
  origLen?: number;
  /** caplen to claim in the header (default data.length), e.g. 0xffffffff for a corrupt record. */
  claimCaplen?: number;
}

export interface PcapOptions {
  littleEndian?: boolean;
  nanos?: boolean;
  linkType?: number;
  snaplen?: number;
  /** Major/minor version (default 2.4). */
  version?: [number, number];
}

/** A classic pcap file. */
export function pcapBytes(o: PcapOptions, records: readonly PcapRecord[]): Uint8Array {
  const w = new ByteWriter(o.littleEndian ?? true);
  w.u32(o.nanos ? 0xa1b23c4d : 0xa1b2c3d4); // magic: written in the file's byte order
  w.u16(o.version?.[0] ?? 2); // version_major
  w.u16(o.version?.[1] ?? 4); // version_minor
  w.u32(0); // thiszone (always 0)
  w.u32(0); // sigfigs (always 0)
  w.u32(o.snaplen ?? 262144); // snaplen
  w.u32(o.linkType ?? 1); // LinkType (+ FCS bits, 0 here)
  for (const r of records) {
    w.u32(r.sec); // ts_sec
    w.u32(r.frac); // ts_usec or ts_nsec
    w.u32(r.claimCaplen ?? r.data.length); // incl_len (captured length)
    w.u32(r.origLen ?? r.data.length); // orig_len
    w.bytes(r.data); // packet data
  }
  return w.done();
}

export interface NgInterface {
  linkType: number;
  snaplen?: number;
  /** if_tsresol byte: 6 = µs (default, option omitted), 9 = ns, 0x80|n = 2^-n. */
  tsresol?: number;
  /** if_tsoffset in seconds. */
  tsoffset?: number;
}

export type NgBlock =
  | { kind: 'epb'; iface: number; ts: bigint; data: Uint8Array; origLen?: number; claimCaplen?: number }
  | { kind: 'spb'; data: Uint8Array; origLen?: number }
  | { kind: 'opb'; iface: number; ts: bigint; data: Uint8Array; origLen?: number }
  | { kind: 'dsb'; secretsType: number; data: Uint8Array }
  | { kind: 'raw'; type: number; body: Uint8Array; claimLength?: number; trailerLength?: number };

export interface NgSection {
  littleEndian: boolean;
  interfaces: readonly NgInterface[];
  blocks: readonly NgBlock[];
}

/** Wraps a block body: type, total length, body (padded), total length again. */
function block(le: boolean, type: number, body: Uint8Array, claimLength?: number, trailerLength?: number): Uint8Array {
  const padded = (body.length + 3) & ~3;
  const total = 12 + padded;
  const w = new ByteWriter(le);
  w.u32(type); // block type
  w.u32(claimLength ?? total); // block total length
  w.bytes(body).pad4(); // block body, padded to 32 bits
  w.u32(trailerLength ?? total); // block total length (repeated)
  return w.done();
}

function option(w: ByteWriter, code: number, value: Uint8Array): void {
  w.u16(code); // option code
  w.u16(value.length); // option length (unpadded)
  w.bytes(value).pad4(); // value, padded to 32 bits
}

/** One pcapng section: SHB, its IDBs, then its blocks. */
export function pcapngSection(s: NgSection): Uint8Array {
  const le = s.littleEndian;
  const out: Uint8Array[] = [];
  const shb = new ByteWriter(le);
  shb.u32(0x1a2b3c4d); // byte-order magic, in the section's byte order
  shb.u16(1); // major version
  shb.u16(0); // minor version
  shb.u32(0xffffffff).u32(0xffffffff); // section length: -1 (not given)
  out.push(block(le, 0x0a0d0d0a, shb.done()));
  for (const i of s.interfaces) {
    const w = new ByteWriter(le);
    w.u16(i.linkType); // LinkType
    w.u16(0); // reserved
    w.u32(i.snaplen ?? 0); // SnapLen (0 = no limit)
    if (i.tsresol !== undefined) option(w, 9, Uint8Array.of(i.tsresol)); // if_tsresol
    if (i.tsoffset !== undefined) option(w, 14, new ByteWriter(le).i64(BigInt(i.tsoffset)).done()); // if_tsoffset
    if (i.tsresol !== undefined || i.tsoffset !== undefined) w.u16(0).u16(0); // opt_endofopt
    out.push(block(le, 1, w.done()));
  }
  for (const b of s.blocks) {
    const w = new ByteWriter(le);
    switch (b.kind) {
      case 'epb':
        w.u32(b.iface); // interface id
        w.u64HighLow(b.ts); // timestamp (high, low) in if_tsresol units
        w.u32(b.claimCaplen ?? b.data.length); // captured packet length
        w.u32(b.origLen ?? b.data.length); // original packet length
        w.bytes(b.data).pad4(); // packet data
        out.push(block(le, 6, w.done()));
        break;
      case 'spb':
        w.u32(b.origLen ?? b.data.length); // original packet length
        w.bytes(b.data).pad4(); // packet data
        out.push(block(le, 3, w.done()));
        break;
      case 'opb':
        w.u16(b.iface); // interface id (16 bits)
        w.u16(0); // drops count
        w.u64HighLow(b.ts); // timestamp (high, low)
        w.u32(b.data.length); // captured length
        w.u32(b.origLen ?? b.data.length); // original packet length
        w.bytes(b.data).pad4(); // packet data
        out.push(block(le, 2, w.done()));
        break;
      case 'dsb':
        w.u32(b.secretsType); // secrets type, e.g. 0x544c534b TLS key log
        w.u32(b.data.length); // secrets length
        w.bytes(b.data).pad4(); // secrets data
        out.push(block(le, 0x0a, w.done()));
        break;
      case 'raw':
        out.push(block(le, b.type, b.body, b.claimLength, b.trailerLength));
        break;
    }
  }
  const total = out.reduce((n, p) => n + p.length, 0);
  const res = new Uint8Array(total);
  let o = 0;
  for (const p of out) {
    res.set(p, o);
    o += p.length;
  }
  return res;
}

/** Several sections one after the other. */
export function pcapngBytes(sections: readonly NgSection[]): Uint8Array {
  const parts = sections.map(pcapngSection);
  const res = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    res.set(p, o);
    o += p.length;
  }
  return res;
}

export interface ReadAll {
  format: string;
  records: Array<{ frame: number; timeUs: number; linkType: number; data: Uint8Array; origLen: number; fileOffset: number; interfaceId: number }>;
  warnings: CaptureWarning[];
  secrets: Array<{ type: number; data: Uint8Array }>;
  linkTypes: number[];
}

/**
 * Opens `bytes` with openContainer and pushes it in pieces of `chunk` bytes (default: all at
 * once), copying every record (records are views, valid only during the callback).
 */
export function readAll(bytes: Uint8Array, chunk = bytes.length || 1): ReadAll {
  const out: ReadAll = { format: '', records: [], warnings: [], secrets: [], linkTypes: [] };
  const reader: ContainerReader | { error: string } = openContainer(bytes.subarray(0, 16), {
    // The record's own fields, with its bytes copied (not where in the reader's buffer they were).
    packet: (r) => out.records.push({ frame: r.frame, timeUs: r.timeUs, linkType: r.linkType, data: r.data.slice(), origLen: r.origLen, fileOffset: r.fileOffset, interfaceId: r.interfaceId }),
    warning: (w) => out.warnings.push(w),
    secrets: (type, data) => out.secrets.push({ type, data: data.slice() }),
  });
  if ('error' in reader) throw new Error(reader.error);
  out.format = reader.format;
  for (let i = 0; i < bytes.length; i += chunk) reader.push(bytes.subarray(i, Math.min(bytes.length, i + chunk)));
  reader.end();
  out.linkTypes = reader.linkTypes();
  return out;
}
