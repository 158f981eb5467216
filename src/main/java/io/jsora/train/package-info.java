/**
 * Model-independent training infrastructure: the AdamW set-up with decay groups and a readable
 * optimizer state, learning-rate schedules, the fp32 EMA, gradient clipping, the NaN/inf guard,
 * atomic checkpoints that resume bit-identically, metrics and the loss plot, and the {@link
 * io.jsora.train.TrainListener} hooks a trainer calls.
 *
 * <p>The infrastructure takes any {@link org.bytedeco.pytorch.Module} and its named parameters;
 * {@link io.jsora.train.Trainer} ties it to a run: data, compressor, the model (a DiT or an STDiT3,
 * through {@code TrainedModel}), diffusion, parallelism, resume or a fresh start from another
 * model's weights ({@code InitFrom}, {@code --init-from}), and writes checkpoints in the layout
 * {@code run.CheckpointLayout} describes.
 *
 * <p>May depend on: {@code config}, {@code tensor}, {@code checkpoint}, {@code nn}, {@code video},
 * {@code data}, {@code data.bucket}, {@code diffusion}, {@code parallel}, {@code run}, {@code
 * model.*}; Jackson, XChart, SLF4J.
 */
package io.jsora.train;
