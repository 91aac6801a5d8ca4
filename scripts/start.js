#!/usr/bin/env node
/**
 * `npm start`: builds dist/ if the sources changed (scripts/ensure-built.js), then runs the
 * built server in this same process, so a start costs one Node.js process, not two.
 */
"use strict";
require("./ensure-built.js").ensureBuilt();
require("../dist/src/main.js");
