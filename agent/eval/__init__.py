"""Evaluation: datasets, retrieval metrics, agent runs (see `hopper eval`)."""
