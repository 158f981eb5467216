/**
 * The video diffusion transformer: {@link io.jsora.model.dit.DiTConfig} (every knob, JSON with the
 * reference's argument names), {@link io.jsora.model.dit.DiTPresets} (DiT-S/B/L/XL and the tiny
 * DiT-T, patch 2/4/8, completed from input shapes), {@link io.jsora.model.dit.TextConditioning}
 * (text in the form an arch takes), one block class per {@link io.jsora.model.dit.Arch}, the {@link
 * io.jsora.model.dit.FinalLayer}, the {@link io.jsora.model.dit.DiT} itself and {@link
 * io.jsora.model.dit.DiTCost} (parameters and FLOPs without building the model).
 *
 * <p>May depend on: {@code io.jsora.nn}, {@code io.jsora.tensor}, {@code io.jsora.parallel} (the
 * sequence-parallel collectives a model receives; the identity in one process), Jackson.
 */
package io.jsora.model.dit;
