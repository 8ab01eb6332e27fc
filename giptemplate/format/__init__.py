"""The format as data: a spec per format version (``templates/*.toml``), and what derives from it alone.

- :mod:`.spec` loads and validates a spec; :mod:`.layout` is the one source of coordinates; :mod:`.arithmetic` the
  one source of arithmetic (each relation evaluated on values and rendered as a formula); :mod:`.uscc` the unit
  code's check digit; :mod:`.sample` consistent fills of a spec.
- May import: :mod:`giptemplate.errors`, :mod:`giptemplate.findings`. Nothing here reads or writes a file other
  than a spec.
"""
