"""Technician work, run from the CLI: provisioning a device, model packs, the health check (``doctor``)."""
