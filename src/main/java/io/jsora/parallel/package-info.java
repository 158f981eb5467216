/**
 * Distributed training on libtorch's c10d: process groups (Gloo on CPU, NCCL on CUDA), the data-
 * and sequence-parallel mesh, gradient averaging, ZeRO-2, sequence-parallel attention, the worker
 * launcher, and failure detection.
 *
 * <ul>
 *   <li>{@link io.jsora.parallel.DistEnv}: rank, world and Gloo's interface from the environment
 *       the caller passes (jsora launch, torchrun, Kubernetes, SLURM, Open MPI).
 *   <li>{@link io.jsora.parallel.ParallelContext}: rendezvous, the DP × SP mesh and its {@link
 *       io.jsora.parallel.Group}s, heartbeats and the watchdog ({@code PeerMonitor}); world size 1
 *       needs none of it.
 *   <li>{@link io.jsora.parallel.GradientSync}: parameters broadcast from rank 0, gradients
 *       averaged with bucketed all-reduce, for any optimizer.
 *   <li>{@link io.jsora.parallel.ZeroAdamW}: AdamW with optimizer state and gradients sharded over
 *       the ranks (ZeRO stage 2), full state gathered for checkpoints.
 *   <li>{@link io.jsora.parallel.ShardedSampler}: PyTorch's DistributedSampler order, with a
 *       resumable cursor.
 *   <li>{@link io.jsora.parallel.SequenceParallel} and {@link io.jsora.parallel.SpAttention}:
 *       split/gather/all-to-all with exact gradients; Ulysses and FastSeq attention.
 *   <li>{@link io.jsora.parallel.Launcher}: the worker processes of one node ({@code jsora
 *       launch}).
 * </ul>
 *
 * <p>May depend on: {@code io.jsora.tensor}, javacpp, pytorch. Nothing else in jsora.
 */
package io.jsora.parallel;
