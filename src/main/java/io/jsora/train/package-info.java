/**
 * Model-independent training infrastructure: the AdamW set-up with decay groups and a readable
 * optimizer state, learning-rate schedules, the fp32 EMA, gradient clipping, the NaN/inf guard,
 * atomic checkpoints that resume bit-identically, metrics and the loss plot, and the {@link
 * io.jsora.train.TrainListener} hooks a trainer calls.
 *
 * <p>Nothing here knows a model: everything takes a {@link org.bytedeco.pytorch.Module} and its
 * named parameters.
 *
 * <p>May depend on: {@code io.jsora.tensor}, {@code io.jsora.checkpoint}, Jackson, XChart, SLF4J.
 */
package io.jsora.train;
