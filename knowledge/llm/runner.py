"""The child side of the LLM process: loads the GGUF and answers requests. Runs only in the child.

Owns ``ChildConfig`` (what the parent asks the child to load), ``LlamaEngine`` (the loaded model,
the model's own chat template split at the question, the prompt prefix held in the KV cache, saving
and loading its llama.cpp sequence state, greedy token generation with cancel checks) and
``child_main``, the spawned process's request loop that turns
each request of the protocol described in ``knowledge.llm.child`` into reply messages.
``llama_cpp`` is imported inside ``LlamaEngine.__init__`` only, so importing this module (as the
kiosk process does through ``knowledge.llm.child``) stays cheap and safe (STACK.md §3).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

QUESTION_MARK = "\u2063QUESTION\u2063"  # invisible separators: never in a real prompt
PREFIX_BATCH = 64  # tokens per decode call while reading the prefix (cancel/progress granularity)


@dataclass(frozen=True, slots=True)
class ChildConfig:
    """What the child loads: the GGUF and llama.cpp's context, thread and batch sizes."""

    model_path: str
    n_ctx: int = 4096
    n_threads: int = 2
    n_batch: int = 256


def rss_peak_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


class LlamaEngine:
    """One loaded model and the prefix currently held in its KV cache."""

    def __init__(self, cfg: ChildConfig) -> None:
        import llama_cpp  # the only import of llama_cpp in the code base
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        self.lc = llama_cpp
        self.llm = llama_cpp.Llama(model_path=cfg.model_path, n_ctx=cfg.n_ctx, n_threads=cfg.n_threads,
                                   n_threads_batch=cfg.n_threads, n_batch=cfg.n_batch, verbose=False)
        meta = self.llm.metadata
        template = meta.get("tokenizer.chat_template")
        if not template:
            raise RuntimeError("the GGUF has no chat template (a base model?); use an instruct model")
        vocab = self.llm._model.vocab
        eos_id = self.llm.token_eos()
        bos_id = self.llm.token_bos()

        def piece(tok: int) -> str:
            if tok < 0:
                return ""
            return self.llm.detokenize([tok], special=True).decode("utf-8", errors="ignore")

        self.formatter = Jinja2ChatFormatter(template=template, eos_token=piece(eos_id),
                                             bos_token=piece(bos_id))
        self.vocab = vocab
        self.n_ctx = cfg.n_ctx
        self.prefix_tokens: list[int] = []  # prefix whose KV is in sequence 0 right now
        self._render_cache: dict[str, tuple[list[int], str]] = {}

    # ---- prompt -------------------------------------------------------------------------------
    def render(self, system: str) -> tuple[list[int], str]:
        """(prefix tokens, suffix text): the chat-templated prompt split at the question."""
        hit = self._render_cache.get(system)
        if hit is not None:
            return hit
        res = self.formatter(messages=[{"role": "system", "content": system},
                                       {"role": "user", "content": QUESTION_MARK}])
        cut = res.prompt.index(QUESTION_MARK)
        prefix, suffix = res.prompt[:cut], res.prompt[cut + len(QUESTION_MARK):]
        tokens = self.llm.tokenize(prefix.encode("utf-8"), add_bos=not res.added_special, special=True)
        if len(self._render_cache) > 64:
            self._render_cache.clear()
        self._render_cache[system] = (tokens, suffix)
        return tokens, suffix

    def question_tokens(self, question: str, suffix: str) -> list[int]:
        return (self.llm.tokenize(question.encode("utf-8"), add_bos=False, special=False)
                + self.llm.tokenize(suffix.encode("utf-8"), add_bos=False, special=True))

    # ---- KV cache -----------------------------------------------------------------------------
    def _clear(self) -> None:
        self.llm.reset()  # type: ignore[no-untyped-call]
        mem = self.lc.llama_get_memory(self.llm._ctx.ctx)
        if mem is not None:
            self.lc.llama_memory_clear(mem, True)
        self.prefix_tokens = []

    def _eval_prefix(self, tokens: list[int], cancelled: Any, beat: Any = None) -> bool:
        """Evaluate ``tokens`` from an empty cache; False if cancelled midway (cache cleared).
        ``beat()`` after every batch tells the parent the child is working, not hung."""
        self._clear()
        for i in range(0, len(tokens), PREFIX_BATCH):
            if cancelled():
                self._clear()
                return False
            self.llm.eval(tokens[i:i + PREFIX_BATCH])
            if beat is not None:
                beat()
        self.prefix_tokens = list(tokens)
        return True

    def _save(self, path: str, tokens: list[int]) -> int:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        tmp = f"{path}.tmp{os.getpid()}"
        arr = (self.lc.llama_token * len(tokens))(*tokens)
        n = self.lc.llama_state_seq_save_file(self.llm._ctx.ctx, tmp.encode(), 0, arr, len(tokens))
        if not n:
            Path(tmp).unlink(missing_ok=True)
            raise RuntimeError("llama_state_seq_save_file failed")
        os.replace(tmp, path)
        return int(n)

    def _load(self, path: str, tokens: list[int]) -> bool:
        """Load a saved prefix state; True only if its tokens equal ``tokens`` exactly."""
        import ctypes

        if not os.path.isfile(path):
            return False
        self._clear()
        cap = len(tokens) + 8
        out = (self.lc.llama_token * cap)()
        n_out = ctypes.c_size_t(0)
        n = self.lc.llama_state_seq_load_file(self.llm._ctx.ctx, path.encode(), 0, out, cap,
                                              ctypes.byref(n_out))
        loaded = list(out[:n_out.value])
        if not n or loaded != tokens:
            self._clear()
            return False
        self.llm.input_ids[:len(tokens)] = tokens
        self.llm.n_tokens = len(tokens)
        self.prefix_tokens = list(tokens)
        return True

    def use_prefix(self, tokens: list[int], state: str | None, cancelled: Any,
                   save: bool = True, beat: Any = None) -> tuple[str, dict[str, float]]:
        """Make the KV cache hold exactly ``tokens``; returns (how, timings)."""
        t0 = time.perf_counter()
        if self.prefix_tokens == tokens and self.llm.n_tokens >= len(tokens):
            self.llm._ctx.kv_cache_seq_rm(-1, len(tokens), -1)
            self.llm.n_tokens = len(tokens)
            return "memory", {"state_load_ms": 0.0, "prefix_ms": 0.0}
        if state and self._load(state, tokens):
            return "disk", {"state_load_ms": (time.perf_counter() - t0) * 1000, "prefix_ms": 0.0}
        t1 = time.perf_counter()
        if not self._eval_prefix(tokens, cancelled, beat):
            return "cancelled", {"state_load_ms": (t1 - t0) * 1000, "prefix_ms": 0.0}
        t2 = time.perf_counter()
        how = "cold"
        if state and save:
            self._save(state, tokens)
            how = "cold-saved"
        return how, {"state_load_ms": (t1 - t0) * 1000, "prefix_ms": (t2 - t1) * 1000}

    def _sample_loop(self, rid: int, out: Any, cancelled: Any, max_tokens: int, decoder: Any,
                     gen_tokens: list[int], base: dict[str, Any], t0: float, t1: float,
                     t2: float) -> tuple[str, int, float | None]:
        """Sample greedily until end of generation, ``max_tokens`` or cancel; streams tokens."""
        n_gen, first_ms, stop = 0, None, "length"
        while n_gen < max_tokens:
            if cancelled():
                stop = "cancelled"
                break
            tok = self.llm.sample(temp=0.0)  # greedy: the same question gives the same reply
            if self.lc.llama_vocab_is_eog(self.vocab, tok):
                stop = "eog"
                break
            gen_tokens.append(tok)
            n_gen += 1
            text = decoder.decode(self.llm.detokenize([tok]))
            if first_ms is None:
                first_ms = (time.perf_counter() - t0) * 1000
            if text or n_gen == 1:
                msg: dict[str, Any] = {"op": "token", "id": rid, "text": text, "tok": tok}
                if n_gen == 1:  # the parent learns the prompt-read times with the first token
                    msg["timings"] = {**base, "question_ms": (t2 - t1) * 1000, "prompt_ms": (t2 - t0) * 1000,
                                      "first_token_ms": first_ms}
                out.put(msg)
            if self.llm.n_tokens + 1 >= self.n_ctx:
                break
            self.llm.eval([tok])
        return stop, n_gen, first_ms

    # ---- generation ---------------------------------------------------------------------------
    def generate(self, req: dict[str, Any], out: Any, cancelled: Any) -> None:
        import codecs

        rid = req["id"]
        t0 = time.perf_counter()
        prefix, suffix = self.render(req["system"])
        q_tokens = self.question_tokens(req["question"], suffix)
        max_tokens = int(req.get("max_tokens", 160))
        if len(prefix) + len(q_tokens) + max_tokens > self.n_ctx:
            raise RuntimeError(f"prompt too long: {len(prefix)}+{len(q_tokens)} tokens, n_ctx {self.n_ctx}")
        state = req.get("state")
        # With a state file the prefix is finished and saved even if this request is cancelled
        # (it timed out in the parent): the next question about this record is then fast.
        how, timings = self.use_prefix(prefix, state, (lambda: False) if state else cancelled,
                                       beat=lambda: out.put({"op": "progress", "id": rid}))
        base = {"prefix_tokens": len(prefix), "question_tokens": len(q_tokens), "state": how, **timings}
        if how == "cancelled" or cancelled():
            out.put({"op": "done", "id": rid, "stop": "cancelled", "timings": base})
            return
        t1 = time.perf_counter()
        self.llm.eval(q_tokens)
        t2 = time.perf_counter()
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        n_gen, first_ms, stop = 0, None, "length"
        gen_tokens: list[int] = []
        if req.get("grammar"):
            # A GBNF grammar (the fact ids a record allows): one sampler for the whole reply, so the
            # grammar's state advances with every token (``Llama.sample`` alone rebuilds it per token).
            from llama_cpp.llama_grammar import LlamaGrammar

            grammar = LlamaGrammar.from_string(req["grammar"], verbose=False)
            self.llm._sampler = self.llm._init_sampler(temp=0.0, grammar=grammar)
        try:
            stop, n_gen, first_ms = self._sample_loop(rid, out, cancelled, max_tokens, decoder, gen_tokens,
                                                      base, t0, t1, t2)
        finally:
            self.llm._sampler = None
        tail = decoder.decode(b"", final=True)
        if tail:
            out.put({"op": "token", "id": rid, "text": tail, "tok": -1})
        t3 = time.perf_counter()
        timings_out = {
            **base,
            "question_ms": (t2 - t1) * 1000,
            "prompt_ms": (t2 - t0) * 1000,  # everything before the first generated token
            "first_token_ms": first_ms if first_ms is not None else (t3 - t0) * 1000,
            "gen_tokens": n_gen,
            "gen_ms": (t3 - t2) * 1000,
            "total_ms": (t3 - t0) * 1000,
            "rss_peak_mb": rss_peak_mb(),
        }
        out.put({"op": "done", "id": rid, "stop": stop, "timings": timings_out, "tokens": gen_tokens})

    def prepare(self, req: dict[str, Any], out: Any, cancelled: Any) -> None:
        tokens, _suffix = self.render(req["system"])
        if len(tokens) + 64 > self.n_ctx:
            raise RuntimeError(f"prompt too long: {len(tokens)} tokens, n_ctx {self.n_ctx}")
        t0 = time.perf_counter()
        state = req["state"]
        if self._load(state, tokens):
            out.put({"op": "prepared", "id": req["id"], "cached": True, "prefix_tokens": len(tokens),
                     "ms": (time.perf_counter() - t0) * 1000, "bytes": os.path.getsize(state)})
            return
        if not self._eval_prefix(tokens, cancelled, lambda: out.put({"op": "progress", "id": req["id"]})):
            out.put({"op": "prepared", "id": req["id"], "cancelled": True})
            return
        n = self._save(state, tokens)
        out.put({"op": "prepared", "id": req["id"], "cached": False, "prefix_tokens": len(tokens),
                 "ms": (time.perf_counter() - t0) * 1000, "bytes": n})


