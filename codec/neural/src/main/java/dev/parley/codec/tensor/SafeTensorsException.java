package dev.parley.codec.tensor;

import java.io.IOException;

/** A safetensors file is malformed or does not hold what the caller asked for. */
public class SafeTensorsException extends IOException {
  private static final long serialVersionUID = 1L;

  public SafeTensorsException(String message) {
    super(message);
  }
}
