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

function readCpuinfo(): string {
  return fs.existsSync("/proc/cpuinfo") ? fs.readFileSync("/proc/cpuinfo", "utf8") : "";
}

/** The CPU's feature flags from /proc/cpuinfo ("avx2", "avx512f", ...); empty where there is none. */
export function cpuFlags(cpuinfo = readCpuinfo()): string[] {
  return (/^flags\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? "").split(/\s+/).filter(Boolean);
}

export function machineInfo(): MachineInfo {
  const cpuinfo = readCpuinfo();
  const flags = cpuFlags(cpuinfo);
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

/** CPU seconds all cores of the machine have spent busy so far, all processes together (os.cpus()). */
export function machineBusySeconds(): number {
  return os.cpus().reduce((sum, c) => sum + c.times.user + c.times.nice + c.times.sys + c.times.irq, 0) / 1000;
}

/**
 * CPU seconds used so far by this process (every thread) and by its children that have ended
 * (Linux: cutime + cstime of /proc/self/stat, in clock ticks of 1/100 s; elsewhere this process only).
 */
export function processTreeCpuSeconds(): number {
  const u = process.cpuUsage();
  let children = 0;
  try {
    // After "pid (comm) " the fields start at state (3rd), so cutime (16th) and cstime (17th) are 13 and 14.
    const fields = fs
      .readFileSync("/proc/self/stat", "utf8")
      .replace(/^.*\) /, "")
      .split(" ");
    children = (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    /* not Linux */
  }
  return (u.user + u.system) / 1e6 + children;
}

/**
 * Runs `work` and returns the share of the machine's CPU time that other processes took meanwhile
 * (0 on a quiet machine). Children must have ended by the time `work` resolves to be counted as ours.
 */
export async function withOtherProcessesShare<T>(
  work: () => T | Promise<T>,
): Promise<{ result: T; othersShare: number }> {
  const busy = machineBusySeconds(),
    ours = processTreeCpuSeconds(),
    t0 = performance.now();
  const result = await work();
  const wall = (performance.now() - t0) / 1000;
  const others = machineBusySeconds() - busy - (processTreeCpuSeconds() - ours);
  return { result, othersShare: Math.max(0, others / (wall * os.cpus().length)) };
}

/**
 * What decides the exact float results of a native TensorFlow run on this CPU: the vector
 * instructions its kernels choose and whether oneDNN's kernels replace Eigen's. Two runs with the
 * same signature repeat bit for bit; across signatures they agree only to rounding.
 */
export function arithmeticSignature(): string {
  const flags = cpuFlags();
  const simd = ["avx2", "fma", "avx512f", "amx_tile"].filter((f) => flags.includes(f));
  return `${simd.join(", ") || "no AVX2"}; oneDNN ${process.env.TF_ENABLE_ONEDNN_OPTS === "1" ? "on" : "off"}`;
}
