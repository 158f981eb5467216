package io.jsora.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.jsora.checkpoint.AtomicFiles;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The loss curve as a PNG: the raw loss per logged step (light) and its exponential moving average
 * (dark), on a log scale when every value is positive.
 */
public final class LossPlot {
  private LossPlot() {}

  static {
    System.setProperty("java.awt.headless", "true");
  }

  /**
   * Writes the plot of {@code loss} against {@code steps} to {@code png} (atomically).
   *
   * @param smoothing the EMA factor of the smoothed curve, e.g. 0.98; 0 draws no smoothed curve
   */
  public static void write(Path png, long[] steps, double[] loss, String title, double smoothing)
      throws IOException {
    if (steps.length != loss.length) {
      throw new IllegalArgumentException(
          "loss plot: " + steps.length + " steps but " + loss.length + " loss values");
    }
    List<Double> xs = new ArrayList<>();
    List<Double> ys = new ArrayList<>();
    boolean positive = true;
    for (int i = 0; i < steps.length; i++) {
      if (Double.isFinite(loss[i])) {
        xs.add((double) steps[i]);
        ys.add(loss[i]);
        positive &= loss[i] > 0;
      }
    }
    XYChart chart =
        new XYChartBuilder()
            .width(800)
            .height(500)
            .title(title)
            .xAxisTitle("step")
            .yAxisTitle("loss")
            .build();
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setLegendVisible(smoothing > 0);
    chart.getStyler().setYAxisLogarithmic(positive && !ys.isEmpty());
    if (xs.isEmpty()) {
      xs.add(0.0);
      ys.add(positive ? 1.0 : 0.0);
    }
    XYSeries raw = chart.addSeries("loss", xs, ys);
    raw.setMarker(SeriesMarkers.NONE);
    raw.setLineColor(new Color(120, 160, 220));
    raw.setLineStyle(new BasicStroke(1f));
    if (smoothing > 0 && xs.size() > 1) {
      List<Double> smooth = new ArrayList<>();
      double acc = ys.get(0);
      for (double y : ys) {
        acc = smoothing * acc + (1 - smoothing) * y;
        smooth.add(acc);
      }
      XYSeries s = chart.addSeries("smoothed", xs, smooth);
      s.setMarker(SeriesMarkers.NONE);
      s.setLineColor(new Color(20, 50, 140));
      s.setLineStyle(new BasicStroke(2f));
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    BitmapEncoder.saveBitmap(chart, bytes, BitmapEncoder.BitmapFormat.PNG);
    byte[] data = bytes.toByteArray();
    AtomicFiles.write(
        png,
        ch -> {
          java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(data);
          while (b.hasRemaining()) {
            ch.write(b);
          }
        });
  }

  /** Plots the {@code "loss"} of every record in a {@link MetricsLog} file. */
  public static void fromMetrics(Path metricsJsonl, Path png, String title) throws IOException {
    List<JsonNode> records = MetricsLog.read(metricsJsonl);
    List<long[]> pts = new ArrayList<>();
    List<Double> vals = new ArrayList<>();
    for (JsonNode n : records) {
      if (n.has("loss") && n.get("loss").isNumber()) {
        pts.add(new long[] {n.get("step").asLong()});
        vals.add(n.get("loss").asDouble());
      }
    }
    long[] steps = new long[pts.size()];
    double[] loss = new double[pts.size()];
    for (int i = 0; i < steps.length; i++) {
      steps[i] = pts.get(i)[0];
      loss[i] = vals.get(i);
    }
    write(png, steps, loss, title, 0.98);
  }
}
