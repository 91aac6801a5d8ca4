#!/usr/bin/env node
/**
 * Builds dist/ only when it is missing or older than what it is built from (src/, bench/,
 * tsconfig.json, package-lock.json), so `npm start`, `npm run import` and `npm run secrets` start
 * the built server at once after the first time instead of compiling on every run. The stamp
 * holds a hash of the inputs' paths, sizes and modification times.
 */
"use strict";
const { createHash } = require("node:crypto");
const { execFileSync } = require("node:child_process");
const { existsSync, readdirSync, readFileSync, statSync, writeFileSync } = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const stampFile = path.join(root, "dist", ".build-stamp");

function inputs(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) inputs(p, out);
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

/** Builds dist/ when its stamp does not match the inputs; returns whether it built. */
function ensureBuilt() {
  const files = [...inputs(path.join(root, "src"), []), ...inputs(path.join(root, "bench"), []), path.join(root, "tsconfig.json"), path.join(root, "package-lock.json")].sort();
  const hash = createHash("sha256");
  for (const f of files) {
    const s = statSync(f);
    hash.update(`${path.relative(root, f)}\0${s.size}\0${s.mtimeMs}\0`);
  }
  const stamp = hash.digest("hex");
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp && existsSync(path.join(root, "dist", "src", "main.js"))) return false;
  process.stderr.write("building dist/ (once; again only when the sources change)\n");
  execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", root], { stdio: ["ignore", process.stderr, "inherit"] });
  writeFileSync(stampFile, stamp);
  return true;
}

module.exports = { ensureBuilt };
if (require.main === module) ensureBuilt();
