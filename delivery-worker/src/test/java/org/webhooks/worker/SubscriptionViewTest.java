package org.webhooks.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.webhooks.data.SubscriptionView;
import org.webhooks.schemas.avro.Subscription;

/** The worker's own copy of the compacted subscriptions topic. */
class SubscriptionViewTest {

  @Test
  void aCatchUpRequestedAfterAWriteSeesTheWrite() throws Exception {
    try (WorkerFixture f = WorkerFixture.create(Map.of())) {
      Subscription before = f.subscribe("http://127.0.0.1:1/before");
      try (SubscriptionView view = new SubscriptionView(f.config(), "test")) {
        view.start();
        assertThat(view.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
        assertThat(view.isCaughtUp()).isTrue();
        assertThat(view.find(before.getId())).isPresent();

        Subscription added = f.subscribe("http://127.0.0.1:1/added");
        view.catchUp().get(30, TimeUnit.SECONDS);
        assertThat(view.find(added.getId())).map(Subscription::getUrl).contains("http://127.0.0.1:1/added");

        added.setUrl("http://127.0.0.1:1/changed");
        f.publish(added);
        f.delete(before.getId());
        view.catchUp().get(30, TimeUnit.SECONDS);
        assertThat(view.find(added.getId())).map(Subscription::getUrl).contains("http://127.0.0.1:1/changed");
        assertThat(view.find(before.getId())).isEmpty();
        assertThat(view.size()).isEqualTo(1);
      }
    }
  }
}
