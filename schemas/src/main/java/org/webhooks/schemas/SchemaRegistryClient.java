package org.webhooks.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * A client of the Confluent Schema Registry REST API (also served by Apicurio's
 * {@code /apis/ccompat/v7}, Karapace and Redpanda), with caches so that each schema is registered
 * and each id looked up once per process.
 */
public final class SchemaRegistryClient {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

  private final String baseUrl;
  private final HttpClient http;
  private final Map<String, Integer> idBySubjectAndSchema = new ConcurrentHashMap<>();
  private final Map<Integer, Schema> schemaById = new ConcurrentHashMap<>();

  /** @param baseUrl e.g. {@code http://127.0.0.1:8081/apis/ccompat/v7} (a trailing slash is dropped) */
  public SchemaRegistryClient(String baseUrl) {
    this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** @return the base URL this client talks to. */
  public String baseUrl() {
    return baseUrl;
  }

  /**
   * Registers {@code schema} under {@code subject} (idempotent on the registry side).
   *
   * @return the global schema id
   * @throws RegistryException when the registry refuses (e.g. 409 incompatible) or cannot be reached
   */
  public int register(String subject, Schema schema) {
    String key = subject + "\u0000" + schema.toString();
    return idBySubjectAndSchema.computeIfAbsent(key, k -> {
      String body = JSON.createObjectNode().put("schema", schema.toString()).toString();
      JsonNode reply = call(HttpRequest.newBuilder(URI.create(baseUrl + "/subjects/" + subject + "/versions"))
          .header("content-type", CONTENT_TYPE)
          .POST(HttpRequest.BodyPublishers.ofString(body)));
      int id = reply.path("id").asInt(-1);
      schemaById.putIfAbsent(id, schema);
      return id;
    });
  }

  /**
   * @return the schema with this global id
   * @throws RegistryException when the id is unknown or the registry cannot be reached
   */
  public Schema schemaById(int id) {
    return schemaById.computeIfAbsent(id, i -> {
      JsonNode reply = call(HttpRequest.newBuilder(URI.create(baseUrl + "/schemas/ids/" + i)).GET());
      return new Schema.Parser().parse(reply.path("schema").asText());
    });
  }

  /**
   * Sets the compatibility level of a subject (Apicurio defaults to NONE; the platform uses BACKWARD).
   *
   * @throws RegistryException when the registry refuses or cannot be reached
   */
  public void setCompatibility(String subject, String level) {
    String body = JSON.createObjectNode().put("compatibility", level).toString();
    call(HttpRequest.newBuilder(URI.create(baseUrl + "/config/" + subject))
        .header("content-type", CONTENT_TYPE)
        .PUT(HttpRequest.BodyPublishers.ofString(body)));
  }

  private JsonNode call(HttpRequest.Builder request) {
    try {
      HttpResponse<String> response =
          http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() / 100 == 5) {
        // a registry that is starting (replaying its journal) or overloaded answers 5xx: transient
        throw new RegistryUnreachableException("schema registry " + response.request().method() + " "
            + response.uri() + " answered " + response.statusCode() + ": " + response.body(), null);
      }
      if (response.statusCode() / 100 != 2) {
        throw new RegistryException("schema registry " + response.request().method() + " "
            + response.uri() + " answered " + response.statusCode() + ": " + response.body());
      }
      return JSON.readTree(response.body());
    } catch (IOException e) {
      throw new RegistryUnreachableException("schema registry at " + baseUrl + " cannot be reached: " + describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryUnreachableException("interrupted while calling the schema registry", e);
    }
  }

  /**
   * @return true when {@code e} or one of its causes is a {@link RegistryUnreachableException}: the
   *     registry could not be reached or answered 5xx, which is nobody's record's fault, so the
   *     record is to be read again later rather than dead-lettered (serdes and Kafka Streams wrap
   *     the exception, hence the walk along the causes)
   */
  public static boolean isUnreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof RegistryUnreachableException) {
        return true;
      }
    }
    return false;
  }

  /**
   * @return the first message along the causes, with its exception's simple name: the HTTP client's
   *     own exception often has none and the socket's error is its cause
   */
  private static String describe(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        return t.getMessage() + " (" + t.getClass().getSimpleName() + ")";
      }
    }
    return e.getClass().getSimpleName();
  }

  /** The registry refused a call (4xx: unknown id, incompatible schema) or could not be reached. */
  public static class RegistryException extends RuntimeException {
    public RegistryException(String message) {
      super(message);
    }

    public RegistryException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * The registry could not be reached, the call was interrupted, or it answered 5xx: a transient
   * failure, unlike a refusal.
   */
  public static final class RegistryUnreachableException extends RegistryException {
    public RegistryUnreachableException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
