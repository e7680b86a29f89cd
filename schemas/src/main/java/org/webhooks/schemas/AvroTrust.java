package org.webhooks.schemas;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Declares the platform's generated Avro classes (package {@code org.webhooks.schemas.avro}) trusted
 * by Avro's class allow-list.
 *
 * <p>Since Avro 1.12.2, {@code SpecificData} checks every class it loads by name against
 * {@link ClassSecurityValidator} (hardening after CVE-2024-47561), and that check also refuses an
 * application's own generated classes unless they are declared (Avro issue AVRO-4189): creating a
 * {@code SpecificDatumReader}/{@code SpecificDatumWriter}, deep-copying a record with a nested
 * record, or building a record from its schema then fail with a {@link SecurityException}. Trusting
 * exactly this one generated package keeps the protection for every other class. The classes that
 * read or write Avro ({@link AvroSerde}, {@link CallEventJson}, {@link Topics}) install it when they
 * load; code that uses the generated classes by other paths calls {@link #install()} first.
 */
public final class AvroTrust {

  /** Package of the classes generated from {@code src/main/avro}. */
  public static final String GENERATED_PACKAGE = "org.webhooks.schemas.avro";

  private static boolean installed;

  private AvroTrust() {}

  /**
   * Adds the generated package to Avro's global allow-list, keeping whatever was trusted before.
   * Idempotent and thread-safe. A later {@link ClassSecurityValidator#setGlobal} by other code that
   * drops the previous predicate undoes it.
   */
  public static synchronized void install() {
    if (installed) {
      return;
    }
    ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
    ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(previous, AvroTrust::isGenerated));
    installed = true;
  }

  /** @return true for a class of the generated package (nested classes such as builders included). */
  static boolean isGenerated(Class<?> c) {
    return GENERATED_PACKAGE.equals(c.getPackageName());
  }
}
