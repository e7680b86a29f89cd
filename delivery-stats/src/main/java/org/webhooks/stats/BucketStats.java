package org.webhooks.stats;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import org.HdrHistogram.Histogram;
import org.webhooks.schemas.AttemptOutcomes;
import org.webhooks.schemas.avro.AttemptOutcome;

/**
 * What one time bucket (a minute or an hour) of one subscription holds: a count per attempt outcome
 * and an HdrHistogram of the latencies of the requests made.
 *
 * <p>Precision: the histogram keeps {@value #SIGNIFICANT_DIGITS} significant decimal digits, so a
 * percentile is reported as the highest value its histogram bucket stands for, at most 1 % above the
 * exact nearest-rank percentile of the recorded latencies (and never below it). Buckets merge exactly:
 * the percentiles of a window are as precise as those of a minute.
 */
final class BucketStats {

  /** Significant decimal digits the latency histogram keeps. */
  static final int SIGNIFICANT_DIGITS = 2;
  private static final byte FORMAT = 1;
  private static final AttemptOutcome[] OUTCOMES = AttemptOutcome.values();

  private final long[] counts = new long[OUTCOMES.length];
  private Histogram latency;

  /**
   * Counts one attempt record.
   *
   * @param latencyMs its latency, ms; recorded only when a request went out ({@link AttemptOutcomes#madeRequest})
   */
  void record(AttemptOutcome outcome, long latencyMs) {
    counts[outcome.ordinal()]++;
    if (AttemptOutcomes.madeRequest(outcome)) {
      latency().recordValue(Math.max(0, latencyMs));
    }
  }

  /** Adds every count and latency of {@code other} to this one. */
  void add(BucketStats other) {
    for (int i = 0; i < counts.length; i++) {
      counts[i] += other.counts[i];
    }
    if (other.latency != null && other.latency.getTotalCount() > 0) {
      latency().add(other.latency);
    }
  }

  /** @return records of this outcome. */
  long count(AttemptOutcome outcome) {
    return counts[outcome.ordinal()];
  }

  /** @return successes plus failures (see {@link AttemptOutcomes}). */
  long attempts() {
    return succeeded() + failed();
  }

  long succeeded() {
    return count(AttemptOutcome.SUCCEEDED);
  }

  long failed() {
    long n = 0;
    for (AttemptOutcome o : OUTCOMES) {
      if (AttemptOutcomes.isFailure(o)) {
        n += counts[o.ordinal()];
      }
    }
    return n;
  }

  /** @return latencies recorded. */
  long latencyCount() {
    return latency == null ? 0 : latency.getTotalCount();
  }

  /**
   * @param percentile 0 to 100
   * @return the latency at that percentile, ms (the highest value equivalent to it in the histogram),
   *     or null when no latency was recorded
   */
  Long latencyAt(double percentile) {
    if (latencyCount() == 0) {
      return null;
    }
    return latency.getValueAtPercentile(percentile);
  }

  private Histogram latency() {
    if (latency == null) {
      latency = new Histogram(SIGNIFICANT_DIGITS);
    }
    return latency;
  }

  /**
   * @return the bytes stored: a format byte, the non-zero counts by outcome name (so that outcomes
   *     added to the schema later do not shift old counts) and the histogram in HdrHistogram's own
   *     encoding
   */
  byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      int nonZero = 0;
      for (long c : counts) {
        nonZero += c == 0 ? 0 : 1;
      }
      out.writeShort(nonZero);
      for (AttemptOutcome o : OUTCOMES) {
        if (counts[o.ordinal()] != 0) {
          out.writeUTF(o.name());
          out.writeLong(counts[o.ordinal()]);
        }
      }
      if (latencyCount() == 0) {
        out.writeInt(0);
      } else {
        ByteBuffer buffer = ByteBuffer.allocate(latency.getNeededByteBufferCapacity());
        int length = latency.encodeIntoByteBuffer(buffer);
        out.writeInt(length);
        out.write(buffer.array(), 0, length);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /**
   * @param bytes what {@link #encode()} wrote, or null for an empty bucket
   * @throws IllegalArgumentException when the bytes are not of that form
   */
  static BucketStats decode(byte[] bytes) {
    BucketStats stats = new BucketStats();
    if (bytes == null) {
      return stats;
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
      byte format = in.readByte();
      if (format != FORMAT) {
        throw new IllegalArgumentException("unknown bucket format " + format);
      }
      int n = in.readShort();
      for (int i = 0; i < n; i++) {
        String name = in.readUTF();
        long count = in.readLong();
        for (AttemptOutcome o : OUTCOMES) {
          if (o.name().equals(name)) {
            stats.counts[o.ordinal()] = count;
          }
        }
      }
      int length = in.readInt();
      if (length > 0) {
        byte[] encoded = in.readNBytes(length);
        Histogram h = Histogram.decodeFromByteBuffer(ByteBuffer.wrap(encoded), 0);
        h.setAutoResize(true);
        stats.latency = h;
      }
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("bucket bytes cannot be read: " + e, e);
    }
    return stats;
  }
}
