package org.webhooks.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class PartitionProgressTest {

  @Test
  void commitsUpToTheLowestUnfinishedRecordAndNamesTheFinishedOnesAboveIt() {
    PartitionProgress<String> p = new PartitionProgress<>();
    assertThat(p.toCommit()).isEmpty();
    p.received(10, "a");
    p.received(11, "b");
    p.received(12, "c");
    assertThat(p.finishedSinceCommit()).isFalse();
    p.finished(11);
    p.finished(12);
    assertThat(p.finishedSinceCommit()).isTrue();
    // 11 and 12 are done, but 10 is not: committing past it could lose it in a crash
    PartitionProgress.Commit c = p.toCommit().orElseThrow();
    assertThat(c.offset()).isEqualTo(10);
    assertThat(c.metadata()).isEqualTo("u1 3 0+1");
    p.committed(c);
    assertThat(p.finishedSinceCommit()).isFalse();
    assertThat(p.toCommit()).isEmpty();
    p.finished(10);
    c = p.toCommit().orElseThrow();
    assertThat(c).isEqualTo(new PartitionProgress.Commit(13, ""));
    p.committed(c);
    p.receivedFinished(13);
    assertThat(p.toCommit()).hasValue(new PartitionProgress.Commit(14, ""));
    assertThat(p.unfinishedCount()).isZero();
  }

  @Test
  void aNewFinishedRecordAboveTheSameLowestOneIsCommittedAgain() {
    PartitionProgress<String> p = new PartitionProgress<>();
    p.received(0, "a");
    p.received(1, "b");
    p.received(2, "c");
    p.finished(1);
    p.committed(p.toCommit().orElseThrow());
    p.finished(2);
    assertThat(p.toCommit()).hasValue(new PartitionProgress.Commit(0, "u1 3 0+1"));
  }

  @Test
  void aRecordThatFinishedWhileACommitRanIsCommittedByTheNextOne() {
    PartitionProgress<String> p = new PartitionProgress<>();
    p.received(0, "a");
    p.received(1, "b");
    p.finished(0);
    PartitionProgress.Commit taken = p.toCommit().orElseThrow();
    long finishesThen = p.finishes();
    p.finished(1); // while the commit of `taken` runs
    p.committed(taken, finishesThen);
    assertThat(p.finishedSinceCommit()).isTrue();
    assertThat(p.toCommit()).hasValue(new PartitionProgress.Commit(2, ""));
    // a commit during which nothing finished leaves nothing more to commit
    PartitionProgress.Commit next = p.toCommit().orElseThrow();
    p.committed(next, p.finishes());
    assertThat(p.finishedSinceCommit()).isFalse();
    assertThat(p.toCommit()).isEmpty();
  }

  @Test
  void theNextOwnerSkipsWhatThePreviousOneFinishedAndKeepsWhatItKnewBeyondItsOwnReading() {
    // the previous owner committed 100: 100 and 104-105 unfinished, 101-103 and 106-109 finished
    UnfinishedRanges inherited = UnfinishedRanges.parse(100, "u1 a 0+1 3+2");
    PartitionProgress<String> p = new PartitionProgress<>(inherited);
    assertThat(p.finishedEarlier(99)).isFalse();
    assertThat(p.finishedEarlier(100)).isFalse();
    assertThat(p.finishedEarlier(101)).isTrue();
    assertThat(p.finishedEarlier(103)).isTrue();
    assertThat(p.finishedEarlier(104)).isFalse();
    assertThat(p.finishedEarlier(105)).isFalse();
    assertThat(p.finishedEarlier(106)).isTrue();
    assertThat(p.finishedEarlier(110)).isFalse();

    p.received(100, "a");
    p.receivedFinished(101);
    p.finished(100);
    // read up to 101 only: what the previous owner knew of 102-109 still goes into the commit
    assertThat(p.toCommit()).hasValue(new PartitionProgress.Commit(102, "u1 8 2+2"));
  }

  @Test
  void foreignOrDamagedMetadataMeansNothingIsKnownToBeFinished() {
    for (String text : new String[] {null, "", "hello", "u1", "u1 !", "u1 -5", "u1 5 3+4", "u1 5 2+1 2+1",
        "u1 5 0+0", "u1 5 -1+1", "u1 5 0+1 x"}) {
      UnfinishedRanges r = UnfinishedRanges.parse(7, text);
      assertThat(r).as(String.valueOf(text)).isEqualTo(UnfinishedRanges.none(7));
      assertThat(r.isFinished(8)).isFalse();
    }
  }

  @Test
  void rangesThatDoNotFitAreLeftOutAndTheTextSpeaksOnlyOfTheOffsetsBeforeThem() {
    // every other record of 20,000 unfinished: far more ranges than the broker takes in metadata
    List<UnfinishedRanges.Range> ranges = new java.util.ArrayList<>();
    for (long o = 0; o < 20_000; o += 2) {
      ranges.add(new UnfinishedRanges.Range(500 + o, 1));
    }
    String text = new UnfinishedRanges(500, 20_500, ranges).toText();
    assertThat(text.length()).isLessThanOrEqualTo(UnfinishedRanges.MAX_TEXT).isGreaterThan(2000);
    UnfinishedRanges read = UnfinishedRanges.parse(500, text);
    assertThat(read.end()).isLessThan(20_500).isGreaterThan(1000);
    // what it speaks of is exact; beyond its end nothing is taken for finished
    for (long o = 500; o < read.end(); o++) {
      assertThat(read.isFinished(o)).as("offset %d", o).isEqualTo((o - 500) % 2 == 1);
    }
    assertThat(read.isFinished(read.end() + 1)).isFalse();
    assertThat(read.ranges()).isEqualTo(ranges.subList(0, read.ranges().size()));
  }

  @Test
  void manyUnfinishedRecordsCloseTogetherAreWrittenAsABitSetThatCoversMore() {
    // one record in three unfinished over 30,000 offsets: ranges would cover about 2,000 of them
    List<UnfinishedRanges.Range> ranges = new java.util.ArrayList<>();
    for (long o = 0; o < 30_000; o += 3) {
      ranges.add(new UnfinishedRanges.Range(1_000 + o, 1));
    }
    String text = new UnfinishedRanges(1_000, 31_000, ranges).toText();
    assertThat(text).startsWith("b1 ");
    assertThat(text.length()).isLessThanOrEqualTo(UnfinishedRanges.MAX_TEXT);
    UnfinishedRanges read = UnfinishedRanges.parse(1_000, text);
    assertThat(read.end() - 1_000).isGreaterThan(15_000);
    for (long o = 1_000; o < read.end(); o++) {
      assertThat(read.isFinished(o)).as("offset %d", o).isEqualTo((o - 1_000) % 3 != 0);
    }
    assertThat(read.isFinished(read.end())).isFalse();
    // a bit set that claims more bits than its span, or is not base64, means nothing is known
    assertThat(UnfinishedRanges.parse(5, "b1 2 Dw")).isEqualTo(UnfinishedRanges.none(5));
    assertThat(UnfinishedRanges.parse(5, "b1 8 !!")).isEqualTo(UnfinishedRanges.none(5));
    assertThat(UnfinishedRanges.parse(5, "b1 8 AQ").ranges()).containsExactly(new UnfinishedRanges.Range(5, 1));
  }
}
