/**
 * Thin conventions over libtorch ({@code org.bytedeco.pytorch}): loading the natives, thread
 * settings, devices, dtypes, seeding, shape checks and the memory-ownership model.
 *
 * <h2>Memory ownership</h2>
 *
 * Every {@link org.bytedeco.pytorch.Tensor} is a small Java handle owning one reference to a native
 * tensor. The garbage collector almost never sees native memory pressure, so jsora never relies on
 * it:
 *
 * <ol>
 *   <li>Long-lived objects (modules, parameters, optimizers, schedules on device) are created
 *       outside any {@link org.bytedeco.javacpp.PointerScope} and closed by their owner.
 *   <li>Every forward pass, training step and sampler step runs inside {@code try (PointerScope s =
 *       new PointerScope())}; every tensor made inside dies at the closing brace.
 *   <li>A tensor that must outlive its scope goes through {@link io.jsora.tensor.Scopes#keep}; the
 *       receiver then owns it and must {@code close()} it.
 *   <li>Methods document who owns what they return: "caller owns" means the caller closes it (or
 *       the caller's scope does).
 * </ol>
 *
 * The test suite checks this: a JUnit extension fails any test whose native pointer count does not
 * return to where it started.
 *
 * <p>May depend on: javacpp, pytorch, and {@code config} (the spelling of {@link
 * io.jsora.tensor.Precision}). Nothing else in jsora.
 */
package io.jsora.tensor;
