package dev.parley.codec.tensor;

import java.util.Locale;

/** Element types of the safetensors format that Parley reads and writes. */
public enum DType {
  F32(4),
  F16(2),
  BF16(2),
  F64(8),
  I64(8),
  I32(4),
  I16(2),
  I8(1),
  U8(1),
  BOOL(1);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Size of one element in bytes. */
  public int bytes() {
    return bytes;
  }

  /** Parses the header spelling ("F32", "BF16", ...). */
  public static DType parse(String s) throws SafeTensorsException {
    try {
      return valueOf(s.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new SafeTensorsException("unsupported safetensors dtype " + s);
    }
  }

  public boolean isFloat() {
    return this == F32 || this == F16 || this == BF16 || this == F64;
  }
}
