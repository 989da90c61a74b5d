#!/usr/bin/env bash
# Install the TeX engine that `make paper` and tests/test_tables.py's compile check need (Debian packages), where
# apt-get can. Quiet; never fails the CI: without TeX the compile tests skip and say why.
set -uo pipefail
if command -v pdflatex >/dev/null 2>&1 && kpsewhich siunitx.sty xltabular.sty >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get: the LaTeX compile tests will skip"
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo -n"; fi
if { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      texlive-latex-base texlive-latex-recommended texlive-latex-extra texlive-science lmodern poppler-utils; } \
    >/dev/null 2>&1; then
  echo "installed TeX: $(pdflatex --version 2>/dev/null | head -n 1)"
else
  echo "could not install TeX with apt-get: the LaTeX compile tests will skip"
fi
exit 0
