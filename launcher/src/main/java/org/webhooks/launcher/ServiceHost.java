package org.webhooks.launcher;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.webhooks.schemas.Service;

/**
 * Runs services in this JVM until it is asked to stop (Ctrl-C, SIGTERM), then closes them in
 * reverse order of start, and last whatever they depend on (the embedded stack).
 */
final class ServiceHost implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ServiceHost.class);

  /** How often {@link #awaitShutdown()} looks for a failed service, ms. */
  private static final long FAILURE_CHECK_MS = 1000;

  private final List<Service> started = new ArrayList<>();
  private final List<AutoCloseable> dependencies = new ArrayList<>();
  private final CountDownLatch closed = new CountDownLatch(1);
  private boolean isClosed;

  /**
   * Closes {@code resource} after every service, and before the resources registered earlier: the
   * embedded broker, registered first, is closed last.
   */
  void closeLast(AutoCloseable resource) {
    dependencies.add(0, resource);
  }

  /**
   * Starts one service.
   *
   * @throws IllegalStateException when it cannot start
   */
  void start(Service service) {
    service.start();
    started.add(service);
    LOG.info("{} started", service.name());
  }

  /** @return the services started so far. */
  List<Service> services() {
    return List.copyOf(started);
  }

  /**
   * Waits until every started service reports ready (Kafka clients assigned, stores loaded).
   *
   * @return false when {@code timeout} passed first
   */
  boolean awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!started.stream().allMatch(Service::isReady)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    return true;
  }

  /**
   * Blocks until the JVM is asked to stop, or a service stops on its own with a
   * {@link Service#failure()}, and every service is closed.
   *
   * @return true after a requested stop; false when a service failed (the process should then exit
   *     non-zero so that its supervisor starts it again)
   */
  boolean awaitShutdown() throws InterruptedException {
    Runtime.getRuntime().addShutdownHook(new Thread(this::close, "webhooks-shutdown"));
    while (!closed.await(FAILURE_CHECK_MS, TimeUnit.MILLISECONDS)) {
      for (Service s : services()) {
        Optional<String> failure = s.failure();
        if (failure.isPresent()) {
          LOG.error("{} failed and cannot go on: {}; stopping this process", s.name(), failure.get());
          close();
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public synchronized void close() {
    if (isClosed) {
      return;
    }
    isClosed = true;
    for (int i = started.size() - 1; i >= 0; i--) {
      Service s = started.get(i);
      try {
        s.close();
        LOG.info("{} stopped", s.name());
      } catch (RuntimeException e) {
        LOG.warn("{} did not stop cleanly: {}", s.name(), e.toString());
      }
    }
    for (AutoCloseable d : dependencies) {
      try {
        d.close();
      } catch (Exception e) {
        LOG.warn("{} did not stop cleanly: {}", d, e.toString());
      }
    }
    closed.countDown();
  }
}
