#!/usr/bin/env python3
"""Interleaved side-by-side timing: jsora (one or more jars) and the upstream DiT, in one run.

On a machine shared with other work, a figure measured minutes apart from its comparison says
little. This script alternates the sides in rounds: each round runs, for every workload, each
jsora jar's ``bench model`` (forward + backward, no checkpointing) and then the upstream child of
``upstream_dit.py`` (one thread setting), and also ``bench matmul`` (fp32, n = 1024 and 2048) once
per round. It reports per side the median of the rounds' medians, the fastest step,
the ratio upstream / jsora of the medians, and the load average seen during the run.

    /usr/bin/python3 tools/bench/side_by_side.py --upstream /tmp/os0 \\
        --jar now=target/jsora-0.1.0-SNAPSHOT-all.jar --jar before=/tmp/before.jar \\
        --workloads C,A --rounds 3 --json /tmp/side.json

``--upstream`` is an Open-Sora checkout at commit 0a4a091 (see upstream_dit.py). Each jar runs
with the launcher's JVM flags and thread defaults (``OMP_WAIT_POLICY=PASSIVE``, OpenBLAS threads =
torch threads); ``--preload LIB`` adds ``LD_PRELOAD=LIB`` for the jsora runs (an allocator).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import upstream_dit  # noqa: E402  (the workloads and the upstream child)

# workload: bench model options (the same latent, batch and text as upstream_dit.WORKLOADS)
JSORA_ARGS = {
    "A": "--model DiT-S/8 --arch cross-attn --frames 16 --height 64 --width 64 --batch 2",
    "B": "--model DiT-S/8 --arch adaln --frames 16 --height 128 --width 128 --batch 1",
    "C": "--model DiT-T/4 --arch adaln --frames 8 --height 16 --width 16 --batch 32",
}


def jvm(jar):
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    return ["java", "-Xmx4g", "-XX:+UseG1GC", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            f"-Dorg.bytedeco.javacpp.maxPhysicalBytes={mem_kb * 1024 // 100 * 85}", "-jar", jar]


def jsora_env(threads, preload):
    e = dict(os.environ)
    e.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    e["OPENBLAS_NUM_THREADS"] = str(threads)
    if preload:
        e["LD_PRELOAD"] = preload
    return e


def run_jsora(jar, workload, warmup, runs, threads, preload):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = jvm(jar) + ["bench", "model", *JSORA_ARGS[workload].split(), "--grad-checkpoint", "false",
                      "--warmup", str(warmup), "--runs", str(runs), "--peak-tflops", "1", "--json", out]
    subprocess.run(cmd, env=jsora_env(threads, preload), check=True, capture_output=True, text=True)
    with open(out) as f:
        recs = json.load(f)
    os.unlink(out)
    r = next(r for r in recs if r["name"] == "model_forward_backward")
    return r["median_s"], r["min_s"]


def run_matmul(jar, threads, preload):
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        out = f.name
    cmd = jvm(jar) + ["bench", "matmul", "--sizes", "1024,2048", "--dtypes", "f32", "--runs", "3", "--json", out]
    subprocess.run(cmd, env=jsora_env(threads, preload), check=True, capture_output=True, text=True)
    with open(out) as f:
        recs = json.load(f)
    os.unlink(out)
    return max(r.get("tflops") or 0 for r in recs)


def run_upstream(upstream, workload, threads, setting):
    e = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    e.update(upstream_dit.SETTINGS[setting])
    out = subprocess.run([sys.executable, os.path.join(HERE, "upstream_dit.py"), "--upstream", upstream,
                          "--child", workload, "--threads", str(threads)],
                         env=e, check=True, capture_output=True, text=True).stdout
    t = json.loads(out.strip().splitlines()[-1])["samples_s"]
    return statistics.median(t), min(t)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--upstream", required=True, help="Open-Sora checkout at commit 0a4a091")
    p.add_argument("--jar", action="append", required=True,
                   help="LABEL=PATH[:PRELOAD] of a jsora -all.jar, optionally with its own LD_PRELOAD (repeatable)")
    p.add_argument("--workloads", default="C,A", help="comma-separated subset of A,B,C (default: C,A)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--runs", type=int, default=0, help="timed steps per side and round (default: the workload's)")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--setting", default="openblas_default", choices=sorted(upstream_dit.SETTINGS),
                   help="the upstream's OpenBLAS setting (default: its default thread count)")
    p.add_argument("--preload", default="", help="LD_PRELOAD for the jsora runs (e.g. an allocator)")
    p.add_argument("--json", help="also write every sample here")
    p.add_argument("--allow-slow-blas", action="store_true", help="run even on a reference BLAS")
    a = p.parse_args()
    upstream_dit.check_blas(a.threads, a.allow_slow_blas)
    jars = [j.split("=", 1) for j in a.jar]
    preloads = {}
    for j in jars:
        if ":" in j[1]:
            j[1], preloads[j[0]] = j[1].split(":", 1)
    names = [w.strip().upper() for w in a.workloads.split(",") if w.strip()]
    samples = {n: {label: [] for label, _ in jars} | {"upstream": []} for n in names}
    peaks, loads = [], []
    for rnd in range(a.rounds):
        peaks.append(run_matmul(jars[0][1], a.threads, a.preload))
        for n in names:
            warmup, runs = upstream_dit.WORKLOADS[n][6], a.runs or upstream_dit.WORKLOADS[n][7]
            for label, jar in jars:
                samples[n][label].append(run_jsora(jar, n, max(warmup, 1), runs, a.threads,
                                                  preloads.get(label, a.preload)))
            samples[n]["upstream"].append(run_upstream(a.upstream, n, a.threads, a.setting))
            loads.append(os.getloadavg()[0])
            print(f"round {rnd + 1} {n}: " + ", ".join(
                f"{k} {v[-1][0]:.3f} s" for k, v in samples[n].items()), flush=True)
    print(f"\nfp32 GEMM peak (bench matmul, best of n=1024/2048 per round): "
          f"{' '.join(f'{x * 1e3:.0f}' for x in peaks)} GFLOP/s; 1-min load average {min(loads):.1f}-{max(loads):.1f}")
    print(f"{'workload':8} {'side':10} {'median of round medians':>23} {'fastest step':>12} {'upstream/side':>13}")
    for n in names:
        up = statistics.median(m for m, _ in samples[n]["upstream"])
        for k, v in samples[n].items():
            m = statistics.median(x for x, _ in v)
            print(f"{n:8} {k:10} {m:23.3f} {min(x for _, x in v):12.3f} {up / m:12.2f}x")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(dict(samples=samples, peaks_tflops=peaks, load_avg=loads), f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
