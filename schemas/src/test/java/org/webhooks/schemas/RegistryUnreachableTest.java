package org.webhooks.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;
import org.webhooks.testing.TestStack;
import org.webhooks.schemas.avro.CallEvent;

/** A registry that cannot answer is told apart from a record that cannot be decoded. */
class RegistryUnreachableTest {

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
    assertThat(SchemaRegistryClient.isUnreachable(failure)).isTrue();
  }

  @Test
  void aRegistryAnswering503IsUnreachable() throws IOException {
    // a registry replaying its journal at start answers 5xx; records read then must not be dead-lettered
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", exchange -> {
      byte[] body = "{\"error_code\":50301,\"message\":\"starting\"}".getBytes();
      exchange.sendResponseHeaders(503, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    try {
      AvroSerde<CallEvent> serde = new AvroSerde<>(new SchemaRegistryClient(
          "http://127.0.0.1:" + server.getAddress().getPort() + "/apis/ccompat/v7"), CallEvent.getClassSchema());
      Throwable failure = catchThrowable(() -> serde.deserialize("call-events", new byte[] {0, 0, 0, 0, 7, 2}));

      assertThat(failure).isInstanceOf(SerializationException.class).hasMessageContaining("503");
      assertThat(SchemaRegistryClient.isUnreachable(failure)).isTrue();
    } finally {
      server.stop(0);
    }
  }

  @Test
  void anIdTheRegistryDoesNotKnowIsTheRecordsFault() {
    AvroSerde<CallEvent> serde = new AvroSerde<>(
        new SchemaRegistryClient(TestStack.shared().registryUrl()), CallEvent.getClassSchema());
    Throwable failure = catchThrowable(
        () -> serde.deserialize("call-events", new byte[] {0, 0x7f, 0x7f, 0x7f, 0x7f, 2}));

    assertThat(failure).isInstanceOf(SerializationException.class);
    assertThat(SchemaRegistryClient.isUnreachable(failure)).isFalse();
  }

  @Test
  void bytesThatAreNotTheWireFormatAreTheRecordsFault() {
    AvroSerde<CallEvent> serde = new AvroSerde<>(
        new SchemaRegistryClient(TestStack.shared().registryUrl()), CallEvent.getClassSchema());
    Throwable failure = catchThrowable(() -> serde.deserialize("call-events", "garbage".getBytes()));

    assertThat(SchemaRegistryClient.isUnreachable(failure)).isFalse();
  }
}
