"""Signals beyond the rules (signals.md): early warnings of behaviour abnormal for an agency or an
agent (metrics.py, numbers.py, signalstore.py, warnings.py; daily.py is what the pipeline calls)."""
