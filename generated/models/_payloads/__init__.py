"""One module per payload model (see ../payloads.py)."""
