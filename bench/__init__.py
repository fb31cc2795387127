"""Accord's benchmarks: ``python -m bench`` (or ``make bench``).

Every figure is a ratio against a raw baseline measured in the same run (raw
peewee, raw pluggy, a plain Python call), never a timed test; nothing here asserts.
"""
