"""Load measurements for the issue's numbers; see bench/README.md."""
