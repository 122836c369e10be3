// danfojs-node asks for @tensorflow/tfjs-node; it gets the project's one @tensorflow/tfjs instead.
// Whichever backend src/runtime/backend.ts activates (native, wasm or cpu) is then shared by both.
module.exports = require("@tensorflow/tfjs");
