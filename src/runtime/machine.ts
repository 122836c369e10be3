// What machine a benchmark ran on, and the fp32 peak of its CPU (to read a GFLOP/s figure against).
import fs from "node:fs";
import os from "node:os";

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  mhz: number;
  simd: string[];
  memoryGiB: number;
  os: string;
  node: string;
  /** cores x clock x fp32 FLOPs per cycle per core; see fp32FlopsPerCycle. */
  peakGflops: number;
  peakNote: string;
}

/**
 * FP32 FLOPs one core can retire per cycle: two fused multiply-add units, each on a full vector
 * (8 floats for AVX2, 16 for AVX-512), each FMA counting 2 operations. This is the common case for
 * current x86 server cores (Intel since Haswell, AMD since Zen 2); some parts have one FMA unit.
 */
function fp32FlopsPerCycle(flags: string[]): { perCycle: number; note: string } {
  if (flags.includes("avx512f")) return { perCycle: 64, note: "AVX-512: 2 FMA units x 16 floats x 2" };
  if (flags.includes("avx2") && flags.includes("fma"))
    return { perCycle: 32, note: "AVX2+FMA: 2 FMA units x 8 floats x 2" };
  if (flags.includes("avx")) return { perCycle: 16, note: "AVX: 8-wide add + 8-wide multiply" };
  return { perCycle: 8, note: "SSE: 4-wide add + 4-wide multiply" };
}

export function machineInfo(): MachineInfo {
  const cpuinfo = fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
  const flags = (/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "").split(/\s+/);
  const simd = ["sse4_2", "avx", "avx2", "fma", "avx512f"].filter((f) => flags.includes(f));
  const cpus = os.cpus();
  // os.cpus() reports 0 MHz in some virtual machines; /proc/cpuinfo still has the nominal clock.
  const mhz = cpus[0]?.speed || Math.round(Number(/^cpu MHz\s*:\s*([\d.]+)/m.exec(cpuinfo)?.[1] ?? 0));
  const { perCycle, note } = fp32FlopsPerCycle(flags);
  const cores = cpus.length;
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cores,
    mhz,
    simd,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.versions.node,
    peakGflops: (cores * mhz * 1e6 * perCycle) / 1e9,
    peakNote: `${cores} cores x ${mhz} MHz x ${perCycle} FLOP/cycle (${note}); turbo clocks can exceed it`,
  };
}

/** One line for logs and model cards: "AMD EPYC, 2 cores at 1996 MHz (avx2, fma), 24 GiB, Node 20.20.2". */
export function machineInfoLine(m: MachineInfo = machineInfo()): string {
  return `${m.cpuModel}, ${m.cores} cores at ${m.mhz} MHz (${m.simd.join(", ")}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}`;
}
