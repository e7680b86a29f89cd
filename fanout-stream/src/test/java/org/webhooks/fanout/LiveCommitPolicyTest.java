package org.webhooks.fanout;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LiveCommitPolicyTest {

  private static final long NOW = 1_765_000_000_000L;

  @Test
  void aLiveEventAsksForACommitAndTheNextOnlyAfterTheGap() {
    LiveCommitPolicy policy = new LiveCommitPolicy(() -> Double.NaN);

    assertThat(policy.askAfter(NOW - 3, NOW)).isTrue();
    assertThat(policy.askAfter(NOW, NOW + LiveCommitPolicy.MIN_GAP_MS - 1)).isFalse();
    assertThat(policy.askAfter(NOW, NOW + LiveCommitPolicy.MIN_GAP_MS)).isTrue();
  }

  @Test
  void aBackloggedEventWaitsForTheCommitInterval() {
    LiveCommitPolicy policy = new LiveCommitPolicy(() -> Double.NaN);

    assertThat(policy.askAfter(NOW - LiveCommitPolicy.LIVE_EVENT_MS, NOW)).isFalse();
    assertThat(policy.askAfter(NOW - LiveCommitPolicy.LIVE_EVENT_MS + 1, NOW)).isTrue();
  }

  @Test
  void aBackloggedEventDoesNotStartTheGap() {
    LiveCommitPolicy policy = new LiveCommitPolicy(() -> Double.NaN);

    assertThat(policy.askAfter(NOW - 60_000, NOW)).isFalse();
    assertThat(policy.askAfter(NOW + 1, NOW + 1)).isTrue();
  }

  @Test
  void anEventStampedAheadOfTheClockCountsAsLive() {
    // a producer whose clock runs ahead must not make its events wait for the interval
    assertThat(new LiveCommitPolicy(() -> Double.NaN).askAfter(NOW + 5_000, NOW)).isTrue();
  }

  @Test
  void theGapIsFourCommitTimesBetweenTheLeastGapAndTheInterval() {
    double[] commitMs = {2};
    LiveCommitPolicy policy = new LiveCommitPolicy(() -> commitMs[0]);
    assertThat(policy.gapMs()).isEqualTo(LiveCommitPolicy.MIN_GAP_MS);
    commitMs[0] = 10;
    assertThat(policy.gapMs()).isEqualTo(40);
    commitMs[0] = 60;
    assertThat(policy.gapMs()).isEqualTo(FanoutService.COMMIT_INTERVAL_MS);
  }

  @Test
  void slowCommitsSpaceTheAsksOut() {
    LiveCommitPolicy policy = new LiveCommitPolicy(() -> 15);

    assertThat(policy.askAfter(NOW, NOW)).isTrue();
    assertThat(policy.askAfter(NOW + 50, NOW + 59)).isFalse();
    assertThat(policy.askAfter(NOW + 50, NOW + 60)).isTrue();
  }
}
