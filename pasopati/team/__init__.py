"""The TKK (Tim Komunikasi Krisis): who is on a crisis's team, calling them, their acknowledgements."""
