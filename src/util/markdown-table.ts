// Rows as a Markdown table, for the comparison files that `npm run finetune` and notebook 4 write.
//
//   markdownTable([{ task: "review-topic", score: "65.6%" }])
//   // | task | score |\n|---|---|\n| review-topic | 65.6% |

/** A Markdown table whose columns are the first row's keys, in order. */
export function markdownTable(rows: readonly Record<string, string | number>[]): string {
  if (rows.length === 0) return "";
  const cols = Object.keys(rows[0]);
  return [
    `| ${cols.join(" | ")} |`,
    `|${cols.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${cols.map((c) => r[c]).join(" | ")} |`),
  ].join("\n");
}
