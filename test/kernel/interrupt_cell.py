"""Interrupts a running cell in the workbook kernel, as Kernel -> Interrupt does, and reports what happened.

    .venv/bin/python test/kernel/interrupt_cell.py <spec.json>

spec: {"setup": [cells...], "cell": "<the long cell>", "marker": "<file the cell creates once its
work has begun>", "wait": <seconds after the marker>, "after": "<a cell run afterwards>"}.
Prints JSON: the seconds from the interrupt to the cell's end, its stdout and stderr, the after
cell's stdout, and whether the kernel lived on (the same process).
"""
import json
import os
import queue
import sys
import time

from jupyter_client.manager import KernelManager


def run(kc, code, interrupt=None, timeout=300):
    """Runs a cell; `interrupt` is polled while it runs and returns a time once it has interrupted."""
    msg_id = kc.execute(code)
    out = {"stdout": "", "stderr": "", "interrupted_at": None}
    deadline = time.time() + timeout
    while time.time() < deadline:
        if interrupt and out["interrupted_at"] is None:
            out["interrupted_at"] = interrupt()
        try:
            msg = kc.get_iopub_msg(timeout=0.1)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        kind = msg["msg_type"]
        if kind == "stream":
            out[msg["content"]["name"]] += msg["content"]["text"]
        elif kind == "error":
            out["stderr"] += f'{msg["content"]["ename"]}: {msg["content"]["evalue"]}'
        elif kind == "status" and msg["content"]["execution_state"] == "idle":
            out["ended_at"] = time.time()
            return out
    raise SystemExit(f"the cell did not end within {timeout} s: {out}")


def main():
    spec = json.load(open(sys.argv[1]))
    km = KernelManager(kernel_name="instruct-workbook")
    km.start_kernel(cwd=os.getcwd())
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    try:
        for code in spec["setup"]:
            r = run(kc, code)
            if r["stderr"]:
                raise SystemExit(f"a setup cell failed: {r['stderr']}")
        pid = km.provisioner.process.pid

        def interrupt():
            if not os.path.exists(spec["marker"]):
                return None
            time.sleep(spec["wait"])
            km.interrupt_kernel()
            return time.time()

        cell = run(kc, spec["cell"], interrupt)
        time.sleep(0.5)  # tslab drops requests that arrive within 200 ms of a failed cell
        after = run(kc, spec["after"]) if km.is_alive() else {"stdout": "", "stderr": "the kernel died"}
        print(json.dumps({
            "seconds_to_end": None if cell["interrupted_at"] is None else cell["ended_at"] - cell["interrupted_at"],
            "stdout": cell["stdout"],
            "stderr": cell["stderr"],
            "after": after["stdout"] + after["stderr"],
            "same_kernel": km.is_alive() and km.provisioner.process.pid == pid,
        }))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
