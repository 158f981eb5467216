/**
 * Video files in and out through FFmpeg: {@link io.jsora.video.VideoReader} probes and decodes any
 * container and codec FFmpeg reads into {@code uint8 [T, H, W, 3]} tensors (optionally resampled in
 * time, resized and cropped), {@link io.jsora.video.VideoWriter} writes H.264 MP4, other codecs,
 * animated GIF, {@link io.jsora.video.ContactSheet} draws labelled PNG contact sheets, and {@link
 * io.jsora.video.Frames} converts between the byte layout and the float {@code [B, 3, T, H, W]}
 * layout in {@code [-0.5, 0.5]} that the video compressors take.
 *
 * <p>Frame bytes move in bulk: swscale writes each decoded frame straight into tensor memory, and
 * the writer reads each frame straight from tensor memory, one native call per frame.
 *
 * <p>May depend on: {@code io.jsora.tensor}, {@code io.jsora.checkpoint} (atomic file writes), the
 * FFmpeg presets of JavaCPP.
 */
package io.jsora.video;
