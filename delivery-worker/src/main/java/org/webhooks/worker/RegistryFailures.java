package org.webhooks.worker;

import java.io.IOException;
import org.webhooks.schemas.SchemaRegistryClient;

/**
 * Tells a record that cannot be decoded apart from a schema registry that cannot be reached. The
 * first is the record's fault; the second is nobody's, so the record is read again later instead
 * of being dead-lettered or dropped.
 */
final class RegistryFailures {

  private RegistryFailures() {}

  /**
   * @return true when {@code e} or a cause is a {@link SchemaRegistryClient.RegistryException} caused
   *     by I/O failure or interruption ({@link SchemaRegistryClient} gives those, and only those, a
   *     cause; a refusal such as 404 has none)
   */
  static boolean isUnreachable(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SchemaRegistryClient.RegistryException
          && (t.getCause() instanceof IOException || t.getCause() instanceof InterruptedException)) {
        return true;
      }
    }
    return false;
  }
}
