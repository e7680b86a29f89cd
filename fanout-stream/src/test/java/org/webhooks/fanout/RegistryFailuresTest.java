package org.webhooks.fanout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.IOException;
import java.net.ServerSocket;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.webhooks.embedded.TestStack;
import org.webhooks.schemas.AvroSerde;
import org.webhooks.schemas.SchemaRegistryClient;
import org.webhooks.schemas.avro.CallEvent;

class RegistryFailuresTest {

  @Test
  void aRegistryThatCannotBeReachedIsUnreachable() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    AvroSerde<CallEvent> serde = new AvroSerde<>(
        new SchemaRegistryClient("http://127.0.0.1:" + closedPort + "/apis/ccompat/v7"), CallEvent.getClassSchema());
    Throwable failure = catchThrowable(() -> serde.deserialize("call-events", new byte[] {0, 0, 0, 0, 7, 2}));

    assertThat(failure).isInstanceOf(SerializationException.class);
    assertThat(RegistryFailures.isUnreachable(failure)).isTrue();
  }

  @Test
  void anIdTheRegistryDoesNotKnowIsTheRecordsFault() {
    AvroSerde<CallEvent> serde = new AvroSerde<>(
        new SchemaRegistryClient(TestStack.shared().registryUrl()), CallEvent.getClassSchema());
    Throwable failure = catchThrowable(
        () -> serde.deserialize("call-events", new byte[] {0, 0x7f, 0x7f, 0x7f, 0x7f, 2}));

    assertThat(failure).isInstanceOf(SerializationException.class);
    assertThat(RegistryFailures.isUnreachable(failure)).isFalse();
  }

  @Test
  void bytesThatAreNotTheWireFormatAreTheRecordsFault() {
    AvroSerde<CallEvent> serde = new AvroSerde<>(
        new SchemaRegistryClient(TestStack.shared().registryUrl()), CallEvent.getClassSchema());
    Throwable failure = catchThrowable(() -> serde.deserialize("call-events", "garbage".getBytes()));

    assertThat(RegistryFailures.isUnreachable(failure)).isFalse();
  }
}
