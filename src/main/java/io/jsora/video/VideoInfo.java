package io.jsora.video;

import java.nio.file.Path;

/**
 * What a video file holds, read from its headers (and, where the container does not store a frame
 * count, from its packet index) without decoding the frames.
 *
 * @param file the file
 * @param container demuxer name, e.g. {@code mov,mp4,m4a,3gp,3g2,mj2}
 * @param codec video codec name, e.g. {@code h264}
 * @param width frame width in pixels
 * @param height frame height in pixels
 * @param frames frame count: the container's count, else the number of video packets
 * @param fps average frame rate (frames per second), 0 when unknown
 * @param durationSeconds duration of the video stream, 0 when unknown
 */
public record VideoInfo(
    Path file,
    String container,
    String codec,
    int width,
    int height,
    long frames,
    double fps,
    double durationSeconds) {}
