package org.webhooks.bench;

import java.util.concurrent.TimeUnit;
import org.webhooks.worker.WorkerMetrics;

/**
 * Samples the worker's requests in flight and tasks waiting every {@value #EVERY_MS} ms, so that the
 * bench can tell a worker short of work (few in flight) from one held by its in-flight caps (many in
 * flight, many waiting).
 */
final class WorkerSampler implements Runnable {

  /** Averages over a span. */
  record Averages(double inFlight, double waiting) {}

  static final long EVERY_MS = 10;

  private final WorkerMetrics metrics;
  private final Thread thread;
  private volatile boolean running = true;
  private long samples;
  private long inFlightSum;
  private long waitingSum;

  private WorkerSampler(WorkerMetrics metrics) {
    this.metrics = metrics;
    this.thread = new Thread(this, "bench-worker-sampler");
    this.thread.setDaemon(true);
  }

  /** Starts sampling. */
  static WorkerSampler start(WorkerMetrics metrics) {
    WorkerSampler s = new WorkerSampler(metrics);
    s.thread.start();
    return s;
  }

  @Override
  public void run() {
    while (running) {
      inFlightSum += metrics.inFlight();
      waitingSum += metrics.waiting();
      samples++;
      try {
        TimeUnit.MILLISECONDS.sleep(EVERY_MS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** @return the averages since {@link #start} */
  Averages stop() throws InterruptedException {
    running = false;
    thread.join();
    return samples == 0 ? new Averages(0, 0)
        : new Averages((double) inFlightSum / samples, (double) waitingSum / samples);
  }
}
