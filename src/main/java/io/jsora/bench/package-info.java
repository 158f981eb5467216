/**
 * Measurement: repeated timed runs with warm-up, medians with spread, throughput and memory
 * figures, printed as tables and written as JSON records. Benchmarks measure; tests never assert
 * times.
 *
 * <p>May depend on: every model, data and training package; nothing depends on it but the CLI.
 */
package io.jsora.bench;
