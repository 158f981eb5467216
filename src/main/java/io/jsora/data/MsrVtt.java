package io.jsora.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jsora.checkpoint.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * MSR-VTT: download the archive the reference used and collate it into per-split caption files.
 *
 * <p>Layout of the unpacked archive ({@code MSRVTT/}): {@code annotation/MSR_VTT.json} (COCO style,
 * {@code {"annotations": [{"image_id": "video123", "caption": "..."}]}}), {@code
 * structured-symlinks/{train,val,test}_list_full.txt} (one video id per line) and {@code
 * videos/all/video123.mp4}.
 */
public final class MsrVtt {
  private MsrVtt() {}

  /** Where the reference downloaded MSR-VTT from. */
  public static final URI URL =
      URI.create("https://www.robots.ox.ac.uk/~maxbain/frozen-in-time/data/MSRVTT.zip");

  /** The splits, in the order a video listed in several is assigned. */
  public static final List<String> SPLITS = List.of("train", "val", "test");

  /**
   * Extracts {@code zip} into {@code dir}, skipping entries already present with the right size (so
   * an interrupted unzip continues). Refuses entries that would land outside {@code dir}.
   *
   * @return the number of files written
   */
  public static int unzip(Path zip, Path dir, Progress progress) throws IOException {
    int written = 0;
    Path root = dir.toAbsolutePath().normalize();
    try (ZipFile z = new ZipFile(zip.toFile())) {
      long total = 0;
      for (Enumeration<? extends ZipEntry> e = z.entries(); e.hasMoreElements(); ) {
        total += Math.max(0, e.nextElement().getSize());
      }
      progress.max(total);
      for (Enumeration<? extends ZipEntry> e = z.entries(); e.hasMoreElements(); ) {
        ZipEntry entry = e.nextElement();
        Path out = root.resolve(entry.getName()).normalize();
        if (!out.startsWith(root)) {
          throw new IOException(
              zip + ": entry " + entry.getName() + " would be written outside " + root);
        }
        if (entry.isDirectory()) {
          Files.createDirectories(out);
          continue;
        }
        if (Files.isRegularFile(out) && Files.size(out) == entry.getSize()) {
          progress.step(entry.getSize());
          continue;
        }
        Files.createDirectories(out.getParent());
        Path tmp = out.resolveSibling("." + out.getFileName() + ".unzip");
        try (InputStream in = z.getInputStream(entry)) {
          Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        AtomicFiles.moveAtomically(tmp, out);
        progress.step(Math.max(0, entry.getSize()));
        written++;
      }
    } catch (java.util.zip.ZipException e) {
      throw new IOException(
          zip
              + ": not a readable zip archive ("
              + e.getMessage()
              + "); delete it to download again",
          e);
    }
    return written;
  }

  /**
   * What {@link #collate} did.
   *
   * @param videos per split, the number of videos written
   * @param captions per split, the number of captions
   * @param missingVideos per split, ids listed with captions but without a video file
   * @param noSplit ids with captions that no split lists
   * @param noCaptions ids a split lists that have no caption
   * @param inSeveralSplits ids listed by more than one split (kept in the first of train, val,
   *     test)
   * @param links files hard-linked
   * @param copies files copied (hard links not possible)
   */
  public record Summary(
      Map<String, Integer> videos,
      Map<String, Integer> captions,
      Map<String, List<String>> missingVideos,
      List<String> noSplit,
      List<String> noCaptions,
      List<String> inSeveralSplits,
      int links,
      int copies) {}

  /**
   * Writes {@code out/{train,val,test}/annotations.json} ({@code [{"file": "video1.mp4",
   * "captions": [...]}]}, every caption of a video grouped in one entry, videos in order of first
   * caption) and {@code out/{split}/videos/} (hard links where the file system allows, else
   * copies).
   *
   * @param forceCopy copy even where a hard link is possible
   */
  public static Summary collate(Path in, Path out, boolean forceCopy, Progress progress)
      throws IOException {
    Path annotationFile = in.resolve("annotation").resolve("MSR_VTT.json");
    if (!Files.isRegularFile(annotationFile)) {
      throw new IOException(
          annotationFile
              + ": no such file (expected the unpacked MSR-VTT layout: annotation/MSR_VTT.json, "
              + "structured-symlinks/*_list_full.txt, videos/all/)");
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode root;
    try {
      root = json.readTree(annotationFile.toFile());
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IOException(
          annotationFile
              + ": not valid JSON ("
              + e.getOriginalMessage()
              + " at line "
              + e.getLocation().getLineNr()
              + ")",
          e);
    }
    JsonNode anns = root.get("annotations");
    if (anns == null || !anns.isArray()) {
      throw new IOException(
          annotationFile + ": expected {\"annotations\": [{\"image_id\": ..., \"caption\": ...}]}");
    }
    Map<String, List<String>> byVideo = new LinkedHashMap<>();
    int index = 0;
    for (JsonNode a : anns) {
      JsonNode id = a.get("image_id");
      JsonNode cap = a.get("caption");
      if (id == null || cap == null || !cap.isTextual()) {
        throw new IOException(
            annotationFile + ": annotation " + index + " lacks image_id or a text caption: " + a);
      }
      byVideo.computeIfAbsent(id.asText(), k -> new ArrayList<>()).add(cap.asText());
      index++;
    }
    Map<String, String> splitOf = new LinkedHashMap<>();
    List<String> several = new ArrayList<>();
    Map<String, Set<String>> lists = new LinkedHashMap<>();
    for (String split : SPLITS) {
      Path list = in.resolve("structured-symlinks").resolve(split + "_list_full.txt");
      if (!Files.isRegularFile(list)) {
        throw new IOException(list + ": no such file (the " + split + " split list)");
      }
      Set<String> ids = new LinkedHashSet<>();
      for (String line : Files.readAllLines(list)) {
        String id = line.strip();
        if (!id.isEmpty()) {
          ids.add(id);
        }
      }
      lists.put(split, ids);
      for (String id : ids) {
        if (splitOf.putIfAbsent(id, split) != null) {
          several.add(id);
        }
      }
    }
    progress.max(byVideo.size());
    Map<String, List<Map<String, Object>>> entries = new LinkedHashMap<>();
    Map<String, Integer> videoCounts = new LinkedHashMap<>();
    Map<String, Integer> captionCounts = new LinkedHashMap<>();
    Map<String, List<String>> missing = new LinkedHashMap<>();
    for (String split : SPLITS) {
      entries.put(split, new ArrayList<>());
      videoCounts.put(split, 0);
      captionCounts.put(split, 0);
      missing.put(split, new ArrayList<>());
      Files.createDirectories(out.resolve(split).resolve("videos"));
    }
    List<String> noSplit = new ArrayList<>();
    int links = 0;
    int copies = 0;
    Path videosAll = in.resolve("videos").resolve("all");
    for (Map.Entry<String, List<String>> e : byVideo.entrySet()) {
      String id = e.getKey();
      String split = splitOf.get(id);
      progress.step(1);
      if (split == null) {
        noSplit.add(id);
        continue;
      }
      String file = id + ".mp4";
      Path src = videosAll.resolve(file);
      if (!Files.isRegularFile(src)) {
        missing.get(split).add(id);
        continue;
      }
      Path dst = out.resolve(split).resolve("videos").resolve(file);
      if (!(Files.isRegularFile(dst) && Files.size(dst) == Files.size(src))) {
        Files.deleteIfExists(dst);
        boolean linked = false;
        if (!forceCopy) {
          try {
            Files.createLink(dst, src);
            linked = true;
          } catch (FileSystemException | UnsupportedOperationException ex) {
            linked = false;
          }
        }
        if (linked) {
          links++;
        } else {
          Path tmp = dst.resolveSibling("." + file + ".copy");
          Files.copy(src, tmp, StandardCopyOption.REPLACE_EXISTING);
          AtomicFiles.moveAtomically(tmp, dst);
          copies++;
        }
      }
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("file", file);
      entry.put("captions", e.getValue());
      entries.get(split).add(entry);
      videoCounts.merge(split, 1, Integer::sum);
      captionCounts.merge(split, e.getValue().size(), Integer::sum);
    }
    ObjectMapper pretty = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    for (String split : SPLITS) {
      AtomicFiles.writeString(
          out.resolve(split).resolve("annotations.json"),
          pretty.writeValueAsString(entries.get(split)) + "\n");
    }
    Set<String> noCaptions = new TreeSet<>();
    for (Set<String> ids : lists.values()) {
      for (String id : ids) {
        if (!byVideo.containsKey(id)) {
          noCaptions.add(id);
        }
      }
    }
    Summary s =
        new Summary(
            videoCounts,
            captionCounts,
            missing,
            noSplit,
            new ArrayList<>(noCaptions),
            several,
            links,
            copies);
    AtomicFiles.writeString(
        out.resolve("collate-summary.json"), pretty.writeValueAsString(s) + "\n");
    return s;
  }
}
