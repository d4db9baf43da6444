"""The local LLM answerer: prompt, llama.cpp child process, runner and setup."""
