// Ogg pages for Opus (RFC 3533, RFC 7845): a muxer for what the page sends and a demuxer for what
// the server sends. One packet a page on the way out keeps latency low.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let r = i << 24;
    for (let k = 0; k < 8; k++) r = r & 0x80000000 ? (r << 1) ^ 0x04c11db7 : r << 1;
    t[i] = r >>> 0;
  }
  return t;
})();

export function oggCrc(bytes) {
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) {
    crc = ((crc << 8) ^ CRC_TABLE[((crc >>> 24) ^ bytes[i]) & 0xff]) >>> 0;
  }
  return crc;
}

/** Writes Ogg Opus pages: the OpusHead and OpusTags headers, then one page per packet. */
export class OggOpusMuxer {
  constructor(sampleRate, serial = (Math.random() * 0xffffffff) >>> 0) {
    this.sampleRate = sampleRate;
    this.serial = serial;
    this.sequence = 0;
    this.granule = 0; // always counted at 48 kHz in Ogg Opus
  }

  /** The two header pages. */
  headers() {
    const head = new Uint8Array(19);
    const v = new DataView(head.buffer);
    head.set(new TextEncoder().encode('OpusHead'), 0);
    head[8] = 1; // version
    head[9] = 1; // mono
    v.setUint16(10, 312, true); // pre-skip (48 kHz samples)
    v.setUint32(12, this.sampleRate, true);
    v.setInt16(16, 0, true); // gain
    head[18] = 0; // channel mapping family
    const vendor = new TextEncoder().encode('parley-web');
    const tags = new Uint8Array(8 + 4 + vendor.length + 4);
    const tv = new DataView(tags.buffer);
    tags.set(new TextEncoder().encode('OpusTags'), 0);
    tv.setUint32(8, vendor.length, true);
    tags.set(vendor, 12);
    tv.setUint32(12 + vendor.length, 0, true);
    return [this.page(head, 0x02, 0), this.page(tags, 0, 0)];
  }

  /** A page holding one Opus packet of `samples48k` samples (at 48 kHz). */
  packet(data, samples48k, last = false) {
    this.granule += samples48k;
    return this.page(data, last ? 0x04 : 0, this.granule);
  }

  page(data, flags, granule) {
    const segments = Math.floor(data.length / 255) + 1;
    const page = new Uint8Array(27 + segments + data.length);
    const v = new DataView(page.buffer);
    page.set([0x4f, 0x67, 0x67, 0x53], 0); // OggS
    page[4] = 0;
    page[5] = flags;
    v.setUint32(6, granule % 0x100000000, true);
    v.setUint32(10, Math.floor(granule / 0x100000000), true);
    v.setUint32(14, this.serial, true);
    v.setUint32(18, this.sequence++, true);
    page[26] = segments;
    for (let i = 0; i < segments - 1; i++) page[27 + i] = 255;
    page[27 + segments - 1] = data.length % 255;
    page.set(data, 27 + segments);
    v.setUint32(22, oggCrc(page), true);
    return page;
  }
}

/** Reads Ogg pages from bytes arriving in any pieces and hands out whole packets. */
export class OggDemuxer {
  constructor(onPacket) {
    this.onPacket = onPacket; // (packet Uint8Array, granule) => void
    this.buf = new Uint8Array(0);
    this.partial = [];
  }

  push(bytes) {
    const merged = new Uint8Array(this.buf.length + bytes.length);
    merged.set(this.buf);
    merged.set(bytes, this.buf.length);
    this.buf = merged;
    let at = 0;
    for (;;) {
      if (this.buf.length - at < 27) break;
      if (
        this.buf[at] !== 0x4f ||
        this.buf[at + 1] !== 0x67 ||
        this.buf[at + 2] !== 0x67 ||
        this.buf[at + 3] !== 0x53
      ) {
        throw new Error('not an Ogg stream (no OggS capture pattern)');
      }
      const nseg = this.buf[at + 26];
      if (this.buf.length - at < 27 + nseg) break;
      let size = 0;
      for (let i = 0; i < nseg; i++) size += this.buf[at + 27 + i];
      if (this.buf.length - at < 27 + nseg + size) break;
      const v = new DataView(this.buf.buffer, this.buf.byteOffset + at);
      const granule = v.getUint32(6, true) + v.getUint32(10, true) * 0x100000000;
      let pos = at + 27 + nseg;
      for (let i = 0; i < nseg; i++) {
        const len = this.buf[at + 27 + i];
        this.partial.push(this.buf.slice(pos, pos + len));
        pos += len;
        if (len < 255) {
          const total = this.partial.reduce((n, p) => n + p.length, 0);
          const packet = new Uint8Array(total);
          let o = 0;
          for (const p of this.partial) {
            packet.set(p, o);
            o += p.length;
          }
          this.partial = [];
          this.onPacket(packet, granule);
        }
      }
      at = pos;
    }
    this.buf = this.buf.slice(at);
  }
}

/** Whether an Opus packet is one of the two Ogg Opus header packets. */
export function isOpusHeader(packet) {
  if (packet.length < 8) return false;
  const magic = String.fromCharCode(...packet.subarray(0, 8));
  return magic === 'OpusHead' || magic === 'OpusTags';
}

/** Samples (at 48 kHz) in one Opus packet, from its TOC byte (RFC 6716 §3.1). */
export function opusPacketSamples48k(packet) {
  if (!packet.length) return 0;
  const toc = packet[0];
  const config = toc >> 3;
  let frame;
  if (config < 12) frame = [480, 960, 1920, 2880][config & 3];
  else if (config < 16) frame = [480, 960][config & 1];
  else frame = [120, 240, 480, 960][config & 3];
  const c = toc & 3;
  const frames = c === 0 ? 1 : c === 3 ? (packet[1] & 0x3f) : 2;
  return frame * frames;
}
