/**
 * Layers shared by jsora's models, written on libtorch's functional ops with PyTorch state-dict
 * names: patch embedding, timestep and caption embedders, attention (projections, SDPA core and
 * output projection as separate steps), MLP, adaLN modulation, sin-cos position tables, and
 * activation checkpointing, and the named spans and backward marks a profiler records ({@link
 * io.jsora.nn.Trace}).
 *
 * <p>{@link io.jsora.nn.Layer} is the base of every model module: it registers children under their
 * state-dict names, owns their handles and counts parameters.
 *
 * <p>Every layer is an {@link org.bytedeco.pytorch.Module} built outside any {@code PointerScope}
 * (or inside the scope that owns the model); forward methods allocate only inside the caller's
 * scope and return tensors the caller's scope owns.
 *
 * <p>{@link io.jsora.nn.BlasThreads} lowers OpenBLAS's thread count around the fused attention
 * kernel (forward and backward), which calls BLAS from inside torch's own threads.
 *
 * <p>May depend on: {@code io.jsora.tensor}, javacpp, pytorch, openblas (its thread count).
 */
package io.jsora.nn;
