package org.webhooks.worker;

import java.util.ArrayList;
import java.util.List;

/**
 * What a partition's committed offset alone cannot say: which records at or above it are already
 * finished. A worker commits the offset of its lowest unfinished record, so records above it that
 * finished (their outcomes written in the same transaction) would be sent again by the next owner
 * of the partition. This value travels in the commit's metadata string and tells that owner which
 * of them to skip: every offset in {@code [committed, end)} is finished except those in the listed
 * ranges; offsets from {@code end} on have not been read.
 *
 * <p>Text form, offsets relative to the committed offset: {@code u1 <end> <start>+<length> ...},
 * for example {@code u1 40 0+3 17+1} (records 0-2 and 17 unfinished, 3-16 and 18-39 finished).
 * Text that does not parse means "nothing known": every record from the committed offset is read
 * as unfinished, which repeats requests but loses none.
 *
 * @param committed the committed offset the ranges are relative to
 * @param end one past the highest offset this value speaks of ({@code committed} when it knows nothing)
 * @param ranges unfinished ranges inside {@code [committed, end)}, ascending, not overlapping
 */
record UnfinishedRanges(long committed, long end, List<Range> ranges) {

  /** Offsets {@code [from, from + length)}. */
  record Range(long from, long length) {
    long to() {
      return from + length;
    }
  }

  private static final String VERSION = "u1";

  /**
   * Longest text written, in characters. Brokers refuse commit metadata above
   * {@code offset.metadata.max.bytes} (4096 bytes by default); above this the ranges are dropped and
   * the next owner repeats the finished records instead of failing the commit.
   */
  static final int MAX_TEXT = 3000;

  UnfinishedRanges {
    ranges = List.copyOf(ranges);
  }

  /** @return a value that knows nothing beyond {@code committed} */
  static UnfinishedRanges none(long committed) {
    return new UnfinishedRanges(committed, committed, List.of());
  }

  /** @return true when the record at {@code offset} is known to be finished */
  boolean isFinished(long offset) {
    if (offset < committed || offset >= end) {
      return false;
    }
    for (Range r : ranges) {
      if (offset < r.from()) {
        return true;
      }
      if (offset < r.to()) {
        return false;
      }
    }
    return true;
  }

  /** @return the commit metadata text; empty when it would be longer than {@link #MAX_TEXT} */
  String toText() {
    if (end <= committed) {
      return "";
    }
    StringBuilder out = new StringBuilder(VERSION).append(' ').append(end - committed);
    for (Range r : ranges) {
      out.append(' ').append(r.from() - committed).append('+').append(r.length());
      if (out.length() > MAX_TEXT) {
        return "";
      }
    }
    return out.toString();
  }

  /**
   * Reads commit metadata written by {@link #toText()}.
   *
   * @param committed the offset committed together with {@code text}
   * @param text the commit metadata; null, empty or foreign text reads as {@link #none(long)}
   */
  static UnfinishedRanges parse(long committed, String text) {
    if (text == null || !text.startsWith(VERSION + " ")) {
      return none(committed);
    }
    String[] parts = text.split(" ");
    try {
      long end = committed + Long.parseLong(parts[1]);
      List<Range> ranges = new ArrayList<>(parts.length - 2);
      long last = committed;
      for (int i = 2; i < parts.length; i++) {
        int plus = parts[i].indexOf('+');
        long from = committed + Long.parseLong(parts[i].substring(0, plus));
        long length = Long.parseLong(parts[i].substring(plus + 1));
        if (from < last || length < 1 || from + length > end) {
          return none(committed);
        }
        ranges.add(new Range(from, length));
        last = from + length;
      }
      return end < committed ? none(committed) : new UnfinishedRanges(committed, end, ranges);
    } catch (RuntimeException e) {
      return none(committed);
    }
  }
}
