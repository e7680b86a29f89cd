package org.webhooks.controlplane;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.openapi.contract.OpenAPIContract;
import java.time.Duration;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code /openapi.json} describes exactly the routes mounted: every route of the router is in the
 * document and every operation of the document is a route; and it is a valid OpenAPI 3.1 document
 * (Vert.x's own contract parser reads it).
 */
class OpenApiDocumentTest {

  @Test
  void everyMountedRouteIsInTheDocumentAndEveryDocumentedOperationIsMounted() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      Router router = Router.router(vertx);
      new WebhooksApi(null, null, null, null, null, Duration.ofSeconds(1), new ControlPlaneMetrics(), Duration.ZERO,
          null, null, null).mount(router, ControlPlane.openApiDocument());

      Set<String> mounted = new TreeSet<>();
      for (Route route : router.getRoutes()) {
        if (route.methods() == null || route.methods().isEmpty()) {
          continue; // the body handler and the JSON 404 of unknown paths, for every method
        }
        String path = route.getPath().replaceAll(":([a-z_]+)", "{$1}");
        for (HttpMethod m : route.methods()) {
          mounted.add(m.name() + " " + path);
        }
      }
      Set<String> documented = new TreeSet<>();
      JsonNode paths = ApiFixture.JSON.readTree(ControlPlane.openApiDocument()).get("paths");
      for (Iterator<String> it = paths.fieldNames(); it.hasNext(); ) {
        String path = it.next();
        for (Iterator<String> ops = paths.get(path).fieldNames(); ops.hasNext(); ) {
          String op = ops.next();
          if (!op.equals("parameters")) {
            documented.add(op.toUpperCase(Locale.ROOT) + " " + path);
          }
        }
      }

      assertThat(mounted).isNotEmpty().isEqualTo(documented);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theDocumentIsAValidOpenApi31Contract() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      OpenAPIContract contract = OpenAPIContract.from(vertx, new JsonObject(ControlPlane.openApiDocument()))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

      assertThat(contract.getVersion().name()).isEqualTo("V3_1");
      assertThat(contract.operation("createWebhook").getOpenAPIPath()).isEqualTo("/v1/webhooks");
      assertThat(contract.operation("rotateWebhookSecret").getOpenAPIPath()).isEqualTo("/v1/webhooks/{id}/secret/rotate");
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }
}
