// Starts JupyterLab the way `npm start` does (kernel/start.mjs), on a free loopback port with a
// known token, serving a scratch copy of the notebooks so that the browser's saves touch no
// committed file. Used by the browser tests.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { ROOT } from "./notebooks";

export interface RunningLab {
  url: string;
  token: string;
  notebookDir: string;
  stop(): Promise<void>;
  log(): string;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export async function startJupyterLab(notebooks: string[], scratch: string): Promise<RunningLab> {
  fs.rmSync(scratch, { recursive: true, force: true });
  fs.mkdirSync(scratch, { recursive: true });
  for (const nb of notebooks) fs.copyFileSync(nb, path.join(scratch, path.basename(nb)));
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  let output = "";
  const child: ChildProcess = spawn(
    process.execPath,
    [
      path.join(ROOT, "kernel", "start.mjs"),
      "--no-browser",
      `--port=${port}`,
      `--IdentityProvider.token=${token}`,
      "--LabApp.expose_app_in_browser=True",
      "--ServerApp.port_retries=0",
    ],
    { cwd: ROOT, env: { ...process.env, WORKBOOK_NOTEBOOK_DIR: scratch }, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.on("data", (d) => {
    output += d;
  });
  child.stderr!.on("data", (d) => {
    output += d;
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`JupyterLab exited:\n${output}`);
    try {
      const res = await fetch(`${url}/api/status?token=${token}`);
      if (res.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`JupyterLab did not start within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  return {
    url,
    token,
    notebookDir: scratch,
    log: () => output,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
      }),
  };
}
