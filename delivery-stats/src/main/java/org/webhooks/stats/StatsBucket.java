package org.webhooks.stats;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.webhooks.schemas.AttemptOutcomes;
import org.webhooks.schemas.avro.AttemptOutcome;

/**
 * The figures of one bucket of a time series, or of a whole window.
 *
 * @param start start of the bucket (of the first bucket, for a window total)
 * @param attempts succeeded + failed: deliveries tried (see {@code outcomes} for the rest)
 * @param succeeded attempts answered 2xx
 * @param failed attempts that failed: http_error, timeout, connection_error, blocked, other
 * @param successRate succeeded / attempts, 0..1, or null without attempts
 * @param latencyP50Ms median latency of the requests made, ms (null when none was made); see
 *     {@link LatencyPrecision} for how exact the percentiles are
 * @param latencyP95Ms 95th percentile, ms
 * @param latencyP99Ms 99th percentile, ms
 * @param outcomes count per attempt outcome (succeeded, http_error, timeout, connection_error, blocked,
 *     other, deferred, cancelled, skipped), every outcome present
 */
public record StatsBucket(Instant start, long attempts, long succeeded, long failed, Double successRate,
    Long latencyP50Ms, Long latencyP95Ms, Long latencyP99Ms, Map<String, Long> outcomes) {

  static StatsBucket of(Instant start, BucketStats s) {
    Map<String, Long> outcomes = new LinkedHashMap<>();
    for (AttemptOutcome o : AttemptOutcome.values()) {
      outcomes.put(AttemptOutcomes.wireName(o), s.count(o));
    }
    long attempts = s.attempts();
    return new StatsBucket(start, attempts, s.succeeded(), s.failed(),
        attempts == 0 ? null : (double) s.succeeded() / attempts,
        s.latencyAt(50), s.latencyAt(95), s.latencyAt(99), outcomes);
  }
}
