"""The app's shared kernel: errors, settings, typed events, the model registry, the memory trim and
the staff PIN hash (``pin``: the admin gate checks it, provisioning sets it).

The only part of ``kiosk_app`` that ``speech`` and ``knowledge`` may import (tests/test_import_contract.py).
It imports no engine and nothing else of the app.
"""
