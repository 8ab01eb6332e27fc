"""The reviewer's checks: from what the reader recorded to located findings.

- :mod:`.checker` runs the checks of one submission; :mod:`.textclaims` compares what the narrative says with the
  tables; :mod:`.previous` indexes last year's submissions for the cross-year checks; :mod:`.render` turns results
  into terminal rows, JSON, CSV and xlsx.
- May import: :mod:`giptemplate.format`, :mod:`giptemplate.workbook`, :mod:`giptemplate.files`,
  :mod:`giptemplate.findings`, :mod:`giptemplate.errors`. Never :mod:`giptemplate.merge` or the interfaces.
"""
