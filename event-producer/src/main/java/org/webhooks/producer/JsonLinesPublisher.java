package org.webhooks.producer;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.webhooks.schemas.CallEventJson;
import org.webhooks.schemas.avro.CallEvent;

/**
 * Publishes a file of JSON lines, one outbound envelope plus {@code account_id} per line. A bad line
 * is reported as {@code line N: reason} and skipped; the good lines are all published.
 */
public final class JsonLinesPublisher {


  private final CallEventPublisher publisher;
  private final Clock clock;

  /**
   * @param publisher where the events go
   * @param clock gives the event time of lines without {@code timestamp}
   */
  public JsonLinesPublisher(CallEventPublisher publisher, Clock clock) {
    this.publisher = publisher;
    this.clock = clock;
  }

  /**
   * Reads every line, publishes the valid ones and waits until the broker has them all.
   *
   * @param lines the input; blank lines are ignored
   * @return what was published and what was skipped
   * @throws IOException when the input cannot be read
   */
  public Result publish(BufferedReader lines) throws IOException {
    List<String> errors = new ArrayList<>();
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
        sent.add(publisher.publish(event));
        sentLines.add(n);
      } catch (JsonProcessingException e) {
        errors.add("line " + n + ": not valid JSON (" + e.getOriginalMessage() + ")");
      } catch (IllegalArgumentException e) {
        errors.add("line " + n + ": " + e.getMessage());
      }
    }
    publisher.flush();
    int published = 0;
    for (int i = 0; i < sent.size(); i++) {
      try {
        sent.get(i).get();
        published++;
      } catch (ExecutionException e) {
        errors.add("line " + sentLines.get(i) + ": not published: " + e.getCause().getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while publishing", e);
      }
    }
    return new Result(published, errors);
  }

  /**
   * @param published lines the broker acknowledged
   * @param errors one {@code line N: reason} per line skipped or not published, in line order
   */
  public record Result(int published, List<String> errors) {}
}
