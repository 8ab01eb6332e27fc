"""The template workbook: writing it, its live self-checks, reading a returned one back, and the return copy.

- :mod:`.writer` puts the locked template together from its sheets, each drawn at the layout's coordinates:
  :mod:`.cover` (cover and narrative), :mod:`.tables`, :mod:`.checksheet` (the 校验 sheet), with the formats and
  checked xlsxwriter calls of :mod:`.drawing`; :mod:`.xlsxwriter_speed` holds the shortcuts into xlsxwriter's
  private methods, used only on tested releases; :mod:`.stamp` writes a roster from one prototype;
  :mod:`.live` makes every formula of the checks the workbook runs on itself;
  :mod:`.reader` records what a returned workbook holds in a :class:`.submission.Submission` (it judges nothing),
  with :mod:`.spans` telling which value a row of unevenly shared columns (2019's （八）/（九）) holds where;
  :mod:`.normalise` turns what people type into comparison keys and numbers; :mod:`.review` writes the
  return-for-correction copy; :mod:`.textwidth` sizes rows for Chinese text.
- May import: :mod:`giptemplate.format`, :mod:`giptemplate.files`, :mod:`giptemplate.findings`,
  :mod:`giptemplate.errors`, and the published-document readers (a published report is read into the same
  submission). Never :mod:`giptemplate.merge`, :mod:`giptemplate.report` or the interfaces.
"""
