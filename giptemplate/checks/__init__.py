"""The reviewer's checks: from what the reader recorded to located findings.

- :mod:`.checker` runs the registered families of checks on one submission, one module per family, each declaring
  the codes it emits (:class:`.common.Family`): :mod:`.structure`, :mod:`.values`, :mod:`.relations`,
  :mod:`.cover`, :mod:`.narrative`, :mod:`.textclaims` (what the narrative says against the tables) and
  :mod:`.crossyear`; :mod:`.common` is what they share (the check's context, how messages name cells);
  :mod:`.previous` finds last year's file of a unit; :mod:`.render` turns results into JSON, CSV and xlsx.
- May import: :mod:`giptemplate.format`, :mod:`giptemplate.workbook`, :mod:`giptemplate.files`,
  :mod:`giptemplate.findings`, :mod:`giptemplate.errors`. Never :mod:`giptemplate.merge` or the interfaces.
"""
