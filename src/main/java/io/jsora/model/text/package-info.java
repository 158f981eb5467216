/**
 * Text encoders: captions to the hidden states and pooled vector a DiT is conditioned on.
 *
 * <p>{@link io.jsora.model.text.ClipTextModel} is the Hugging Face {@code CLIPTextModel} with its
 * parameter names, configured by {@link io.jsora.model.text.ClipTextConfig} from a {@code
 * config.json}; {@link io.jsora.model.text.ClipTokenizer} runs a {@code tokenizer.json} through the
 * Hugging Face tokenizers library; {@link io.jsora.model.text.ClipTextEncoder} joins the two behind
 * the {@link io.jsora.model.text.TextEncoder} interface. {@link io.jsora.model.text.TextEncoders}
 * resolves a spec (a directory, a Hugging Face id in the local cache given as a {@code
 * checkpoint.HubCache}, a built-in encoder) without network, and {@link
 * io.jsora.model.text.BuiltinTextEncoder} writes the tiny offline encoder in the same directory
 * layout. Configs are read through {@code checkpoint.HfConfig}.
 *
 * <p>May depend on: {@code io.jsora.nn} (the module base), {@code io.jsora.tensor}, {@code
 * io.jsora.checkpoint}, Jackson, the DJL tokenizers binding (whose own flags {@link
 * io.jsora.model.text.ClipTokenizer} sets from the environment).
 */
package io.jsora.model.text;
