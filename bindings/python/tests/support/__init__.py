"""Servers and helpers shared by the test suite and the benchmark."""