def child_main(cfg: ChildConfig, inq: Any, outq: Any, cancel_id: Any) -> None:
    """Entry point of the spawned process."""
    t0 = time.perf_counter()
    try:
        engine = LlamaEngine(cfg)
    except BaseException as err:  # report any load failure to the parent, then exit
        outq.put({"op": "error", "id": 0, "fatal": True, "message": f"{type(err).__name__}: {err}"})
        return
    outq.put({"op": "ready", "id": 0, "load_ms": (time.perf_counter() - t0) * 1000,
              "n_ctx": cfg.n_ctx, "model": os.path.basename(cfg.model_path), "rss_peak_mb": rss_peak_mb()})
    while True:
        req = inq.get()
        op = req.get("op")
        if op == "stop":
            return
        rid = req.get("id", 0)

        def cancelled(rid: int = rid) -> bool:
            return bool(cancel_id.value == rid)

        try:
            if op == "ask":
                engine.generate(req, outq, cancelled)
            elif op == "prepare":
                engine.prepare(req, outq, cancelled)
            else:
                outq.put({"op": "error", "id": rid, "message": f"unknown op {op!r}"})
        except Exception as err:  # one bad request must not kill the model
            outq.put({"op": "error", "id": rid, "message": f"{type(err).__name__}: {err}"})

