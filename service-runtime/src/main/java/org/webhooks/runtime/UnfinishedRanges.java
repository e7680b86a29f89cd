package org.webhooks.runtime;

import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.List;

/**
 * What a partition's committed offset alone cannot say: which records at or above it are already
 * finished. A worker commits the offset of its lowest unfinished record, so records above it that
 * finished (their outcomes written in the same transaction) would be sent again by the next owner
 * of the partition. This value travels in the commit's metadata string and tells that owner which
 * of them to skip: every offset in {@code [committed, end)} is finished except those in the listed
 * ranges; offsets from {@code end} on have not been read.
 *
 * <p>Text form, numbers in base 36: {@code u1 <end - committed> <gap>+<length> ...}, where each
 * gap is counted from the end of the previous range (from the committed offset for the first). For
 * example {@code u1 14 0+3 e+1}: of the 40 records from the committed offset, 0-2 and 17 are
 * unfinished, 3-16 and 18-39 finished. Text that does not parse means "nothing known": every record
 * from the committed offset is read as unfinished, which repeats requests but loses none.
 *
 * <p>When unfinished records are many and close together (a hung endpoint among busy ones), a bit
 * set says more in the same room: {@code b1 <end - committed> <bits>}, the bits base64url-encoded
 * without padding, bit {@code i} (least significant first, as {@link BitSet#toByteArray()}) set
 * when record {@code committed + i} is unfinished. {@link #toText()} writes whichever form covers
 * more offsets.
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
  private static final String BITS_VERSION = "b1";

  /**
   * Longest text written, in characters. Brokers refuse commit metadata above
   * {@code offset.metadata.max.bytes} (4096 bytes by default); ranges that do not fit are left out
   * and {@code end} is moved down to the first of them, so the next owner repeats the finished
   * records from there on instead of the commit failing.
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
    // the last range starting at or before offset, by binary search: ranges are sorted
    int lo = 0;
    int hi = ranges.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      if (ranges.get(mid).from() <= offset) {
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return hi < 0 || offset >= ranges.get(hi).to();
  }

  /**
   * @return the commit metadata text, at most {@link #MAX_TEXT} characters: when the ranges do not
   *     all fit, the text speaks only of the offsets before the first range left out
   */
  String toText() {
    if (end <= committed) {
      return "";
    }
    String asRanges = rangesText();
    String asBits = bitsText();
    long rangesEnd = asRanges.isEmpty() ? committed : parse(committed, asRanges).end();
    long bitsEnd = asBits.isEmpty() ? committed : parse(committed, asBits).end();
    // the readable form unless the bit set speaks of more offsets
    return bitsEnd > rangesEnd ? asBits : asRanges;
  }

  private String bitsText() {
    int room = MAX_TEXT - BITS_VERSION.length() - 2 - Long.toString(end - committed, 36).length();
    long maxBits = (long) (room * 3 / 4) * 8;
    long knownEnd = Math.min(end, committed + maxBits);
    BitSet bits = new BitSet();
    for (Range r : ranges) {
      for (long o = r.from(); o < Math.min(r.to(), knownEnd); o++) {
        bits.set((int) (o - committed));
      }
    }
    // toByteArray drops trailing zero bytes; the reader takes missing bits as finished
    String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(bits.toByteArray());
    return BITS_VERSION + " " + Long.toString(knownEnd - committed, 36) + " " + encoded;
  }

  private String rangesText() {
    StringBuilder rangesText = new StringBuilder();
    long knownEnd = end;
    long previousEnd = committed;
    // room for the header: the version, two spaces and the largest end in base 36
    int room = MAX_TEXT - VERSION.length() - 2 - Long.toString(end - committed, 36).length();
    for (Range r : ranges) {
      String next = " " + Long.toString(r.from() - previousEnd, 36) + "+" + Long.toString(r.length(), 36);
      if (rangesText.length() + next.length() > room) {
        knownEnd = r.from();
        break;
      }
      rangesText.append(next);
      previousEnd = r.to();
    }
    if (knownEnd <= committed) {
      return "";
    }
    return VERSION + " " + Long.toString(knownEnd - committed, 36) + rangesText;
  }

  /**
   * Reads commit metadata written by {@link #toText()}.
   *
   * @param committed the offset committed together with {@code text}
   * @param text the commit metadata; null, empty or foreign text reads as {@link #none(long)}
   */
  static UnfinishedRanges parse(long committed, String text) {
    if (text != null && text.startsWith(BITS_VERSION + " ")) {
      return parseBits(committed, text);
    }
    if (text == null || !text.startsWith(VERSION + " ")) {
      return none(committed);
    }
    String[] parts = text.split(" ");
    try {
      long end = committed + Long.parseLong(parts[1], 36);
      List<Range> ranges = new ArrayList<>(parts.length - 2);
      long last = committed;
      for (int i = 2; i < parts.length; i++) {
        int plus = parts[i].indexOf('+');
        long gap = Long.parseLong(parts[i].substring(0, plus), 36);
        long length = Long.parseLong(parts[i].substring(plus + 1), 36);
        long from = last + gap;
        if (gap < 0 || length < 1 || from + length > end) {
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

  private static UnfinishedRanges parseBits(long committed, String text) {
    String[] parts = text.split(" ", -1);
    try {
      long span = Long.parseLong(parts[1], 36);
      if (parts.length != 3 || span < 0 || span > (long) MAX_TEXT * 8) {
        return none(committed);
      }
      BitSet bits = BitSet.valueOf(Base64.getUrlDecoder().decode(parts[2]));
      if (bits.length() > span) {
        return none(committed);
      }
      List<Range> ranges = new ArrayList<>();
      for (int from = bits.nextSetBit(0); from >= 0; ) {
        int to = bits.nextClearBit(from);
        ranges.add(new Range(committed + from, to - from));
        from = bits.nextSetBit(to);
      }
      return new UnfinishedRanges(committed, committed + span, ranges);
    } catch (RuntimeException e) {
      return none(committed);
    }
  }
}
