/**
 * {@code jsora serve}: a generation service with the shape of OpenAI's {@code /v1/videos} API and a
 * web page. Requests bind to records and are checked against the checkpoint ({@link
 * io.jsora.serve.Limits}); jobs queue in {@link io.jsora.serve.JobRunner}, run one per worker in
 * their own native-memory scope, and persist under the outputs directory ({@link
 * io.jsora.serve.JobStore}); {@link io.jsora.serve.VideoServer} holds the routes. The only class
 * that calls the pipeline is {@link io.jsora.serve.PipelineGenerator}.
 *
 * <p>May depend on: {@code pipeline} and what it exposes ({@code model.dit}, {@code model.vae},
 * {@code diffusion}, {@code train} for the checkpoint layout), {@code video}, {@code checkpoint},
 * {@code tensor}.
 */
package io.jsora.serve;
