// One writer per run folder. Two kernels training the same run (the same notebook open twice, or a
// notebook training a seed that `npm run finetune` is training in a terminal) would overwrite each
// other's checkpoints; the second one is refused instead, with a message saying who holds the run.
//
//   const release = lockRunFolder("runs/finetune-abc", "fine-tuning");   // throws if another process trains it
//   try { ...train... } finally { release(); }
//
// The lock is a file, <folder>/writer.lock, created atomically (O_EXCL) with the writer's process id
// and host. A lock whose process no longer runs (a killed kernel, Kernel -> Restart) is stale and
// taken over, so a restarted kernel resumes its run.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const LOCK_FILE = "writer.lock";

interface LockInfo {
  pid: number;
  host: string;
  /** What the writer does ("fine-tuning", "pre-training"), and since when (ISO time). */
  what: string;
  since: string;
}

/** True when a process with this id runs on this machine (signal 0 checks without sending anything). */
function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM"; // it runs, as another user
  }
}

/** The lock's holder, or undefined when the file is unreadable (half-written: treated as stale). */
function readLock(file: string): LockInfo | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as LockInfo;
  } catch {
    return undefined;
  }
}

/**
 * Takes the folder's writer lock for this process and returns the function that releases it.
 * Throws when a live process (this one included) holds it.
 */
export function lockRunFolder(folder: string, what: string): () => void {
  fs.mkdirSync(folder, { recursive: true });
  const file = path.join(folder, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, host: os.hostname(), what, since: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, `${JSON.stringify(mine)}\n`, { flag: "wx" });
      return () => {
        if (readLock(file)?.pid === process.pid) fs.rmSync(file, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    checkRunFolderFree(folder, what);
    fs.rmSync(file, { force: true }); // stale: its writer is gone
  }
  throw new Error(`${what}: could not take the writer lock ${file}; another process keeps taking it.`);
}

/** Throws what lockRunFolder would throw if a live process holds the folder now; takes nothing. */
export function checkRunFolderFree(folder: string, what: string): void {
  const holder = readLock(path.join(folder, LOCK_FILE));
  if (holder && holder.host === os.hostname() && processRuns(holder.pid))
    throw new Error(busyMessage(folder, holder, what));
}

/** Who holds the run, and what to do: wait for it, or stop it. */
function busyMessage(folder: string, holder: LockInfo, what: string): string {
  const who =
    holder.pid === process.pid
      ? "this very process (an earlier call that has not finished: is a cell still running it?)"
      : `another process (pid ${holder.pid}, ${holder.what} since ${holder.since}), e.g. the same notebook open in a second kernel, or npm run finetune in a terminal`;
  return (
    `${what}: ${folder} is already being trained by ${who}. A run folder takes one writer at a time. ` +
    "Wait until that run finishes, then run this again (a finished run is loaded, not trained again), or stop that process first."
  );
}
