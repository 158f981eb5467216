/**
 * STDiT3, the Open-Sora 1.2 video transformer, with the released checkpoint's config fields and
 * state-dict keys: {@link io.jsora.model.stdit3.STDiT3Config} (the {@code config.json}), the layers
 * (3D patch embedding, spatial/temporal {@link io.jsora.model.stdit3.STDiT3Block}s with QK-norm,
 * RoPE and masked cross-attention, the PixArt final layer), {@link io.jsora.model.stdit3.STDiT3}
 * itself and {@link io.jsora.model.stdit3.STDiT3Cost} (parameters and FLOPs in closed form).
 *
 * <p>May depend on: {@code io.jsora.nn}, {@code io.jsora.tensor}, {@code io.jsora.parallel}, {@code
 * io.jsora.checkpoint}, Jackson.
 */
package io.jsora.model.stdit3;
