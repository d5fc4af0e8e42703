#!/bin/sh
# Installs the TF.js peer's own dependencies (Node, not Bun) into bench/peers/tfjs/node_modules.
# Separate from the main `npm install`: nothing here is needed to build or test the project.
set -e
cd "$(dirname "$0")"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
