package io.jsora.parallel;

import java.util.ArrayList;
import java.util.List;

/**
 * Where each parameter's elements sit when parameters are flattened into communication buckets, and
 * which part of each bucket a shard owns.
 *
 * <p>Parameters are laid out in order; a bucket is closed when adding the next parameter would pass
 * the size limit or change the dtype (a parameter larger than the limit gets a bucket of its own).
 * Each bucket is padded to a multiple of the shard count; shard {@code i} owns elements {@code
 * [i·n/k, (i+1)·n/k)} of every bucket, so one reduce-scatter per bucket hands every rank exactly
 * its part. A rank's shard is the concatenation of its parts of all buckets.
 */
final class FlatLayout {
  /** A parameter's place in its bucket. */
  record Slot(int param, long offset, long numel) {}

  /**
   * A bucket: its slots, unpadded and padded sizes, and where this shard's part starts in the
   * shard.
   */
  record Bucket(List<Slot> slots, long numel, long padded, long shardOffset) {
    long part(int shards) {
      return padded / shards;
    }
  }

  /** A run of one parameter's elements inside this shard. */
  record Segment(int param, long shardOffset, long paramOffset, long numel) {}

  final List<Bucket> buckets;
  final List<Segment> segments;
  final long shardNumel;
  final int shards;
  final int shard;

  /**
   * @param numels element count of each parameter
   * @param dtypes a code per parameter; a bucket holds one dtype only
   * @param bucketElems target bucket size in elements
   * @param shards number of shards (1: every rank holds all)
   * @param shard this rank's shard index
   */
  FlatLayout(long[] numels, int[] dtypes, long bucketElems, int shards, int shard) {
    this.shards = shards;
    this.shard = shard;
    List<Bucket> bs = new ArrayList<>();
    List<Slot> cur = new ArrayList<>();
    long size = 0;
    long shardOffset = 0;
    for (int i = 0; i < numels.length; i++) {
      boolean dtypeChange = !cur.isEmpty() && dtypes[cur.get(0).param()] != dtypes[i];
      if (!cur.isEmpty() && (size + numels[i] > bucketElems || dtypeChange)) {
        Bucket b = bucket(cur, size, shardOffset);
        bs.add(b);
        shardOffset += b.part(shards);
        cur = new ArrayList<>();
        size = 0;
      }
      cur.add(new Slot(i, size, numels[i]));
      size += numels[i];
    }
    if (!cur.isEmpty()) {
      Bucket b = bucket(cur, size, shardOffset);
      bs.add(b);
      shardOffset += b.part(shards);
    }
    this.buckets = List.copyOf(bs);
    this.shardNumel = shardOffset;
    List<Segment> segs = new ArrayList<>();
    for (Bucket b : buckets) {
      long part = b.part(shards);
      long lo = shard * part;
      long hi = lo + part;
      for (Slot s : b.slots()) {
        long from = Math.max(lo, s.offset());
        long to = Math.min(hi, s.offset() + s.numel());
        if (from < to) {
          segs.add(
              new Segment(s.param(), b.shardOffset() + (from - lo), from - s.offset(), to - from));
        }
      }
    }
    this.segments = List.copyOf(segs);
  }

  private Bucket bucket(List<Slot> slots, long size, long shardOffset) {
    long padded = (size + shards - 1) / shards * shards;
    return new Bucket(List.copyOf(slots), size, padded, shardOffset);
  }
}
