"""Understanding a question: normalise, retrieve, decide the procedure, English, follow-ups."""
