"""Files on disk, below everything else: which files may be parsed at all, how large a sheet really is, safe names
for outputs, atomic writes.

- :mod:`.intake` sniffs and admits a returned file (types, sizes, bombs, foreign formats); :mod:`.extent` measures a
  sheet from its bytes before calamine lays it out; :mod:`.paths` makes names safe; :mod:`.atomic` writes a file
  under its final name only once it is complete.
- May import: :mod:`giptemplate.errors` only. Nothing here knows a spec.
"""
