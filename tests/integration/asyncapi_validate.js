// Validate an AsyncAPI document with the official @asyncapi/parser; print its diagnostics as JSON.
// Usage: node asyncapi_validate.js FILE   (exit 0 when parsed with no error-level diagnostic)
"use strict";
const fs = require("fs");
const { Parser } = require("@asyncapi/parser");

const SEVERITY = ["error", "warning", "information", "hint"];

async function main() {
  const file = process.argv[2];
  const parser = new Parser();
  const { document, diagnostics } = await parser.parse(fs.readFileSync(file, "utf8"));
  const out = diagnostics.map((d) => ({
    severity: SEVERITY[d.severity] || String(d.severity),
    code: String(d.code),
    message: d.message,
    path: (d.path || []).join("/"),
  }));
  const summary = document
    ? { version: document.version(), channels: document.channels().length,
        operations: document.operations().length, messages: document.messages().length }
    : null;
  process.stdout.write(JSON.stringify({ parsed: Boolean(document), summary, diagnostics: out }) + "\n");
  process.exit(document && !out.some((d) => d.severity === "error") ? 0 : 1);
}

setTimeout(() => { process.stderr.write("timed out\n"); process.exit(3); }, 60000).unref();
main().catch((err) => { process.stderr.write(String(err && err.stack || err) + "\n"); process.exit(2); });
