package dev.parley.codec.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The planned split against every contiguous split of the rows, tried one by one. */
class KeySegmentsTest {

  /** The cheapest cost over all 2^(n-1) ways of cutting n rows into contiguous runs. */
  static long bruteForce(int[] rowKeys, long segmentCost) {
    int n = rowKeys.length;
    long best = Long.MAX_VALUE;
    for (int cuts = 0; cuts < 1 << (n - 1); cuts++) {
      long cost = 0;
      int widest = 1;
      int rows = 0;
      for (int r = 0; r < n; r++) {
        widest = Math.max(widest, rowKeys[r]);
        rows++;
        boolean cutAfter = r == n - 1 || (cuts & (1 << r)) != 0;
        if (cutAfter) {
          cost += (long) rows * widest + segmentCost;
          widest = 1;
          rows = 0;
        }
      }
      best = Math.min(best, cost);
    }
    return best;
  }

  @Test
  void thePlanIsTheCheapestContiguousSplitAndCoversEveryRowWithItsKeys() {
    Random random = new Random(19);
    for (int trial = 0; trial < 400; trial++) {
      int n = 1 + random.nextInt(8);
      int[] rowKeys = new int[n];
      for (int r = 0; r < n; r++) {
        rowKeys[r] = random.nextInt(4) == 0 ? 0 : 1 + random.nextInt(3000);
      }
      long segmentCost = random.nextInt(3) == 0 ? 0 : random.nextInt(6000);
      KeySegments plan = KeySegments.plan(rowKeys, segmentCost);
      assertThat(plan.cost(segmentCost))
          .as("keys %s, cost %d per run", java.util.Arrays.toString(rowKeys), segmentCost)
          .isEqualTo(bruteForce(rowKeys, segmentCost));
      assertThat(plan.start(0)).isZero();
      assertThat(plan.end(plan.count() - 1)).isEqualTo(n);
      for (int run = 0; run < plan.count(); run++) {
        assertThat(plan.end(run)).isGreaterThan(plan.start(run));
        if (run > 0) {
          assertThat(plan.start(run)).isEqualTo(plan.end(run - 1));
        }
        assertThat(plan.keys(run)).isPositive();
        for (int r = plan.start(run); r < plan.end(run); r++) {
          assertThat(plan.keys(run))
              .as("run %d holds row %d's keys", run, r)
              .isGreaterThanOrEqualTo(rowKeys[r]);
        }
      }
    }
  }

  @Test
  void aYoungRowBesideOldOnesGetsItsOwnRunOnlyWhenThatPays() {
    int[] rowKeys = {3000, 3000, 5, 3000};
    KeySegments cheapRuns = KeySegments.plan(rowKeys, 100);
    assertThat(cheapRuns.count()).isEqualTo(3);
    assertThat(cheapRuns.keys(1)).isEqualTo(5);
    assertThat(cheapRuns.keys(0)).isEqualTo(3000);
    assertThat(cheapRuns.keys(2)).isEqualTo(3000);
    // a run costing more than the 2995 keys the young row would skip: one run
    KeySegments dearRuns = KeySegments.plan(rowKeys, 3000);
    assertThat(dearRuns.count()).isEqualTo(1);
    assertThat(dearRuns.keys(0)).isEqualTo(3000);
  }

  @Test
  void theOneRunCostNeverSplitsNorOverflows() {
    int[] rowKeys = new int[64];
    for (int r = 0; r < rowKeys.length; r++) {
      rowKeys[r] = r % 2 == 0 ? 1 : 3000;
    }
    KeySegments plan = KeySegments.plan(rowKeys, KeySegments.ONE_RUN);
    assertThat(plan.count()).isEqualTo(1);
    assertThat(plan.keys(0)).isEqualTo(3000);
    assertThat(KeySegments.plan(rowKeys, 0).count()).isEqualTo(64);
  }
}
