"""``python -m retrieval.datasets download --to DIR``: fetch XQuAD, MIRAGE and the Korean statutes."""

import argparse

from .download import DATASETS, download


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m retrieval.datasets", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    get = sub.add_parser("download", help="fetch the data from its public homes, checking sha256 sums")
    get.add_argument("--to", default="data", help="destination folder (default: ./data)")
    get.add_argument("--only", default=",".join(DATASETS), help=f"comma-separated subset of {list(DATASETS)}")
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(names) - set(DATASETS))
    if unknown:
        parser.error(f"unknown dataset(s) {unknown}; choose from {list(DATASETS)}")
    written = download(args.to, names)
    print(f"{len(written)} file(s) written under {args.to}")


if __name__ == "__main__":
    main()
