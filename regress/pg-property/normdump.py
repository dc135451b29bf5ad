#!/usr/bin/env python3
"""Normalise `pg_dump --schema-only` output for comparison.

Reads a dump on stdin and writes it without comments, blank lines and
session settings, and with the column lines of every CREATE TABLE sorted:
PostgreSQL cannot reorder columns, so a column that a revert re-creates
comes back at the end of its table (documented in docs/revert.md); every
other difference is kept.
"""
import sys


def main():
    out = []
    block = None
    for line in sys.stdin.read().splitlines():
        if line.startswith("--") or not line.strip():
            continue
        if line.startswith(("SET ", "SELECT pg_catalog.set_config", "\\restrict", "\\unrestrict")):
            continue
        if block is not None:
            if line.startswith(")"):
                cols = sorted(c.rstrip(",") for c in block)
                out += [c + ("," if i < len(cols) - 1 else "") for i, c in enumerate(cols)]
                out.append(line)
                block = None
            else:
                block.append(line)
            continue
        out.append(line)
        if line.startswith("CREATE TABLE ") and line.endswith("("):
            block = []
    sys.stdout.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
