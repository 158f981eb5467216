/**
 * The {@code jsora} command line (picocli). The only package that reads arguments, environment
 * variables and configuration files; everything else receives typed values. Nothing depends on it.
 */
package io.jsora.cli;
