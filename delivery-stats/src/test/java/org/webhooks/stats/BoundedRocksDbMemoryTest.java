package org.webhooks.stats;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;

class BoundedRocksDbMemoryTest {

  @TempDir Path dir;

  @Test
  void theServiceGivesItsStoresTheBound() {
    assertThat(DeliveryStatsService.streamsProperties(WebhooksConfig.defaults()
            .with(Setting.BOOTSTRAP_SERVERS, "localhost:9092"), dir, null)
        .get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG)).isEqualTo(BoundedRocksDbMemory.class);
  }

  @Test
  void everyStoreSharesOneWriteBufferManagerAndSmallMemtables() {
    RocksDB.loadLibrary();
    try (Options a = storeOptions(); Options b = storeOptions()) {
      new BoundedRocksDbMemory().setConfig("minute-stats", a, new HashMap<>());
      new BoundedRocksDbMemory().setConfig("attempts-by-subscription.1700000000000", b, new HashMap<>());

      assertThat(a.writeBufferManager()).isNotNull().isSameAs(b.writeBufferManager());
      assertThat(a.writeBufferSize()).isEqualTo(BoundedRocksDbMemory.MEMTABLE_SIZE_BYTES);
      assertThat(a.maxWriteBufferNumber()).isEqualTo(2);
      assertThat(((BlockBasedTableConfig) a.tableFormatConfig()).cacheIndexAndFilterBlocks()).isTrue();
    }
  }

  @Test
  void writingFarMoreThanTheBoundKeepsTheCacheWithinIt() throws Exception {
    RocksDB.loadLibrary();
    byte[] value = new byte[4096];
    try (Options options = storeOptions().setCreateIfMissing(true)) {
      new BoundedRocksDbMemory().setConfig("attempts-by-event", options, new HashMap<>());
      try (RocksDB db = RocksDB.open(options, dir.resolve("store").toString())) {
        // 160 MiB of values, five times the memtables' share, and read back a part of them
        for (int i = 0; i < 40_000; i++) {
          ThreadLocalRandom.current().nextBytes(value);
          db.put(key(i), value);
        }
        for (int i = 0; i < 40_000; i += 7) {
          assertThat(db.get(key(i))).hasSize(value.length);
        }
        // the memtables and the blocks read are charged to the shared cache, which stays within the bound
        assertThat(BoundedRocksDbMemory.cache().getUsage()).isPositive()
            .isLessThanOrEqualTo(BoundedRocksDbMemory.TOTAL_BYTES);
      }
    }
  }

  private static byte[] key(int i) {
    return ("attempt-" + i).getBytes(StandardCharsets.UTF_8);
  }

  private static Options storeOptions() {
    return new Options().setTableFormatConfig(new BlockBasedTableConfig());
  }
}
