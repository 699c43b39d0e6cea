package dev.parley.server.lm;

/**
 * The teacher-forced forward's result ({@code LMOutput}), time-aligned with the input codes, as
 * host arrays in row-major order: logits [B, dep_q, T, card] (NaN where masked), mask [B, dep_q,
 * T], text logits [B, 1, T, text_card], text mask [B, 1, T], and the transformer output [B, T, dim]
 * after the final norm.
 */
public record LmOutput(
    int batch,
    int steps,
    float[] logits,
    boolean[] mask,
    float[] textLogits,
    boolean[] textMask,
    float[] transformerOut) {}
