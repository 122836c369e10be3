// ESLint for the workbook's TypeScript and JavaScript (`npm run lint`, part of `npm test`).
// typescript-eslint's recommended rules, with three decisions:
//   - CommonJS files (*.cjs, the tfjs-node shim) load modules with require(), as they must;
//   - a name that starts with "_" is deliberately unused (a field dropped from an object);
//   - code that runs inside a browser page (page.evaluate in the browser test) talks to JupyterLab's
//     untyped internals, so `any` is allowed there, with a comment at each use elsewhere.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      ".venv/",
      ".workbook/",
      "runs/",
      "lesson-output/",
      "test-output/",
      "data/",
      "**/*.d.mts",
      "**/*.d.cts",
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
    },
  },
  {
    files: ["**/*.cjs", "kernel/tfjs-node-shim/**/*.js"],
    languageOptions: { sourceType: "commonjs" },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    files: ["test/browser.test.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
);
