package org.webhooks.fanout;

import java.io.IOException;
import org.webhooks.schemas.SchemaRegistryClient;

/**
 * Tells a record that cannot be decoded apart from a registry that cannot be reached. The first is
 * the record's fault and goes to the dead-letter topic; the second is nobody's record's fault, so
 * the record must be retried once the registry is back rather than dead-lettered or dropped.
 */
final class RegistryFailures {

  private RegistryFailures() {}

  /**
   * @return true when {@code e} or one of its causes is a {@link SchemaRegistryClient.RegistryException}
   *     caused by I/O failure or interruption ({@link SchemaRegistryClient} wraps those, and only those,
   *     with a cause; a refusal such as 404 has none)
   */
  static boolean isUnreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SchemaRegistryClient.RegistryException
          && (t.getCause() instanceof IOException || t.getCause() instanceof InterruptedException)) {
        return true;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }
}
