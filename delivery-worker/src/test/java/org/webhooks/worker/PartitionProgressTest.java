package org.webhooks.worker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PartitionProgressTest {

  @Test
  void commitsUpToTheLowestUnfinishedRecord() {
    PartitionProgress<String> p = new PartitionProgress<>();
    assertThat(p.toCommit()).isEmpty();
    p.received(10, "a");
    p.received(11, "b");
    p.received(12, "c");
    p.finished(11);
    p.finished(12);
    // 11 and 12 are done, but 10 is not: committing past it could lose it in a crash
    assertThat(p.toCommit()).hasValue(10);
    p.committed(10);
    assertThat(p.toCommit()).isEmpty();
    p.finished(10);
    assertThat(p.toCommit()).hasValue(13);
    p.committed(13);
    p.receivedFinished(13);
    assertThat(p.toCommit()).hasValue(14);
    assertThat(p.unfinishedCount()).isZero();
  }
}
