// The little MessagePack moshi-server's STT and TTS sockets speak: maps of strings, numbers,
// arrays, binaries, booleans and nil.

export function encode(value) {
  const out = [];
  const view = new DataView(new ArrayBuffer(8));
  const u8 = new Uint8Array(view.buffer);
  const text = new TextEncoder();
  const put = (v) => {
    if (v === null || v === undefined) out.push(0xc0);
    else if (v === true) out.push(0xc3);
    else if (v === false) out.push(0xc2);
    else if (typeof v === 'string') {
      const b = text.encode(v);
      if (b.length < 32) out.push(0xa0 | b.length);
      else if (b.length < 256) out.push(0xd9, b.length);
      else if (b.length < 65536) out.push(0xda, b.length >> 8, b.length & 0xff);
      else {
        view.setUint32(0, b.length);
        out.push(0xdb, ...u8.subarray(0, 4));
      }
      for (const x of b) out.push(x);
    } else if (typeof v === 'number') {
      if (Number.isInteger(v) && v >= 0 && v < 128) out.push(v);
      else if (Number.isInteger(v) && Math.abs(v) < 2 ** 31) {
        view.setInt32(0, v);
        out.push(0xd2, ...u8.subarray(0, 4));
      } else {
        view.setFloat64(0, v);
        out.push(0xcb, ...u8.subarray(0, 8));
      }
    } else if (v instanceof Float32Array) {
      header(v.length, 0x90, 0xdc, 0xdd);
      for (const x of v) {
        view.setFloat32(0, x);
        out.push(0xca, u8[0], u8[1], u8[2], u8[3]);
      }
    } else if (v instanceof Uint8Array) {
      view.setUint32(0, v.length);
      out.push(0xc6, ...u8.subarray(0, 4));
      for (const x of v) out.push(x);
    } else if (Array.isArray(v)) {
      header(v.length, 0x90, 0xdc, 0xdd);
      v.forEach(put);
    } else {
      const keys = Object.keys(v);
      header(keys.length, 0x80, 0xde, 0xdf);
      for (const k of keys) {
        put(k);
        put(v[k]);
      }
    }
  };
  const header = (n, fix, h16, h32) => {
    if (n < 16) out.push(fix | n);
    else if (n < 65536) out.push(h16, n >> 8, n & 0xff);
    else {
      view.setUint32(0, n);
      out.push(h32, ...u8.subarray(0, 4));
    }
  };
  put(value);
  return new Uint8Array(out);
}

export function decode(bytes) {
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const text = new TextDecoder();
  let p = 0;
  const str = (n) => {
    const s = text.decode(b.subarray(p, p + n));
    p += n;
    return s;
  };
  const arr = (n) => {
    const a = new Array(n);
    for (let i = 0; i < n; i++) a[i] = read();
    return a;
  };
  const map = (n) => {
    const m = {};
    for (let i = 0; i < n; i++) {
      const k = read();
      m[k] = read();
    }
    return m;
  };
  const bin = (n) => {
    const s = b.slice(p, p + n);
    p += n;
    return s;
  };
  const read = () => {
    const t = b[p++];
    if (t < 0x80) return t;
    if (t < 0x90) return map(t & 0x0f);
    if (t < 0xa0) return arr(t & 0x0f);
    if (t < 0xc0) return str(t & 0x1f);
    if (t >= 0xe0) return t - 256;
    let r;
    switch (t) {
      case 0xc0: return null;
      case 0xc2: return false;
      case 0xc3: return true;
      case 0xc4: r = b[p]; p += 1; return bin(r);
      case 0xc5: r = v.getUint16(p); p += 2; return bin(r);
      case 0xc6: r = v.getUint32(p); p += 4; return bin(r);
      case 0xca: r = v.getFloat32(p); p += 4; return r;
      case 0xcb: r = v.getFloat64(p); p += 8; return r;
      case 0xcc: r = v.getUint8(p); p += 1; return r;
      case 0xcd: r = v.getUint16(p); p += 2; return r;
      case 0xce: r = v.getUint32(p); p += 4; return r;
      case 0xcf: r = Number(v.getBigUint64(p)); p += 8; return r;
      case 0xd0: r = v.getInt8(p); p += 1; return r;
      case 0xd1: r = v.getInt16(p); p += 2; return r;
      case 0xd2: r = v.getInt32(p); p += 4; return r;
      case 0xd3: r = Number(v.getBigInt64(p)); p += 8; return r;
      case 0xd9: r = b[p]; p += 1; return str(r);
      case 0xda: r = v.getUint16(p); p += 2; return str(r);
      case 0xdb: r = v.getUint32(p); p += 4; return str(r);
      case 0xdc: r = v.getUint16(p); p += 2; return arr(r);
      case 0xdd: r = v.getUint32(p); p += 4; return arr(r);
      case 0xde: r = v.getUint16(p); p += 2; return map(r);
      case 0xdf: r = v.getUint32(p); p += 4; return map(r);
      default: throw new Error('unsupported MessagePack type 0x' + t.toString(16));
    }
  };
  return read();
}
