package dev.parley.codec.tensor;

import java.util.Arrays;

/**
 * One entry of a safetensors header: name, element type, shape and byte range in the data section.
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

  public long elementCount() {
    long n = 1;
    for (long d : shape) {
      n *= d;
    }
    return n;
  }

  public long byteLength() {
    return end - begin;
  }

  public String shapeString() {
    return Arrays.toString(shape);
  }
}
