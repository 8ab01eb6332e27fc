"""The demo: a sample county's season end to end on built-in data (:mod:`.county`), with the seed report's texts and
sentence pools for the other departments (:mod:`.texts`).

- May import anything below the interfaces (format, files, workbook, checks, merge, report, roster, web's
  workspace); only the CLI imports it.
"""
