// The versions a notebook relies on, printed in its first cell so that results can be reproduced.
import * as tf from "@tensorflow/tfjs";
import { backendChoice } from "./backend";
import { packageVersion } from "./paths";

export function versionReport(): Record<string, string> {
  const choice = backendChoice();
  const report: Record<string, string> = {
    node: process.versions.node,
    "@tensorflow/tfjs": tf.version_core,
    backend: choice ? `${choice.name}: ${choice.description}` : tf.getBackend(),
  };
  for (const pkg of ["@tensorflow/tfjs-node", "danfojs-node", "plotly.js-dist-min", "tslab"]) {
    report[pkg] = packageVersion(pkg) ?? "not installed";
  }
  return report;
}
