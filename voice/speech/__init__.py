"""Offline speech input with Vosk: a shared model cache and grammar-limited menu recognisers."""
