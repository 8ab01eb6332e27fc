"""The publishable annual report: its model and generic table grid (:mod:`.model`), Word (:mod:`.docx`), Markdown and
HTML (:mod:`.text`), and the narrative taken from a document the office wrote (:mod:`.texts_file`).

- May import: :mod:`giptemplate.format`, :mod:`giptemplate.workbook`, :mod:`giptemplate.files`,
  :mod:`giptemplate.errors`. Never :mod:`giptemplate.merge` or the interfaces.
"""
