"""Runs notebooks top to bottom in the workbook's kernel and stops at the first failing cell.

    .venv/bin/python kernel/run_notebooks.py notebooks/00-check-your-setup.ipynb [...] \
        [--out test-output/notebooks] [--timeout 1800] [--kernel instruct-workbook]

tslab reports errors on stderr and leaves no error output, and with allow-errors it silently skips
the cells after an error. So this runner executes cell by cell without allow-errors, and on a
failure prints which cell failed, its source and everything it wrote to stderr, then exits 1.
The executed copies (with outputs) and summary.json (seconds per notebook and per cell) go to --out.
"""
import argparse
import json
import os
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError


def stream_text(cell, name):
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream" and o.get("name") == name)


def error_text(cell):
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "error":
            parts.append(f"{o.get('ename')}: {o.get('evalue')}\n" + "\n".join(o.get("traceback", [])))
    return "\n".join(parts)


def run_one(path, out_dir, timeout, kernel):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name=kernel, timeout=timeout, allow_errors=False,
                            resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}})
    cells = []
    failure = None
    t_start = time.time()
    with client.setup_kernel():
        code_no = 0
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            code_no += 1
            t0 = time.time()
            try:
                client.execute_cell(cell, index)
            except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
                failure = {"index": index, "code_cell": code_no, "source": cell.source, "reason": type(err).__name__,
                           "message": str(err).strip()[-4000:], "stderr": stream_text(cell, "stderr"), "error": error_text(cell)}
                break
            finally:
                cells.append({"index": index, "seconds": round(time.time() - t0, 2)})
    seconds = round(time.time() - t_start, 1)
    os.makedirs(out_dir, exist_ok=True)
    nbformat.write(nb, os.path.join(out_dir, os.path.basename(path)))
    return {"notebook": path, "seconds": seconds, "cells": cells, "ok": failure is None, "failure": failure}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--out", default="test-output/notebooks")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds allowed for one cell")
    ap.add_argument("--kernel", default="instruct-workbook")
    args = ap.parse_args()

    results = []
    for path in args.notebooks:
        print(f"[notebooks] running {path}", flush=True)
        result = run_one(path, args.out, args.timeout, args.kernel)
        results.append(result)
        if not result["ok"]:
            f = result["failure"]
            print(f"\n[notebooks] FAILED: {path}, code cell {f['code_cell']} (cell index {f['index']}): {f['reason']}", file=sys.stderr)
            print("----- cell source -----\n" + f["source"], file=sys.stderr)
            print("----- cell stderr -----\n" + (f["stderr"] or "(nothing on stderr)"), file=sys.stderr)
            if f["error"]:
                print("----- error output -----\n" + f["error"], file=sys.stderr)
            print("----- runner message -----\n" + f["message"], file=sys.stderr)
            break
        print(f"[notebooks] ok {path} in {result['seconds']} s", flush=True)
    with open(os.path.join(args.out, "summary.json"), "w") as fh:
        json.dump(results, fh, indent=2)
    sys.exit(0 if all(r["ok"] for r in results) and len(results) == len(args.notebooks) else 1)


if __name__ == "__main__":
    main()
