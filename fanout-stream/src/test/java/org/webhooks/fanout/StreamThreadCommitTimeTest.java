package org.webhooks.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.Avg;
import org.junit.jupiter.api.Test;

class StreamThreadCommitTimeTest {

  @Test
  void readsTheCommitTimeOfTheCallingThreadOnly() {
    try (Metrics registry = new Metrics()) {
      Sensor mine = commitLatency(registry, Thread.currentThread().getName());
      Sensor other = commitLatency(registry, "another-StreamThread-2");
      StreamThreadCommitTime commitTime = new StreamThreadCommitTime(registry::metrics);

      mine.record(4);
      mine.record(8);
      other.record(500);

      assertThat(commitTime.getAsDouble()).isEqualTo(6.0);
    }
  }

  @Test
  void isNotKnownWithoutTheMetric() {
    try (Metrics registry = new Metrics()) {
      assertThat(new StreamThreadCommitTime(registry::metrics).getAsDouble()).isNaN();
    }
  }

  private static Sensor commitLatency(Metrics registry, String thread) {
    Sensor sensor = registry.sensor("commit-" + thread);
    sensor.add(new MetricName(StreamThreadCommitTime.NAME, StreamThreadCommitTime.GROUP, "",
        Map.of("thread-id", thread)), new Avg());
    return sensor;
  }
}
