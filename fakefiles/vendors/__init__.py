"""One module per vendor: its routes, wire shapes, id format, purposes and error envelope."""
