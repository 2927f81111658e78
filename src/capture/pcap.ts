/**
 * Classic libpcap file reader (draft-ietf-opsawg-pcap, "PCAP Capture File Format"):
 * a 24-byte file header (magic, version, thiszone, sigfigs, snaplen, LinkType) followed by
 * records of a 16-byte header (ts_sec, ts_usec|ts_nsec, caplen, origlen) and caplen bytes.
 *
 * Both byte orders, microsecond (a1b2c3d4) and nanosecond (a1b23c4d) magics, and the
 * Kuznetzov "modified pcap" variant (a1b2cd34, 24-byte record headers) are read. Frames are
 * numbered 1.. in record order, as Wireshark does. A record whose caplen is absurd (beyond
 * 256 KiB, or beyond a sane snaplen) means the file is corrupt from there on: the reader
 * reports it and stops rather than allocating the claimed size.
 */
import type { ContainerReader, ContainerSink } from './types.ts';
import { emptyPacketRecord, RecordStream } from './bytes.ts';

const FILE_HEADER = 24;
/** Largest record we believe (Wireshark's default maximum snapshot length). */
export const MAX_RECORD = 262144;

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_MAGIC_MODIFIED = 0xa1b2cd34;

export class PcapReader extends RecordStream implements ContainerReader {
  readonly format = 'pcap' as const;
  private headerDone = false;
  private le = true;
  private nanos = false;
  private recHeader = 16;
  private snaplen = 0;
  /** Largest believable caplen: a sane snaplen, else MAX_RECORD. */
  private limit = MAX_RECORD;
  private linkType = -1;
  private frame = 0;
  /** Reused for every packet (valid only during the sink callback). */
  private readonly rec = emptyPacketRecord();

  constructor(private readonly sink: ContainerSink) {
    super();
  }

  linkTypes(): number[] {
    return this.linkType >= 0 ? [this.linkType] : [];
  }

  /** Frames handed out so far. */
  get frames(): number {
    return this.frame;
  }

  private readHeader(buf: Uint8Array, view: DataView, start: number): boolean {
    const be = view.getUint32(start, false);
    const le = view.getUint32(start, true);
    let magic: number;
    if (be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || be === PCAP_MAGIC_MODIFIED) {
      this.le = false;
      magic = be;
    } else if (le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS || le === PCAP_MAGIC_MODIFIED) {
      this.le = true;
      magic = le;
    } else {
      this.stopped = true;
      const hex = Array.from(buf.subarray(start, start + 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
      this.sink.warning({ offset: 0, message: `not a pcap file: magic number ${hex}` });
      return false;
    }
    this.nanos = magic === PCAP_MAGIC_NS;
    this.recHeader = magic === PCAP_MAGIC_MODIFIED ? 24 : 16;
    const major = view.getUint16(start + 4, this.le);
    if (major !== 2) {
      this.sink.warning({ offset: 4, message: `pcap version ${major}.${view.getUint16(start + 6, this.le)} is unusual; reading it as 2.4` });
    }
    this.snaplen = view.getUint32(start + 16, this.le);
    this.linkType = view.getUint32(start + 20, this.le) & 0xffff;
    this.limit = this.snaplen > 0 && this.snaplen <= MAX_RECORD ? this.snaplen : MAX_RECORD;
    this.headerDone = true;
    return true;
  }

  /** Checks a record's caplen; on a bad one warns and stops. */
  private badLength(caplen: number, fileOffset: number): boolean {
    if (caplen <= this.limit) return false;
    this.stopped = true;
    this.sink.warning({
      frame: this.frame + 1,
      offset: fileOffset,
      message: `record ${this.frame + 1} at offset ${fileOffset} claims ${caplen} bytes; the rest of the file cannot be read reliably`,
    });
    return true;
  }

  protected need(_buf: Uint8Array, view: DataView, start: number, avail: number): number {
    if (!this.headerDone) return FILE_HEADER;
    if (avail < this.recHeader) return this.recHeader;
    const caplen = view.getUint32(start + 8, this.le);
    if (this.badLength(caplen, this.consumed)) return 0;
    return this.recHeader + caplen;
  }

  protected walk(buf: Uint8Array, view: DataView, start: number, end: number, fileOffset: number): number {
    let p = start;
    if (!this.headerDone) {
      if (end - p < FILE_HEADER) return p;
      if (!this.readHeader(buf, view, p)) return p;
      p += FILE_HEADER;
    }
    const le = this.le;
    const hl = this.recHeader;
    const rec = this.rec;
    const sink = this.sink;
    const div = this.nanos ? 1000 : 1;
    const limit = this.limit;
    const base = fileOffset - start;
    rec.linkType = this.linkType;
    while (end - p >= hl) {
      const caplen = view.getUint32(p + 8, le);
      if (caplen > limit && this.badLength(caplen, base + p)) return p;
      if (end - p - hl < caplen) break;
      const sec = view.getUint32(p, le);
      const frac = view.getUint32(p + 4, le);
      rec.frame = ++this.frame;
      rec.timeUs = sec * 1e6 + (div === 1 ? frac : Math.floor(frac / div));
      rec.origLen = view.getUint32(p + 12, le);
      rec.fileOffset = base + p;
      rec.dataOffset = base + p + hl;
      rec.buf = buf;
      rec.start = p + hl;
      rec.end = p + hl + caplen;
      sink.packet(rec);
      p += hl + caplen;
    }
    return p;
  }

  protected incomplete(have: number, needed: number, fileOffset: number): void {
    if (!this.headerDone) {
      this.sink.warning({ offset: 0, message: `the file ends inside the pcap file header (${have} of 24 bytes)` });
      return;
    }
    const frame = this.frame + 1;
    const what = have < this.recHeader ? `its header (${have} of ${this.recHeader} bytes)` : `its data (${have - this.recHeader} of ${needed - this.recHeader} bytes)`;
    this.sink.warning({
      frame,
      offset: fileOffset,
      message: `record ${frame} at offset ${fileOffset} is cut short: the file ends inside ${what}`,
    });
  }
}
