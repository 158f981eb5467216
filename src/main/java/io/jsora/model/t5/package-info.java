/**
 * The T5 v1.1 text encoder of Open-Sora 1.2 ({@code DeepFloyd/t5-v1_1-xxl}).
 *
 * <p>{@link io.jsora.model.t5.T5Config} binds a Hugging Face T5 {@code config.json}; {@link
 * io.jsora.model.t5.T5Encoder} is {@code T5EncoderModel} with its parameter names (RMS norms,
 * gated-GELU feed-forward, unscaled attention with a relative-position bias shared from block 0);
 * {@link io.jsora.model.t5.T5Weights} loads the published single and sharded safetensors and {@code
 * torch.save} files strictly, skipping a whole model's decoder; {@link
 * io.jsora.model.t5.T5Tokenizer} runs {@code spiece.model} through DJL's SentencePiece binding with
 * T5's end token, sentinels, padding and truncation; {@link io.jsora.model.t5.T5TextEncoder} joins
 * them behind {@link io.jsora.model.text.TextEncoder} as Open-Sora's {@code T5Embedder} does;
 * {@link io.jsora.model.t5.T5TextEncoders} loads text encoders by spec, T5 ({@code t5:DIR}, or a
 * directory whose config says {@code model_type: t5}) besides those of {@code model.text}.
 *
 * <p>May depend on: {@code io.jsora.tensor}, {@code io.jsora.nn}, {@code io.jsora.checkpoint},
 * {@code io.jsora.model.text}, Jackson, the DJL SentencePiece binding.
 */
package io.jsora.model.t5;
