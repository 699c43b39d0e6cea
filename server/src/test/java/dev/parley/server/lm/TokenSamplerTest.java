package dev.parley.server.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Sampling rules checked on the empirical distribution of many draws. */
class TokenSamplerTest {
  static final double[] P = {0.4, 0.25, 0.15, 0.1, 0.06, 0.04};
  static final int DRAWS = 200_000;

  static float[] logitsOf(double[] p) {
    float[] l = new float[p.length];
    for (int i = 0; i < p.length; i++) {
      l[i] = (float) Math.log(p[i]) + 3f; // an offset must not matter
    }
    return l;
  }

  static double[] frequencies(SamplingParams params) {
    float[] logits = logitsOf(P);
    SplittableRandom r = new SplittableRandom(5);
    double[] f = new double[P.length];
    for (int i = 0; i < DRAWS; i++) {
      f[TokenSampler.sample(logits, 0, logits.length, params, r)]++;
    }
    for (int i = 0; i < f.length; i++) {
      f[i] /= DRAWS;
    }
    return f;
  }

  /** Five standard errors of a frequency estimate: the test fails by chance with p < 1e-6. */
  static double tol(double p) {
    return 5 * Math.sqrt(p * (1 - p) / DRAWS) + 1e-9;
  }

  @Test
  void temperatureOneFollowsTheSoftmax() {
    double[] f = frequencies(new SamplingParams(1.0, 0, 0));
    for (int i = 0; i < P.length; i++) {
      assertThat(f[i]).isCloseTo(P[i], within(tol(P[i])));
    }
  }

  @Test
  void temperatureTwoFlattensAsPToTheHalf() {
    double[] f = frequencies(new SamplingParams(2.0, 0, 0));
    double z = 0;
    for (double p : P) {
      z += Math.sqrt(p);
    }
    for (int i = 0; i < P.length; i++) {
      double q = Math.sqrt(P[i]) / z;
      assertThat(f[i]).isCloseTo(q, within(tol(q)));
    }
  }

  @Test
  void topKKeepsTheKMostLikelyRenormalised() {
    double[] f = frequencies(new SamplingParams(1.0, 3, 0));
    double z = P[0] + P[1] + P[2];
    for (int i = 0; i < 3; i++) {
      assertThat(f[i]).isCloseTo(P[i] / z, within(tol(P[i] / z)));
    }
    for (int i = 3; i < P.length; i++) {
      assertThat(f[i]).isZero();
    }
  }

  @Test
  void topPKeepsTokensWhoseMassBeforeThemIsWithinP() {
    // Cumulative mass before each token: 0, .4, .65, .8, .9, .96 → with p = 0.7 tokens 0..2 stay
    // (the reference masks a token when cumsum − p_token > p).
    double[] f = frequencies(new SamplingParams(1.0, 0, 0.7));
    double z = P[0] + P[1] + P[2];
    for (int i = 0; i < 3; i++) {
      assertThat(f[i]).isCloseTo(P[i] / z, within(tol(P[i] / z)));
    }
    for (int i = 3; i < P.length; i++) {
      assertThat(f[i]).isZero();
    }
  }

  @Test
  void greedyTakesTheFirstMaximum() {
    float[] l = {1f, 5f, 2f, 5f};
    assertThat(TokenSampler.sample(l, 0, 4, SamplingParams.GREEDY, new SplittableRandom(1)))
        .isEqualTo(1);
    assertThat(TokenSampler.argmax(new float[] {9f, 0f, 3f, 7f}, 2, 2)).isEqualTo(1);
  }
}
