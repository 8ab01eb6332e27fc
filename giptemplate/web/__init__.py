"""The local web page for the office: the whole season of one report year in a browser.

``giptemplate serve --workspace DIR`` starts it. :mod:`.workspace` is the folder model (importable without the web
stack); :mod:`.app` the Starlette application.
"""
