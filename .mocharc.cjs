// mocha runs the TypeScript tests through tsx; the reporter ends with a plain "N passed, N failed" line.
module.exports = {
  require: ["tsx/cjs"],
  extension: ["ts"],
  timeout: 120000,
  reporter: "./test/support/reporter.cjs",
};
