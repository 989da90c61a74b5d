"""sha256 checksums of data/raw/, so the pipeline refuses raw files that changed unnoticed."""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

from helpers.errors import ChecksumError
from helpers.paths import DATA_RAW, relative

SUMS_FILE = DATA_RAW / "SHA256SUMS"
# The raw data files: tables, configuration, and the parts of a shapefile (the map's country outlines).
RAW_SUFFIXES = frozenset({".csv", ".yml", ".yaml", ".shp", ".shx", ".dbf", ".prj", ".cpg"})


def sha256(path: str | Path, chunk: int = 1 << 20) -> str:
    """Return the hex sha256 of a file."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def recorded(sums_file: Path = SUMS_FILE) -> dict[str, str]:
    """Read ``sha256sum``-style lines into {file name: hex digest}."""
    if not sums_file.exists():
        return {}
    out = {}
    for line in sums_file.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split(maxsplit=1)
            out[name.lstrip("*")] = digest
    return out


def verify(path: str | Path, sums_file: Path = SUMS_FILE) -> None:
    """Raise ChecksumError unless ``path`` matches the digest recorded for it."""
    path = Path(path)
    expected = recorded(sums_file).get(path.name)
    if expected is None:
        raise ChecksumError(
            f"{relative(path)} has no recorded checksum in {relative(sums_file)}; "
            "if the file is new and correct, run `make checksums`"
        )
    actual = sha256(path)
    if actual != expected:
        raise ChecksumError(
            f"{relative(path)} has changed: sha256 {actual} but {relative(sums_file)} records "
            f"{expected}. If the edit is deliberate, run `make checksums` and commit both."
        )


def write(folder: Path = DATA_RAW, sums_file: Path = SUMS_FILE) -> list[str]:
    """Record the sha256 of every data file in ``folder`` (sorted, deterministic)."""
    names = sorted(p.name for p in folder.iterdir() if p.is_file() and p != sums_file
                   and p.suffix in RAW_SUFFIXES)
    lines = [f"{sha256(folder / n)}  {n}" for n in names]
    sums_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, allow_abbrev=False)
    parser.add_argument("--write", action="store_true", help="record checksums of data/raw/")
    args = parser.parse_args(argv)
    if args.write:
        for line in write():
            print(line)
        return 0
    for name in recorded():
        verify(DATA_RAW / name)
    print(f"all {len(recorded())} raw files match {relative(SUMS_FILE)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
