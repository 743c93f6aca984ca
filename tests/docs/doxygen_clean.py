#!/usr/bin/env python3
"""Runs Doxygen over the public headers as docs/Doxyfile says, into OUTPUT_DIR, and fails when
it prints any warning: the API reference must stay complete (every public name documented)."""
import pathlib
import shutil
import subprocess
import sys

source_dir, output_dir = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
doxygen = shutil.which("doxygen")
if doxygen is None:
    print("doxygen is not installed (scripts/install-deps.sh installs it): skipped")
    sys.exit(77)  # ctest's SKIP_RETURN_CODE
shutil.rmtree(output_dir, ignore_errors=True)
output_dir.mkdir(parents=True)
# Doxygen reads the configuration from stdin with "-"; a later assignment wins.
config = (source_dir / "docs" / "Doxyfile").read_text() + f"\nOUTPUT_DIRECTORY = {output_dir}\n"
run = subprocess.run([doxygen, "-"], input=config, cwd=source_dir, capture_output=True, text=True,
                     timeout=600)
problems = (run.stdout + run.stderr).strip()
if run.returncode != 0 or problems:
    print(problems or f"doxygen exited with {run.returncode}")
    sys.exit(1)
print(f"no warnings; {output_dir / 'html' / 'index.html'}")
