package org.webhooks.fanout;

import java.util.Map;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The average commit time of the stream thread that asks, ms: Kafka Streams' own
 * {@code stream-thread-metrics} {@code commit-latency-avg} of the thread whose {@code thread-id} is the
 * calling thread's name (Kafka Streams monitoring documentation, "Thread Metrics"). NaN while the
 * thread has not committed yet or where there is no such metric (a topology test driver).
 */
final class StreamThreadCommitTime implements DoubleSupplier {

  private static final Logger LOG = LoggerFactory.getLogger(StreamThreadCommitTime.class);

  static final String GROUP = "stream-thread-metrics";
  static final String NAME = "commit-latency-avg";

  private final Supplier<? extends Map<MetricName, ? extends Metric>> metrics;
  private String threadName;
  private Metric metric;

  /**
   * @param metrics the metrics of the Kafka Streams instance the processor runs in, by name (e.g.
   *     {@code context.metrics()::metrics})
   */
  StreamThreadCommitTime(Supplier<? extends Map<MetricName, ? extends Metric>> metrics) {
    this.metrics = metrics;
  }

  @Override
  public double getAsDouble() {
    String current = Thread.currentThread().getName();
    if (!current.equals(threadName)) {
      threadName = current;
      metric = find(current);
      if (metric == null && current.contains("StreamThread")) {
        LOG.warn("no {} {} metric for thread {}: live events ask for a commit every {} ms whatever commits cost",
            GROUP, NAME, current, LiveCommitPolicy.MIN_GAP_MS);
      }
    }
    if (metric == null) {
      return Double.NaN;
    }
    Object value = metric.metricValue();
    return value instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private Metric find(String thread) {
    for (Map.Entry<MetricName, ? extends Metric> e : metrics.get().entrySet()) {
      MetricName name = e.getKey();
      if (NAME.equals(name.name()) && GROUP.equals(name.group()) && thread.equals(name.tags().get("thread-id"))) {
        return e.getValue();
      }
    }
    return null;
  }
}
