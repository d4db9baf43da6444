"""Audio capture and playback, voice activity detection, speech recognition and synthesis."""
