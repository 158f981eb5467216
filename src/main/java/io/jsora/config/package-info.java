/**
 * How settings are spelled: {@link io.jsora.config.Choice}, the one parse convention of every
 * enum-like setting (canonical id plus declared aliases), and its error. Depends on nothing in
 * jsora; every package may use it.
 */
package io.jsora.config;
