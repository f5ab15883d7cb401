#!/usr/bin/env bash
# Opens every draft RightStat writes as Word (each kind, both languages) in LibreOffice, as a
# treaty section would, and converts it to PDF: a file LibreOffice cannot convert fails.
#
# Usage: scripts/check-docx-libreoffice.sh RIGHTSTAT_BINARY DATABASE_URL
# Needs: LibreOffice Writer (Debian: libreoffice-writer-nogui)
set -euo pipefail
bin="$1"; db="$2"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for kind in cescr upr upr-midterm gaps annex loi-replies briefing; do
  for lang in en zh; do
    "$bin" --db "$db" report "$kind" --lang "$lang" --format docx --out "$out/$kind-$lang.docx" >/dev/null
  done
done
# One profile for the run (a fresh one per call is slow), converted in one call.
HOME="$out" timeout 600 soffice --headless --norestore --convert-to pdf --outdir "$out/pdf" "$out"/*.docx >"$out/soffice.log" 2>&1 || true
fail=0
for f in "$out"/*.docx; do
  pdf="$out/pdf/$(basename "${f%.docx}").pdf"
  if [ ! -s "$pdf" ] || ! head -c 5 "$pdf" | grep -q '%PDF-'; then
    echo "FAIL: LibreOffice did not convert $(basename "$f")" >&2
    fail=1
  fi
done
if [ "$fail" = 1 ]; then cat "$out/soffice.log" >&2; exit 1; fi
pages=$(for p in "$out"/pdf/*.pdf; do pdfinfo "$p" 2>/dev/null | awk '/^Pages:/{print $2}'; done | paste -sd+ | bc)
echo "ok: LibreOffice converted $(ls "$out"/*.docx | wc -l) drafts (7 kinds, English and Chinese) to PDF, $pages pages in all"
