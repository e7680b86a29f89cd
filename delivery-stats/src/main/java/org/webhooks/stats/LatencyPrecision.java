package org.webhooks.stats;

/**
 * How exact the latency percentiles of {@link StatsBucket} are. Latencies are recorded, in ms, in
 * HdrHistograms with {@value #SIGNIFICANT_DIGITS} significant decimal digits. A percentile p is the
 * nearest-rank percentile of the recorded latencies (the smallest recorded value with at least p % of
 * them at or below it), reported as the highest value of the histogram bucket holding it: never below
 * the exact value and at most {@value #RELATIVE_ERROR} of it above (under 0.8 % in fact, the bucket
 * width of HdrHistogram at this precision).
 */
public final class LatencyPrecision {

  /** Significant decimal digits kept. */
  public static final int SIGNIFICANT_DIGITS = BucketStats.SIGNIFICANT_DIGITS;
  /** Largest relative error of a reported percentile above the exact one. */
  public static final double RELATIVE_ERROR = 0.01;

  private LatencyPrecision() {}
}
