// Standard-JSON front end for the pinned solc-js compiler.
// `--version` prints the version line py-solc-x expects; `--standard-json` reads the
// input from stdin and writes the output JSON to stdout. Imports are resolved from the
// repository root and node_modules (OpenZeppelin), so remappings stay optional.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const root = path.resolve(__dirname, "..", "..");

function findImports(importPath) {
  const candidates = [
    path.join(root, importPath),
    path.join(root, "node_modules", importPath),
  ];
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) {
      return { contents: fs.readFileSync(candidate, "utf8") };
    }
  }
  return { error: "File not found: " + importPath };
}

const args = process.argv.slice(2);
if (args.includes("--version")) {
  process.stdout.write("solc, the solidity compiler commandline interface\n");
  process.stdout.write("Version: " + solc.version() + "\n");
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("usage: solc --version | solc --standard-json < input.json\n");
  process.exit(2);
}
const chunks = [];
process.stdin.on("data", (chunk) => chunks.push(chunk));
process.stdin.on("end", () => {
  const input = Buffer.concat(chunks).toString("utf8");
  const output = solc.compile(input, { import: findImports });
  fs.writeSync(1, output);
});
