package org.webhooks.producer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.SerializationException;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.SchemaRegistryClient.RegistryException;
import org.webhooks.schemas.Setting;
import org.webhooks.schemas.WebhooksConfig;
import org.webhooks.schemas.avro.CallEvent;

/**
 * Publishes a file of JSON lines, one outbound envelope plus {@code account_id} per line. A bad line
 * is reported as {@code line N: reason} and skipped; the good lines are all published.
 */
public final class JsonLinesPublisher {

  private final CallEventPublisher publisher;
  private final Clock clock;
  private final int maxEventBytes;

  /**
   * With the default largest event ({@code WEBHOOKS_MAX_EVENT_BYTES}).
   *
   * @param publisher where the events go
   * @param clock gives the event time of lines without {@code timestamp}
   */
  public JsonLinesPublisher(CallEventPublisher publisher, Clock clock) {
    this(publisher, clock, WebhooksConfig.defaults().maxEventBytes());
  }

  /**
   * @param publisher where the events go
   * @param clock gives the event time of lines without {@code timestamp}
   * @param maxEventBytes the largest event, in bytes of the body a receiver would get; a line whose
   *     event renders larger is refused, since the fanout would dead-letter it
   */
  public JsonLinesPublisher(CallEventPublisher publisher, Clock clock, int maxEventBytes) {
    this.publisher = publisher;
    this.clock = clock;
    this.maxEventBytes = maxEventBytes;
  }

  /**
   * Reads every line, publishes the valid ones and waits until the broker has them all.
   *
   * @param lines the input; blank lines are ignored
   * @return what was published and what was skipped
   * @throws IOException when the input cannot be read
   * @throws RegistryException when the schema registry refuses or cannot be reached: no line could
   *     be published, so publishing stops at the first line that needed it
   */
  public Result publish(BufferedReader lines) throws IOException {
    // line number -> reason; sends fail after later lines were read, so the map puts them in order
    Map<Integer, String> errors = new TreeMap<>();
    List<CompletableFuture<RecordMetadata>> sent = new ArrayList<>();
    List<Integer> sentLines = new ArrayList<>();
    String line;
    int n = 0;
    while ((line = lines.readLine()) != null) {
      n++;
      if (line.isBlank()) {
        continue;
      }
      try {
        JsonNode node = CallEventJson.readEnvelope(line);
        CallEvent event = CallEventJson.parse(node, clock.instant());
        int size = CallEventJson.render(event).length;
        if (size > maxEventBytes) {
          errors.put(n, "line " + n + ": the event is " + size + " bytes as a receiver gets it, more than the "
              + maxEventBytes + " of " + Setting.MAX_EVENT_BYTES.flag() + " / " + Setting.MAX_EVENT_BYTES.envName());
          continue;
        }
        sent.add(publisher.publish(event));
        sentLines.add(n);
      } catch (JsonProcessingException e) {
        errors.put(n, "line " + n + ": not valid JSON (" + e.getOriginalMessage() + ")");
      } catch (IllegalArgumentException e) {
        errors.put(n, "line " + n + ": " + e.getMessage());
      } catch (SerializationException e) {
        throwIfRegistryFailed(e);
        errors.put(n, "line " + n + ": not published: " + e.getMessage());
      }
    }
    publisher.flush();
    int published = 0;
    for (int i = 0; i < sent.size(); i++) {
      try {
        sent.get(i).get();
        published++;
      } catch (ExecutionException e) {
        throwIfRegistryFailed(e.getCause());
        errors.put(sentLines.get(i), "line " + sentLines.get(i) + ": not published: " + e.getCause().getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while publishing", e);
      }
    }
    return new Result(published, List.copyOf(errors.values()));
  }

  /** A registry that fails fails every line alike: one error for the command, not one per line. */
  private static void throwIfRegistryFailed(Throwable e) {
    if (e instanceof SerializationException && e.getCause() instanceof RegistryException registry) {
      throw registry;
    }
  }

  /**
   * @param published lines the broker acknowledged
   * @param errors one {@code line N: reason} per line skipped or not published, in line order
   */
  public record Result(int published, List<String> errors) {}
}
