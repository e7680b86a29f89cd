package org.webhooks.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DeliveryIdsTest {

  @Test
  void isDlvAndTheFirst24HexDigitsOfSha256OfSubscriptionSlashEvent() {
    // sha256("sub_1/evt_1") computed outside Java.
    assertThat(DeliveryIds.of("sub_1", "evt_1")).isEqualTo("dlv_021a9aca70168189bb3729fb");
  }

  @Test
  void differsPerSubscriptionAndPerEvent() {
    assertThat(DeliveryIds.of("sub_1", "evt_1"))
        .isNotEqualTo(DeliveryIds.of("sub_2", "evt_1"))
        .isNotEqualTo(DeliveryIds.of("sub_1", "evt_2"));
  }
}
