"""Command-line wiring."""

def main() -> None:  # replaced below
    raise SystemExit("not yet")
