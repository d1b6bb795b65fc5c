"""Benchmarks for the emulator: `python -m benchmarks` (see README, "Performance").

Every figure is measured next to a baseline in the same run (a bare Starlette JSON app on the same
uvicorn stack, the same process with a feature off, the same operation at a smaller size) and printed as
a ratio, because absolute numbers on a shared machine say little; the JSON report keeps both.
"""
