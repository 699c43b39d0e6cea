package dev.parley.codec.format;

/** How the bytes of an audio stream are encoded (the gRPC API's {@code Encoding}). */
public enum StreamEncoding {
  /** Signed 16-bit little-endian PCM, channels interleaved. */
  PCM_S16LE,
  /** 32-bit float little-endian PCM in [-1, 1], channels interleaved. */
  PCM_F32LE,
  /** An Ogg Opus stream (RFC 7845), split anywhere. */
  OGG_OPUS,
  /** Raw Opus packets (RFC 6716), one per chunk. */
  OPUS;

  public boolean isPcm() {
    return this == PCM_S16LE || this == PCM_F32LE;
  }
}
