package org.webhooks.stats;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Caps the native memory of every RocksDB store of the process at {@link #TOTAL_BYTES} bytes. By
 * default each store, and each segment of a window store (the attempt indexes keep one per
 * segment), has its own block cache (50 MiB) and up to three 16 MiB memtables, so the native
 * memory grows with the number of stores, segments and partitions, outside the JVM's heap and its
 * {@code -Xmx}. Here all of them share one block cache, and their memtables are charged to it
 * through one write buffer manager: a store flushes its memtable to disk when the total is reached.
 * This is the bounded-memory setup of the Kafka Streams memory-management documentation ("RocksDB").
 *
 * <p>Index and filter blocks go into the same cache (at high priority, the top level pinned), so
 * they are bounded too, at the price of a cache read for each lookup. The cache and manager are
 * shared by every store of the JVM and never closed: they live as long as the process.
 */
public final class BoundedRocksDbMemory implements RocksDBConfigSetter {

  /** Native memory of all RocksDB stores together: block cache, index and filter blocks, memtables, bytes. */
  static final long TOTAL_BYTES = 64L * 1024 * 1024;
  /** The part of {@link #TOTAL_BYTES} memtables may take, bytes. */
  static final long MEMTABLE_BYTES = 32L * 1024 * 1024;
  /** One memtable's size, bytes: several stores fill theirs at once within {@link #MEMTABLE_BYTES}. */
  static final long MEMTABLE_SIZE_BYTES = 4L * 1024 * 1024;
  /** Share of the cache kept for index and filter blocks. */
  private static final double INDEX_FILTER_SHARE = 0.1;

  private static final Cache CACHE = new LRUCache(TOTAL_BYTES, -1, false, INDEX_FILTER_SHARE);
  private static final WriteBufferManager WRITE_BUFFERS = new WriteBufferManager(MEMTABLE_BYTES, CACHE);

  /** Needed by Kafka Streams, which creates the setter from its class name. */
  public BoundedRocksDbMemory() {}

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
    table.setBlockCache(CACHE);
    table.setCacheIndexAndFilterBlocks(true);
    table.setCacheIndexAndFilterBlocksWithHighPriority(true);
    table.setPinTopLevelIndexAndFilter(true);
    options.setTableFormatConfig(table);
    options.setWriteBufferManager(WRITE_BUFFERS);
    options.setWriteBufferSize(MEMTABLE_SIZE_BYTES);
    options.setMaxWriteBufferNumber(2);
  }

  @Override
  public void close(String storeName, Options options) {
    // the cache and the write buffer manager are shared by every store and outlive each of them
  }

  /** @return the cache every store shares (tests read its usage). */
  static Cache cache() {
    return CACHE;
  }
}
