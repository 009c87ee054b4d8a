"""Corridor Atlas: Europe's transport infrastructure and the EU rules that govern it.

Data flows one way: source -> normalise to one schema -> store -> select -> render or export.
"""

__version__ = "0.1.0"
